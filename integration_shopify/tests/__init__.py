from . import (
    test_business_actions,
    test_catalog,
    test_fulfillment,
    test_fulfillment_inbound,
    test_missing_settings,
    test_orders,
    test_payouts,
    test_reconciliation,
    test_refunds,
    test_security,
    test_ui,
    test_webhook,
)
