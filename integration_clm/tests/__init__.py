from . import (
    test_billing_renewal,
    test_contract_flow,
    test_credentials,
    test_deal,
    test_outbound,
    test_webhook,
)
