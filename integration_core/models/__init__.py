# isort: skip_file
# The queue mixin first: the event and outbound queues inherit it.
from . import integration_queue_mixin
from . import (
    integration_audit,
    integration_backend,
    integration_event,
    integration_external_id,
    integration_metrics,
    integration_outbound,
    integration_ownership,
    res_config_settings,
    res_partner,
)
