from . import test_payments, test_refunds_disputes, test_webhook
