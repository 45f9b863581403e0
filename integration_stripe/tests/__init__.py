from . import (
    test_balance,
    test_billing,
    test_customers,
    test_deal,
    test_payment_failed,
    test_payment_link,
    test_payments,
    test_payouts,
    test_reconciliation,
    test_refunds_disputes,
    test_security,
    test_webhook,
)
