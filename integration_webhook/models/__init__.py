from . import integration_backend, integration_backend_reconciliation, res_partner
