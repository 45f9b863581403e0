"""Stripe constants: event types handled, dashboard URL, API base."""

DASHBOARD_URL = "https://dashboard.stripe.com"

PAYMENT_EVENTS = ("payment_intent.succeeded", "charge.succeeded")
REFUND_EVENTS = ("charge.refunded", "refund.created", "refund.updated", "charge.refund.updated")
DISPUTE_EVENTS = ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed")
PAYOUT_EVENTS = ("payout.paid", "payout.failed")
CUSTOMER_EVENTS = ("customer.created", "customer.updated")
INVOICE_EVENTS = ("invoice.finalized", "invoice.paid", "invoice.payment_failed")
SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)

# What to enable on the Stripe webhook endpoint (shown by "Check the API key").
WEBHOOK_EVENTS = (
    PAYMENT_EVENTS
    + REFUND_EVENTS
    + DISPUTE_EVENTS
    + PAYOUT_EVENTS
    + CUSTOMER_EVENTS
    + INVOICE_EVENTS
    + SUBSCRIPTION_EVENTS
)

CUSTOMER_MATCHING = [
    ("email", "By email"),
    ("metadata", "By metadata odoo_partner_id"),
    ("create", "By email, else create the customer"),
]
