# isort: skip_file
# The queue mixin first: the event and outbound queues inherit it.
from . import integration_queue_mixin
from . import (
    integration_audit,
    integration_backend,
    integration_backend_entitlements,
    integration_backend_reconciliation,
    integration_business_exception,
    integration_cycle_objective,
    integration_deal,
    integration_deal_mixin,
    integration_document_mixin,
    integration_event,
    integration_external_id,
    integration_metrics,
    integration_outbound,
    integration_ownership,
    integration_reconciliation_line,
    integration_reconciliation_run,
    res_config_settings,
    res_partner,
)

# The deal timeline is a view over both queues: after them.
from . import integration_deal_step
from . import integration_deal_cycle
