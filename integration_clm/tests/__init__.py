from . import test_billing_renewal, test_contract_flow, test_outbound, test_webhook
