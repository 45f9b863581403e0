"""Contract-management kinds and their vendor constants."""

CLM_KINDS = ("docusign", "dropbox_sign", "pandadoc")

KIND_SELECTION = [
    ("docusign", "DocuSign"),
    ("dropbox_sign", "Dropbox Sign"),
    ("pandadoc", "PandaDoc"),
]

CONTRACT_RULES = [
    ("always", "Every quotation"),
    ("amount", "Quotations above an amount"),
    ("tag", "Customers with a tag"),
    ("upstream", "When the upstream quote asks for it"),
    ("never", "Never"),
]

CONTRACT_STATES = [
    ("draft", "Draft"),
    ("sent", "Sent"),
    ("viewed", "Viewed"),
    ("signed", "Signed"),
    ("declined", "Declined"),
    ("voided", "Voided"),
    ("expired", "Expired"),
]

BILLING_METHODS = [
    ("order", "By the order's invoicing policy"),
    ("milestones", "Milestones (project)"),
    ("schedule", "Schedule (dates and percentages)"),
]

CONTENT_TYPES = {
    "docusign": ("application/json", "text/xml", "application/xml"),
    "dropbox_sign": ("multipart/form-data", "application/x-www-form-urlencoded", "application/json"),
    "pandadoc": ("application/json",),
}

DROPBOX_SIGN_ANSWER = "Hello API Event Received"

DEFAULT_API_BASE = {
    "docusign": "https://demo.docusign.net",
    "dropbox_sign": "https://api.hellosign.com",
    "pandadoc": "https://api.pandadoc.com",
}
DOCUSIGN_AUTH_BASE = "https://account-d.docusign.com"

# Outbound operations (integration.outbound.operation)
OP_SEND = "clm.send_for_signature"
OP_PANDADOC_SEND = "clm.pandadoc_send"
OP_VOID = "clm.void"
OP_FETCH_PDF = "clm.fetch_signed_pdf"
