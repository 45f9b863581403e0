"""Operations figures per backend: the dashboard cards, the lists behind each figure and the
Prometheus text that monitors scrape (all from the same queries)."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..const import CLAIMABLE_STATES
from .integration_deal_cycle import CYCLE_BUCKETS

WAITING = (*CLAIMABLE_STATES, "processing")
THROUGHPUT_MINUTES = 5
RETRY_RATE_HOURS = 1


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    queue_depth = fields.Integer(compute="_compute_figures", string="Waiting")
    oldest_waiting_minutes = fields.Integer(compute="_compute_figures", string="Oldest Waiting (min)")
    events_per_minute = fields.Float(compute="_compute_figures", string="Events/min", digits=(16, 1))
    retry_rate = fields.Float(compute="_compute_figures", string="Retry Rate (%)", digits=(16, 1))
    failed_count = fields.Integer(compute="_compute_figures")
    dead_count = fields.Integer(
        compute="_compute_figures", string="Gave Up", help="Dead events: retried until they gave up."
    )
    outbound_backlog = fields.Integer(compute="_compute_figures", help="Messages waiting to be sent.")
    outbound_failed_count = fields.Integer(
        compute="_compute_figures",
        string="Messages Not Sent",
        help="Failed or dead messages: a person must act.",
    )
    last_delivery_at = fields.Datetime(compute="_compute_figures", string="Last Delivery")
    last_success_at = fields.Datetime(compute="_compute_figures", string="Last Processed")

    def _compute_figures(self):
        figures = self._figures()
        for backend in self:
            for name, value in figures[backend.id].items():
                if not name.startswith("_"):
                    backend[name] = value

    def _figures(self):
        """{backend id: {figure: value}} for all of `self`, from index lookups only (the
        settled events, the bulk of the table, are never scanned)."""
        now = fields.Datetime.now()
        ids = [backend.id for backend in self if isinstance(backend.id, int)]
        rows = {}
        for model in ("integration.event", "integration.outbound"):
            self.env[model].flush_model()  # the figures are read with SQL
        if ids:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT b.id,
                           (SELECT min(received_at) FROM integration_event e
                             WHERE e.backend_id = b.id AND e.state IN %(waiting)s
                               AND e.state NOT IN ('done', 'ignored')),
                           (SELECT max(received_at) FROM integration_event e WHERE e.backend_id = b.id),
                           (SELECT max(done_at) FROM integration_event e
                             WHERE e.backend_id = b.id AND e.done_at IS NOT NULL),
                           (SELECT count(*) FROM integration_event e
                             WHERE e.backend_id = b.id AND e.done_at IS NOT NULL AND e.done_at >= %(recent)s),
                           (SELECT count(*) FROM integration_event e
                             WHERE e.backend_id = b.id AND e.received_at >= %(hour)s),
                           (SELECT count(*) FROM integration_event e
                             WHERE e.backend_id = b.id AND e.received_at >= %(hour)s AND e.attempts > 1),
                           (SELECT count(*) FROM integration_outbound o
                             WHERE o.backend_id = b.id AND o.state IN %(waiting)s),
                           (SELECT count(*) FROM integration_outbound o
                             WHERE o.backend_id = b.id AND o.state IN ('failed', 'dead'))
                      FROM unnest(%(ids)s) AS b(id)
                    """,
                    waiting=WAITING,
                    recent=now - timedelta(minutes=THROUGHPUT_MINUTES),
                    hour=now - timedelta(hours=RETRY_RATE_HOURS),
                    ids=ids,
                )
            )
            rows = {row[0]: row[1:] for row in self.env.cr.fetchall()}
            # Only unsettled states: the partial entity index holds exactly those rows.
            self.env.cr.execute(
                SQL(
                    """
                    SELECT backend_id, state, count(*) FROM integration_event
                     WHERE backend_id IN %(ids)s AND state NOT IN ('done', 'ignored')
                     GROUP BY backend_id, state
                    """,
                    ids=tuple(ids),
                )
            )
        by_state = {}
        for backend_id, state, count in self.env.cr.fetchall() if ids else []:
            by_state.setdefault(backend_id, {})[state] = count
        figures = {}
        for backend in self:
            oldest, last, last_done, recent, received, retried, backlog, not_sent = rows.get(
                backend.id, (None,) * 4 + (0,) * 4
            )
            states = by_state.get(backend.id, {})
            figures[backend.id] = {
                "queue_depth": sum(states.get(s, 0) for s in WAITING),
                "oldest_waiting_minutes": int((now - oldest).total_seconds() // 60) if oldest else 0,
                "events_per_minute": recent / THROUGHPUT_MINUTES,
                "retry_rate": 100.0 * retried / (received or 1),
                "failed_count": states.get("failed", 0),
                "dead_count": states.get("dead", 0),
                "outbound_backlog": backlog,
                "outbound_failed_count": not_sent,
                "last_delivery_at": last or False,
                "last_success_at": last_done or False,
                "_by_state": states,
            }
        return figures

    # ------------------------------------------------- the lists behind each figure
    def action_open_waiting(self):
        return self._events_action(self.env._("Waiting events"), [("state", "in", WAITING)])

    def action_open_failed(self):
        return self._events_action(self.env._("Failed events"), [("state", "=", "failed")])

    def action_open_dead(self):
        return self._events_action(self.env._("Events that gave up"), [("state", "=", "dead")])

    def action_open_retried(self):
        since = fields.Datetime.now() - timedelta(hours=RETRY_RATE_HOURS)
        return self._events_action(
            self.env._("Events retried (last hour)"), [("received_at", ">=", since), ("attempts", ">", 1)]
        )

    def action_open_recent(self):
        since = fields.Datetime.now() - timedelta(minutes=THROUGHPUT_MINUTES)
        return self._events_action(self.env._("Events done (last 5 min)"), [("done_at", ">=", since)])

    def action_open_activity(self):
        action = self._events_action(self.env._("Activity"), [])
        action["view_mode"] = "graph,pivot,list,form"
        return action

    def action_open_outbound_failed(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Messages not sent"),
            "res_model": "integration.outbound",
            "view_mode": "list,form",
            "domain": [("backend_id", "=", self.id), ("state", "in", ("failed", "dead"))],
        }

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
    @api.model
    def _health_report(self):
        """{stalled, queues: {model: {overdue, moving}}}: a queue is stalled when rows have been
        due for longer than the stall limit and none was done within it. Index lookups only."""
        minutes = self.env["integration.queue.mixin"]._engine_settings()["health_stall_minutes"]
        limit = fields.Datetime.now() - timedelta(minutes=minutes)
        backend_ids = self.with_context(active_test=False).search([]).ids  # pylint: disable=no-search-all
        queues = {}
        for model in ("integration.event", "integration.outbound"):
            table = SQL.identifier(self.env[model]._table)
            self.env.cr.execute(
                SQL(
                    """SELECT count(*) FROM (
                         SELECT 1 FROM %(table)s
                          WHERE (state IN ('pending', 'retry') AND next_attempt_at < %(limit)s)
                             OR (state = 'processing' AND lease_until < %(limit)s)
                          LIMIT 100) AS overdue""",
                    table=table,
                    limit=limit,
                )
            )
            overdue = self.env.cr.fetchone()[0]
            moving = True
            if overdue:
                # Per backend, so that the (backend_id, done_at) index answers.
                self.env.cr.execute(
                    SQL(
                        """SELECT 1 FROM unnest(%(ids)s) AS b(id)
                            WHERE (SELECT max(done_at) FROM %(table)s q
                                    WHERE q.backend_id = b.id AND q.done_at IS NOT NULL) >= %(limit)s
                            LIMIT 1""",
                        ids=backend_ids,
                        table=table,
                        limit=limit,
                    )
                )
                moving = bool(self.env.cr.fetchone())
            queues[model] = {"overdue": overdue, "moving": moving}
        stalled = any(q["overdue"] and not q["moving"] for q in queues.values())
        return {"stalled": stalled, "stall_minutes": minutes, "queues": queues}

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
            {"name": "integration_events", "type": "gauge",
             "help": "Inbound events not settled yet, by state (waiting, failed, dead).",
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
             "help": "Share of the last hour's events that needed more than one attempt.",
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
            {"name": "integration_deal_cycle_minutes", "type": "histogram",
             "help": "Minutes each finished step of a deal took (quote to order, sent to signed...).",
             "samples": self._deal_cycle_histogram(backends, labels)},
        ]  # fmt: skip

    def _deal_cycle_histogram(self, backends, labels):
        """Samples of the cycle-time histogram per backend and step, from one grouped query."""
        buckets = SQL(", ").join(
            SQL("count(*) FILTER (WHERE minutes <= %s)", bound) for bound in CYCLE_BUCKETS
        )
        self.env["integration.deal.cycle"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT backend_id, step, count(*), COALESCE(sum(minutes), 0), %s
                  FROM integration_deal_cycle
                 WHERE ended_at IS NOT NULL AND backend_id = ANY(%s)
                 GROUP BY backend_id, step
                """,
                buckets,
                backends.ids,
            )
        )
        by_id = {backend.id: backend for backend in backends}
        samples = []
        for backend_id, step, count, total, *counts in self.env.cr.fetchall():
            base = labels(by_id[backend_id], step=step)
            for bound, below in zip(CYCLE_BUCKETS, counts, strict=True):
                samples.append(("_bucket", {**base, "le": str(bound)}, below))
            samples.append(("_bucket", {**base, "le": "+Inf"}, count))
            samples.append(("_sum", base, total))
            samples.append(("_count", base, count))
        return samples
