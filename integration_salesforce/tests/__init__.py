from . import test_cdc, test_orders, test_partners_pull, test_webhook, test_writeback
