from . import (
    account_bank_statement_line,
    account_move,
    integration_backend,
    integration_backend_billing,
    integration_backend_payment_failures,
    integration_backend_payments,
    integration_backend_payouts,
    integration_backend_reconciliation,
    integration_backend_refunds,
    integration_event,
    integration_stripe_payout,
    res_partner,
)
