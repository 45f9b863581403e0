from odoo import fields, models


class IntegrationEvent(models.Model):
    _inherit = "integration.event"

    def _after_outcome(self, result, error, duration_ms):
        """Salesforce: pause the backend when the org's daily limit is spent; written after
        the savepoint, which rolls back what the handler wrote."""
        outcome = super()._after_outcome(result, error, duration_ms)
        if self.backend_id.kind == "salesforce" and getattr(error, "salesforce_pause_seconds", None):
            self.backend_id._salesforce_pause(error.salesforce_pause_seconds)
        return outcome

    source = fields.Selection(selection_add=[("cdc", "Change Data Capture")], ondelete={"cdc": "set default"})
