from odoo import fields, models

from ..const import DEFAULTS, SETTINGS_PREFIX


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    integration_max_attempts = fields.Integer(
        string="Max Attempts",
        config_parameter=SETTINGS_PREFIX + "max_attempts",
        default=DEFAULTS["max_attempts"],
    )
    integration_retry_horizon_hours = fields.Integer(
        string="Wait Out Outages (hours)",
        config_parameter=SETTINGS_PREFIX + "retry_horizon_hours",
        default=DEFAULTS["retry_horizon_hours"],
        help="A connected system that does not answer is retried this long before its events "
        "and messages are given up (attempts do not count while it is down).",
    )
    integration_backoff_base = fields.Integer(
        string="Backoff Base (s)",
        config_parameter=SETTINGS_PREFIX + "backoff_base",
        default=DEFAULTS["backoff_base"],
    )
    integration_backoff_cap = fields.Integer(
        string="Backoff Cap (s)",
        config_parameter=SETTINGS_PREFIX + "backoff_cap",
        default=DEFAULTS["backoff_cap"],
    )
    integration_batch_size = fields.Integer(
        string="Batch Size", config_parameter=SETTINGS_PREFIX + "batch_size", default=DEFAULTS["batch_size"]
    )
    integration_lease_seconds = fields.Integer(
        string="Claim Held (s)",
        help="How long a worker's claim on a batch holds (its lease) before another worker may take it over.",
        config_parameter=SETTINGS_PREFIX + "lease_seconds",
        default=DEFAULTS["lease_seconds"],
    )
    integration_parallel_workers = fields.Integer(
        string="Parallel Workers",
        config_parameter=SETTINGS_PREFIX + "parallel_workers",
        default=DEFAULTS["parallel_workers"],
        help="How many cron workers may process events at the same time (Odoo's cron threads or "
        "worker processes must be at least as many).",
    )
    integration_retention_days = fields.Integer(
        string="Keep Payloads (days)",
        config_parameter=SETTINGS_PREFIX + "retention_days",
        default=DEFAULTS["retention_days"],
    )
    integration_alert_email = fields.Boolean(
        string="Email Alerts",
        config_parameter=SETTINGS_PREFIX + "alert_email",
        help="Besides an activity, email the Integration Managers when a backend stops answering, "
        "an event dies or a business exception passes its threshold.",
    )

    integration_backend_ids = fields.Many2many(
        "integration.backend", compute="_compute_integration_backend_ids", string="Backends"
    )

    def _compute_integration_backend_ids(self):
        backends = self.env["integration.backend"].search([], limit=200)
        for settings in self:
            settings.integration_backend_ids = backends

    def set_values(self):
        result = super().set_values()
        self.env["integration.event"]._set_parallel_workers(self.integration_parallel_workers)
        return result
