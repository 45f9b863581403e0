from odoo import fields, models


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    kind = fields.Selection(
        selection_add=[("bench_noop", "Benchmark (no-op)")], ondelete={"bench_noop": "cascade"}
    )

    def _bench_noop_verify(self, headers, body):
        return self._generic_hmac_verify(headers, body)

    def _bench_noop_parse(self, headers, body):
        return self._generic_hmac_parse(headers, body)

    def _bench_noop_handle(self, event):
        return None
