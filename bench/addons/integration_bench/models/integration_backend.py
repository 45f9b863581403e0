from odoo import fields, models


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    kind = fields.Selection(
        selection_add=[("bench_noop", "Benchmark (no-op)")], ondelete={"bench_noop": "cascade"}
    )

    # Deliveries are signed and read like the generic kind's; events do nothing.
    def _webhook_verify(self, delivery):
        if self.kind != "bench_noop":
            return super()._webhook_verify(delivery)
        return self._generic_verify_signature(delivery)

    def _webhook_parse(self, delivery):
        if self.kind != "bench_noop":
            return super()._webhook_parse(delivery)
        return self._generic_read_envelopes(delivery)

    def _handle_event(self, event):
        if self.kind != "bench_noop":
            return super()._handle_event(event)
        return None
