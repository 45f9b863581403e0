{
    "name": "Integration: Contracts and e-signature",
    "summary": "Placeholder: no contract-management / e-signature features yet; installs the Odoo apps it will feed",
    "description": """
This connector has no contract-management / e-signature features yet. It depends on Integration Core and on the Odoo
apps it will connect (DocuSign, Dropbox Sign and others: provisional orders until signature), so that the suite installs as one piece. It adds no
backend kind, no webhook and no scheduled action.
""",
    "version": "19.0.0.1.0",
    "category": "Integrations",
    "author": "Integration Suite",
    "website": "https://github.com/integration-suite/integration-suite",
    "license": "LGPL-3",
    "depends": ["integration_core", "sale_management"],
    "installable": True,
}
