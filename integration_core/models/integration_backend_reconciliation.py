"""Reconciliation on the backend: the window settings and the connector hooks."""

from odoo import api, fields, models
from odoo.exceptions import UserError


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    reconcile_overlap_hours = fields.Integer(
        string="Overlap (hours)",
        default=2,
        help="Each run starts this long before the previous one ended, so nothing changed "
        "during a run is missed.",
    )
    reconcile_first_days = fields.Integer(
        string="First Run Covers (days)", default=2, help="How far back the first run looks."
    )
    can_reconcile = fields.Boolean(compute="_compute_can_reconcile")
    reconciliation_ids = fields.One2many("integration.reconciliation.run", "backend_id")
    open_drift_count = fields.Integer(compute="_compute_open_drift_count", string="Open Drift")

    @api.depends("kind")
    def _compute_can_reconcile(self):
        for backend in self:
            backend.can_reconcile = backend._reconcile_supported()

    def _compute_open_drift_count(self):
        counts = dict(
            self.env["integration.reconciliation.line"]._read_group(
                [("backend_id", "in", self.ids), ("state", "=", "open")], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.open_drift_count = counts.get(backend, 0)

    # ------------------------------------------------------------------ actions
    def action_reconcile_now(self):
        self.ensure_one()
        self._check_manager()  # it calls the vendor
        if not self.can_reconcile:
            raise UserError(self.env._("The connector of %s cannot compare a period yet.", self.name))
        run = self.env["integration.reconciliation.run"]._start(self)
        return {
            "type": "ir.actions.act_window",
            "res_model": run._name,
            "res_id": run.id,
            "view_mode": "form",
        }

    def action_open_reconciliations(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reconciliation"),
            "res_model": "integration.reconciliation.run",
            "view_mode": "list,form",
            "domain": [("backend_id", "=", self.id)],
        }

    def action_open_drift(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open drift"),
            "res_model": "integration.reconciliation.line",
            "view_mode": "list,form",
            "domain": [("backend_id", "=", self.id), ("state", "=", "open")],
        }

    # ------------------------------------------------------------------ contract
    def _reconcile_supported(self):
        """Whether the connector can compare a period (hook: connectors override it)."""
        return False

    def _reconcile_period(self, run):
        """Drift between the connected system and Odoo for `run`'s window: a list of dicts
        with the line fields (issue, reference, external_id, res_model, res_id, remote_value,
        odoo_value, payload, event_type, entity_key). Connectors override it and set
        `run.checked_count`."""
        raise UserError(self.env._("The connector of %s cannot compare a period yet.", self.name))

    def _reconcile_replay(self, line):
        """Ingest the line's remote version as an event: the connector's handler applies it."""
        event_id, _new = self.env["integration.event"]._ingest(
            self,
            line._replay_envelope(),
            line.payload,
            {},
            f"reconciliation-{line.run_id.id}",
            "reconciliation",
        )
        line.event_id = event_id

    def _reconcile_push(self, line):
        """Send Odoo's version of the line's record through the outbound queue (hook)."""
        raise UserError(self.env._("The connector of %s cannot push this record.", self.name))
