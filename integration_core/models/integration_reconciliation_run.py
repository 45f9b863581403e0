"""One comparison of a backend's remote records with Odoo over a period.

The connector pulls what changed remotely in the window and says what differs; each drift
becomes a line a person resolves (replay, push, accept). The window overlaps the previous
run so a record changed while the last run was reading is not missed."""

import logging
import traceback
from datetime import timedelta

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

LINE_FIELDS = (
    "issue", "reference", "external_id", "res_model", "res_id", "remote_value", "odoo_value",
    "payload", "event_type", "entity_key",
)  # fmt: skip


class IntegrationReconciliationRun(models.Model):
    _name = "integration.reconciliation.run"
    _description = "Reconciliation Run"
    _order = "id desc"

    backend_id = fields.Many2one("integration.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    date_from = fields.Datetime(string="From", required=True)
    date_to = fields.Datetime(string="To", required=True)
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        default="running",
        required=True,
        readonly=True,
    )
    trigger = fields.Selection([("cron", "Scheduled"), ("manual", "Manual")], default="manual", readonly=True)
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    checked_count = fields.Integer(string="Records Checked", readonly=True)
    line_ids = fields.One2many("integration.reconciliation.line", "run_id", string="Drift")
    drift_count = fields.Integer(compute="_compute_drift_counts", string="Drift Found")
    open_count = fields.Integer(compute="_compute_drift_counts", string="Open Drift")
    error_message = fields.Text(readonly=True)

    @api.depends("backend_id", "date_from", "date_to")
    def _compute_display_name(self):
        for run in self:
            window = f"{run.date_from:%Y-%m-%d %H:%M} → {run.date_to:%Y-%m-%d %H:%M}" if run.date_from else ""
            run.display_name = f"{run.backend_id.name or ''} {window}".strip()

    @api.depends("line_ids.state")
    def _compute_drift_counts(self):
        for run in self:
            run.drift_count = len(run.line_ids)
            run.open_count = len(run.line_ids.filtered(lambda line: line.state == "open"))

    # ------------------------------------------------------------------ running
    @api.model
    def _start(self, backend, trigger="manual", date_to=None):
        """A run over the window since the previous run ended, less the backend's overlap."""
        date_to = date_to or fields.Datetime.now()
        previous = self.search(
            [("backend_id", "=", backend.id), ("state", "=", "done")], order="date_to desc", limit=1
        )
        overlap = timedelta(hours=backend.reconcile_overlap_hours)
        if previous:
            date_from = previous.date_to - overlap
        else:
            date_from = date_to - timedelta(days=backend.reconcile_first_days) - overlap
        run = self.sudo().create(
            {
                "backend_id": backend.id,
                "date_from": date_from,
                "date_to": date_to,
                "trigger": trigger,
                "started_at": fields.Datetime.now(),
            }
        )
        return run._execute()

    def _execute(self):
        """Ask the connector for the drift and store it. A failure marks the run failed
        (with the reason) instead of raising: the cron goes on with the other backends."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                drifts = self.backend_id._reconcile_period(self)
                self.env["integration.reconciliation.line"].sudo().create(
                    [{"run_id": self.id, **{k: v for k, v in d.items() if k in LINE_FIELDS}} for d in drifts]
                )
        except Exception as exc:  # noqa: BLE001 - shown on the run, the cron goes on
            _logger.warning("reconciliation of %s failed", self.backend_id.name, exc_info=True)
            self.write(
                {
                    "state": "failed",
                    "finished_at": fields.Datetime.now(),
                    "error_message": f"{exc}\n\n{traceback.format_exc(limit=5)}",
                }
            )
            self.backend_id._notify_managers(
                self.env._("Reconciliation of %s failed", self.backend_id.name), str(exc)
            )
            return self
        self.write({"state": "done", "finished_at": fields.Datetime.now()})
        self.env["integration.audit"]._log(
            "reconciliation",
            f"{self.display_name}: {self.checked_count} checked, {len(drifts)} drift",
            backend_id=self.backend_id.id,
            company_id=self.company_id.id,
        )
        return self

    @api.model
    def _cron_reconcile(self):
        """Nightly: one run per active backend whose connector can compare a period."""
        backends = self.env["integration.backend"].search([("state", "in", ("active", "degraded"))])
        for backend in backends.filtered("can_reconcile"):
            self._start(backend, trigger="cron")
            self.env["ir.cron"]._commit_progress(1)

    def action_open_lines(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Drift"),
            "res_model": "integration.reconciliation.line",
            "view_mode": "list,form",
            "domain": [("run_id", "=", self.id)],
        }
