from . import (
    integration_audit,
    integration_backend,
    integration_backend_contracts,
    integration_backend_outbound,
    integration_contract,
    integration_contract_billing_line,
    integration_deal,
    project_milestone,
    res_partner,
    sale_order,
)
