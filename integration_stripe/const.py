"""Stripe constants: event types handled, balance transaction types booked, dashboard URL."""

DASHBOARD_URL = "https://dashboard.stripe.com"

# charge.succeeded of an authorisation (captured: false) books nothing; charge.captured does.
PAYMENT_EVENTS = ("payment_intent.succeeded", "charge.succeeded", "charge.captured")
# A failed attempt books nothing: the invoice shows it, its payment link stays valid.
PAYMENT_FAILED_EVENTS = ("payment_intent.payment_failed",)
CHECKOUT_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
)
REFUND_EVENTS = (
    "charge.refunded",
    "refund.created",
    "refund.updated",
    "refund.failed",
    "charge.refund.updated",
)
DISPUTE_EVENTS = (
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
)
PAYOUT_EVENTS = ("payout.paid", "payout.failed")
CUSTOMER_EVENTS = ("customer.created", "customer.updated")
INVOICE_EVENTS = ("invoice.finalized", "invoice.paid", "invoice.payment_failed")
# From API version 2025-03-31: which payment paid which invoice.
INVOICE_PAYMENT_EVENTS = ("invoice_payment.paid",)
SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
# Not a Stripe event: the connector's own event for a balance transaction that no Stripe
# event books (fees, reserves, transfers...), made by the payout check and reconciliation.
BALANCE_TRANSACTION_EVENT = "balance_transaction.book"

# What to enable on the Stripe webhook endpoint (shown by "Check the API key").
WEBHOOK_EVENTS = (
    PAYMENT_EVENTS
    + PAYMENT_FAILED_EVENTS
    + CHECKOUT_EVENTS
    + REFUND_EVENTS
    + DISPUTE_EVENTS
    + PAYOUT_EVENTS
    + CUSTOMER_EVENTS
    + INVOICE_EVENTS
    + INVOICE_PAYMENT_EVENTS
    + SUBSCRIPTION_EVENTS
)

# Balance transaction types booked by their own event's handler.
PAYMENT_TYPES = ("charge", "payment")
REFUND_TYPES = ("refund", "payment_refund")
REFUND_FAILURE_TYPES = ("refund_failure", "payment_failure_refund")
# Other balance transaction types -> the backend field of the account they are booked to.
OTHER_TYPE_ACCOUNTS = {
    **dict.fromkeys(
        ("stripe_fee", "stripe_fx_fee", "tax", "application_fee", "application_fee_refund"),
        "stripe_fee_account_id",
    ),
    **dict.fromkeys(
        ("reserve_transaction", "reserved_funds", "risk_reserved_funds"), "stripe_reserve_account_id"
    ),
    **dict.fromkeys(
        (
            "transfer",
            "transfer_cancel",
            "transfer_failure",
            "transfer_refund",
            "topup",
            "topup_reversal",
            "connect_collection_transfer",
        ),
        "stripe_transfer_account_id",
    ),
    "adjustment": "stripe_adjustment_account_id",
}

CUSTOMER_MATCHING = [
    ("email", "By email"),
    ("metadata", "By metadata odoo_partner_id"),
    ("create", "By email, else create the customer"),
]
