from . import test_binder, test_processing, test_security, test_webhook
