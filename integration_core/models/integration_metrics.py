"""Operations figures per backend, for monitors (served as Prometheus text by the controller)."""

from datetime import timedelta

from odoo import api, fields, models


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    @api.model
    def _prometheus_metrics(self):
        """Figures for the backends the current user may see (record rules apply)."""
        # Every backend the monitor may see: a handful per database by nature.
        backends = self.search([])  # pylint: disable=no-search-all
        events = self.env["integration.event"]
        now = fields.Datetime.now()
        by_state = events._read_group(
            [("backend_id", "in", backends.ids)], ["backend_id", "state"], ["__count"]
        )
        oldest = dict(
            events._read_group(
                [("backend_id", "in", backends.ids), ("state", "in", ("pending", "retry"))],
                ["backend_id"],
                ["received_at:min"],
            )
        )
        last = dict(
            events._read_group([("backend_id", "in", backends.ids)], ["backend_id"], ["received_at:max"])
        )
        recent = dict(
            events._read_group(
                [("backend_id", "in", backends.ids), ("done_at", ">=", now - timedelta(minutes=5))],
                ["backend_id"],
                ["__count"],
            )
        )
        backlog = dict(
            self.env["integration.outbound"]._read_group(
                [("backend_id", "in", backends.ids), ("state", "in", ("pending", "retry", "processing"))],
                ["backend_id"],
                ["__count"],
            )
        )

        def labels(backend, **extra):
            return {"backend": backend.name, "kind": backend.kind, **extra}

        def age(backend):
            return (now - oldest[backend]).total_seconds() if backend in oldest else 0

        return [
            {"name": "integration_events", "help": "Inbound events by state.", "type": "gauge",
             "samples": [(labels(b, state=s), n) for b, s, n in by_state]},
            {"name": "integration_oldest_waiting_event_age_seconds", "type": "gauge",
             "help": "Age of the oldest event waiting to be processed.",
             "samples": [(labels(b), age(b)) for b in backends]},
            {"name": "integration_events_processed_per_minute", "type": "gauge",
             "help": "Events done over the last 5 minutes, per minute.",
             "samples": [(labels(b), recent.get(b, 0) / 5) for b in backends]},
            {"name": "integration_outbound_backlog", "type": "gauge",
             "help": "Outbound messages not yet taken by the connected system.",
             "samples": [(labels(b), backlog.get(b, 0)) for b in backends]},
            {"name": "integration_circuit_open", "type": "gauge",
             "help": "1 while sending to the backend is paused because it does not answer.",
             "samples": [(labels(b), 0 if b.circuit_state == "closed" else 1) for b in backends]},
            {"name": "integration_last_delivery_timestamp_seconds", "type": "gauge",
             "help": "Unix time of the last delivery received.",
             "samples": [(labels(b), last[b].timestamp() if last.get(b) else 0) for b in backends]},
        ]  # fmt: skip
