from . import test_catalog, test_fulfillment, test_orders, test_refunds, test_webhook
