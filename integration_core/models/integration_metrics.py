"""Operations figures per backend: the dashboard cards, the lists behind each figure and the
Prometheus text that monitors scrape (all from the same queries)."""

from datetime import timedelta

from odoo import api, fields, models

from ..const import CLAIMABLE_STATES

WAITING = (*CLAIMABLE_STATES, "processing")
THROUGHPUT_MINUTES = 5
RETRY_RATE_HOURS = 24


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    queue_depth = fields.Integer(compute="_compute_figures", string="Waiting")
    oldest_waiting_minutes = fields.Integer(compute="_compute_figures", string="Oldest Waiting (min)")
    events_per_minute = fields.Float(compute="_compute_figures", string="Events/min", digits=(16, 1))
    retry_rate = fields.Float(compute="_compute_figures", string="Retry Rate (%)", digits=(16, 1))
    failed_count = fields.Integer(compute="_compute_figures")
    dead_count = fields.Integer(compute="_compute_figures", string="Dead")
    outbound_backlog = fields.Integer(compute="_compute_figures", help="Messages waiting to be sent.")
    last_delivery_at = fields.Datetime(compute="_compute_figures", string="Last Delivery")
    last_success_at = fields.Datetime(compute="_compute_figures", string="Last Processed")

    def _compute_figures(self):
        figures = self._figures()
        for backend in self:
            for name, value in figures[backend.id].items():
                if not name.startswith("_"):
                    backend[name] = value

    def _figures(self):
        """{backend id: {figure: value}} in a handful of grouped queries for all of `self`."""
        events = self.env["integration.event"].sudo()
        now = fields.Datetime.now()
        mine = [("backend_id", "in", self.ids)]
        by_state = {
            (b.id, s): n for b, s, n in events._read_group(mine, ["backend_id", "state"], ["__count"])
        }
        oldest = dict(
            events._read_group([*mine, ("state", "in", WAITING)], ["backend_id"], ["received_at:min"])
        )
        last = dict(events._read_group(mine, ["backend_id"], ["received_at:max"]))
        last_done = dict(events._read_group([*mine, ("state", "=", "done")], ["backend_id"], ["done_at:max"]))
        recent = dict(
            events._read_group(
                [*mine, ("done_at", ">=", now - timedelta(minutes=THROUGHPUT_MINUTES))],
                ["backend_id"],
                ["__count"],
            )
        )
        day = [*mine, ("received_at", ">=", now - timedelta(hours=RETRY_RATE_HOURS))]
        received = dict(events._read_group(day, ["backend_id"], ["__count"]))
        retried = dict(events._read_group([*day, ("attempts", ">", 1)], ["backend_id"], ["__count"]))
        backlog = dict(
            self.env["integration.outbound"]
            .sudo()
            ._read_group([*mine, ("state", "in", WAITING)], ["backend_id"], ["__count"])
        )
        figures = {}
        for backend in self:
            figures[backend.id] = {
                "queue_depth": sum(by_state.get((backend.id, s), 0) for s in WAITING),
                "oldest_waiting_minutes": int((now - oldest[backend]).total_seconds() // 60)
                if backend in oldest
                else 0,
                "events_per_minute": recent.get(backend, 0) / THROUGHPUT_MINUTES,
                "retry_rate": 100.0 * retried.get(backend, 0) / received[backend]
                if received.get(backend)
                else 0.0,
                "failed_count": by_state.get((backend.id, "failed"), 0),
                "dead_count": by_state.get((backend.id, "dead"), 0),
                "outbound_backlog": backlog.get(backend, 0),
                "last_delivery_at": last.get(backend) or False,
                "last_success_at": last_done.get(backend) or False,
                "_by_state": {s: n for (b, s), n in by_state.items() if b == backend.id},
            }
        return figures

    # ------------------------------------------------- the lists behind each figure
    def action_open_waiting(self):
        return self._events_action(self.env._("Waiting events"), [("state", "in", WAITING)])

    def action_open_failed(self):
        return self._events_action(self.env._("Failed events"), [("state", "=", "failed")])

    def action_open_dead(self):
        return self._events_action(self.env._("Dead events"), [("state", "=", "dead")])

    def action_open_retried(self):
        since = fields.Datetime.now() - timedelta(hours=RETRY_RATE_HOURS)
        return self._events_action(
            self.env._("Events retried (last 24 h)"), [("received_at", ">=", since), ("attempts", ">", 1)]
        )

    def action_open_recent(self):
        since = fields.Datetime.now() - timedelta(minutes=THROUGHPUT_MINUTES)
        return self._events_action(self.env._("Events done (last 5 min)"), [("done_at", ">=", since)])

    def action_open_outbound_backlog(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Outbound backlog"),
            "res_model": "integration.outbound",
            "view_mode": "list,form",
            "domain": [("backend_id", "=", self.id), ("state", "in", WAITING)],
        }

    # ------------------------------------------------------------------ Prometheus
    @api.model
    def _prometheus_metrics(self):
        """Figures for the backends the current user may see (record rules apply)."""
        # Every backend the monitor may see: a handful per database by nature.
        backends = self.search([])  # pylint: disable=no-search-all
        figures = backends._figures()
        alerts = dict(
            self.env["integration.business.exception"]
            .sudo()
            ._read_group([("backend_id", "in", backends.ids)], ["backend_id"], ["count:sum"])
        )

        def labels(backend, **extra):
            return {"backend": backend.name, "kind": backend.kind, **extra}

        def series(name):
            return [(labels(b), figures[b.id][name]) for b in backends]

        def stamp(value):
            return value.timestamp() if value else 0

        return [
            {"name": "integration_events", "help": "Inbound events by state.", "type": "gauge",
             "samples": [(labels(b, state=s), n) for b in backends
                         for s, n in figures[b.id]["_by_state"].items()]},
            {"name": "integration_queue_depth", "type": "gauge",
             "help": "Events waiting to be processed (pending, to retry, processing).",
             "samples": series("queue_depth")},
            {"name": "integration_oldest_waiting_event_age_seconds", "type": "gauge",
             "help": "Age of the oldest event waiting to be processed.",
             "samples": [(labels(b), figures[b.id]["oldest_waiting_minutes"] * 60) for b in backends]},
            {"name": "integration_events_processed_per_minute", "type": "gauge",
             "help": "Events done over the last 5 minutes, per minute.",
             "samples": series("events_per_minute")},
            {"name": "integration_retry_rate_percent", "type": "gauge",
             "help": "Share of the last 24 hours' events that needed more than one attempt.",
             "samples": series("retry_rate")},
            {"name": "integration_outbound_backlog", "type": "gauge",
             "help": "Outbound messages not yet taken by the connected system.",
             "samples": series("outbound_backlog")},
            {"name": "integration_circuit_open", "type": "gauge",
             "help": "1 while sending to the backend is paused because it does not answer.",
             "samples": [(labels(b), 0 if b.circuit_state == "closed" else 1) for b in backends]},
            {"name": "integration_open_drift", "type": "gauge",
             "help": "Reconciliation drift lines nobody has resolved yet.",
             "samples": [(labels(b), b.open_drift_count) for b in backends]},
            {"name": "integration_business_exceptions", "type": "gauge",
             "help": "Business exceptions (stuck orders, unreconciled payments...) at the last check.",
             "samples": [(labels(b), alerts.get(b, 0)) for b in backends]},
            {"name": "integration_last_delivery_timestamp_seconds", "type": "gauge",
             "help": "Unix time of the last delivery received.",
             "samples": [(labels(b), stamp(figures[b.id]["last_delivery_at"])) for b in backends]},
        ]  # fmt: skip
