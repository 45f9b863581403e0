from odoo import models


class IntegrationOutbound(models.Model):
    _inherit = "integration.outbound"

    def _postponed(self):
        """A status message that already went (done or refused) with an earlier message's call
        (same claimed batch) has nothing left to send."""
        if self.backend_id.kind == "salesforce" and self.state in ("done", "failed"):
            return True
        return super()._postponed()

    def _after_outcome(self, response, error, duration_ms):
        """Salesforce: record the messages that went in the same Collections call, and pause
        the backend when the org's daily limit is spent (both outlive the savepoint)."""
        result = super()._after_outcome(response, error, duration_ms)
        backend = self.backend_id
        if backend.kind == "salesforce":
            backend._salesforce_record_companions(self)
            if getattr(error, "salesforce_pause_seconds", None):
                backend._salesforce_pause(error.salesforce_pause_seconds)
        return result
