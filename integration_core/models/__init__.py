from . import (
    integration_audit,
    integration_backend,
    integration_event,
    integration_external_id,
    integration_ownership,
    res_config_settings,
)
