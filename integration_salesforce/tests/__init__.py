from . import (
    test_cdc,
    test_credentials,
    test_deal,
    test_orders,
    test_partners_pull,
    test_webhook,
    test_writeback,
)
