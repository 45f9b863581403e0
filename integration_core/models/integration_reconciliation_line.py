"""One drift found by a reconciliation run, and what a person does about it."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.envelope import Envelope

ISSUES = [
    ("missing_odoo", "Missing in Odoo"),
    ("missing_remote", "Missing remotely"),
    ("differs", "Differs"),
]


class IntegrationReconciliationLine(models.Model):
    _name = "integration.reconciliation.line"
    _description = "Reconciliation Drift"
    _order = "id desc"
    _rec_name = "reference"

    run_id = fields.Many2one("integration.reconciliation.run", required=True, ondelete="cascade", index=True)
    backend_id = fields.Many2one(related="run_id.backend_id", store=True, index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    issue = fields.Selection(ISSUES, required=True, readonly=True)
    reference = fields.Char(required=True, readonly=True, help="What the record is, in the vendor's words.")
    external_id = fields.Char(string="External ID", readonly=True)
    res_model = fields.Char(string="Odoo Model", readonly=True)
    res_id = fields.Many2oneReference(model_field="res_model", string="Odoo Record ID", readonly=True)
    remote_value = fields.Char(string="Remotely", readonly=True)
    odoo_value = fields.Char(string="In Odoo", readonly=True)
    payload = fields.Text(readonly=True, help="The remote record as read, replayed as an event.")
    event_type = fields.Char(readonly=True)
    entity_key = fields.Char(readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("fixed", "Fixed"), ("accepted", "Accepted")],
        default="open",
        required=True,
        readonly=True,
        index=True,
    )
    event_id = fields.Many2one("integration.event", string="Replay Event", readonly=True)
    resolution = fields.Char(readonly=True)
    resolved_by = fields.Many2one("res.users", readonly=True)
    resolved_at = fields.Datetime(readonly=True)

    @api.depends("reference")
    def _compute_display_name(self):
        for line in self:
            line.display_name = line.reference

    # ------------------------------------------------------------------ actions
    def action_replay(self):
        """Bring the remote version into Odoo: it is processed as an event, with the same
        handler, ordering and Exceptions as a webhook delivery."""
        for line in self._open_lines():
            if not (line.payload and line.event_type):
                raise UserError(self.env._("Drift %s has no remote version to replay.", line.reference))
            line.backend_id._reconcile_replay(line)
            line._resolve("fixed", self.env._("Replayed from source"))
        return self._reload()

    def action_push(self):
        """Send Odoo's version to the connected system through the outbound queue."""
        for line in self._open_lines():
            line.backend_id._reconcile_push(line)
            line._resolve("fixed", self.env._("Pushed from Odoo"))
        return self._reload()

    def action_accept(self):
        """The difference is expected (e.g. a test record): keep both sides as they are."""
        for line in self._open_lines():
            line._resolve("accepted", self.env._("Accepted as is"))
        return self._reload()

    def action_open_record(self):
        self.ensure_one()
        if not (self.res_model and self.res_id):
            raise UserError(self.env._("This drift has no Odoo record."))
        return {"type": "ir.actions.act_window", "res_model": self.res_model, "res_id": self.res_id,
                "view_mode": "form"}  # fmt: skip

    def _open_lines(self):
        self.env["integration.backend"].check_access("write")  # Integration Managers only
        lines = self.filtered(lambda line: line.state == "open")
        if not lines:
            raise UserError(self.env._("These drift lines are already resolved."))
        return lines.sudo()

    def _resolve(self, state, resolution):
        self.write(
            {
                "state": state,
                "resolution": resolution,
                "resolved_by": self.env.uid,
                "resolved_at": fields.Datetime.now(),
            }
        )
        self.env["integration.audit"]._log(
            "reconciliation",
            f"{self.reference}: {resolution}",
            backend_id=self.backend_id.id,
            company_id=self.company_id.id,
        )

    def _reload(self):
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def _replay_envelope(self):
        return Envelope(
            external_event_id=f"reconciliation:{self.id}",
            event_type=self.event_type,
            entity_key=self.entity_key or self.external_id or "",
            occurred_at=fields.Datetime.now(),
        )
