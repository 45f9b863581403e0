from . import (
    integration_stripe_choose_customer_wizard,
    integration_stripe_match_invoice_line,
    integration_stripe_match_invoice_wizard,
)
