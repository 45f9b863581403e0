"""The timeline of a deal: its events and outbound messages, across backends, in time order
(a read-only SQL view over both queues)."""

from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..const import EVENT_STATES


class IntegrationDealStep(models.Model):
    _name = "integration.deal.step"
    _description = "Integration Deal Timeline Step"
    _auto = False
    _order = "at, id"

    deal_id = fields.Many2one("integration.deal", readonly=True)
    correlation_id = fields.Char(related="deal_id.name", string="Deal Correlation ID")
    kind = fields.Selection([("event", "Received"), ("outbound", "Sent")], readonly=True)
    backend_id = fields.Many2one("integration.backend", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    name = fields.Char(string="Step", readonly=True)
    step_type = fields.Char(string="Type", readonly=True)
    state = fields.Selection(EVENT_STATES, readonly=True)
    at = fields.Datetime(string="When", readonly=True, help="When it happened at the vendor, or was queued.")
    received_at = fields.Datetime(string="Arrived / Queued", readonly=True)
    done_at = fields.Datetime(readonly=True)
    duration = fields.Float(
        string="Duration (s)", readonly=True, help="From arrival (or queueing) to done, in seconds."
    )
    attempts = fields.Integer(readonly=True)
    row_correlation_id = fields.Char(string="Delivery Correlation ID", readonly=True)
    error_message = fields.Text(string="Problem", readonly=True)
    event_id = fields.Many2one("integration.event", readonly=True)
    outbound_id = fields.Many2one("integration.outbound", readonly=True)
    res_model = fields.Char(readonly=True)
    res_id = fields.Many2oneReference(model_field="res_model", readonly=True)
    document_ref = fields.Reference(
        selection="_selection_models", compute="_compute_document_ref", string="Document"
    )

    @api.model
    def _selection_models(self):
        return self.env["integration.event"]._selection_models()

    @api.depends("res_model", "res_id")
    def _compute_document_ref(self):
        for step in self:
            known = step.res_model in self.env and step.res_id
            step.document_ref = f"{step.res_model},{step.res_id}" if known else False

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %s AS (
                    SELECT e.id * 2 AS id, e.deal_id, 'event' AS kind, e.backend_id, e.company_id,
                           COALESCE(e.summary, e.event_type) AS name, e.event_type AS step_type,
                           e.state, COALESCE(e.occurred_at, e.received_at) AS at,
                           e.received_at, e.done_at,
                           GREATEST(EXTRACT(EPOCH FROM (e.done_at - e.received_at)), 0) AS duration,
                           e.attempts, e.correlation_id AS row_correlation_id, e.error_message,
                           e.id AS event_id, NULL::integer AS outbound_id,
                           e.result_model AS res_model, e.result_res_id AS res_id
                      FROM integration_event e
                     WHERE e.deal_id IS NOT NULL
                    UNION ALL
                    SELECT o.id * 2 + 1, o.deal_id, 'outbound', o.backend_id, o.company_id,
                           o.operation, o.operation, o.state, o.create_date, o.create_date, o.done_at,
                           GREATEST(EXTRACT(EPOCH FROM (o.done_at - o.create_date)), 0),
                           o.attempts, o.correlation_id, o.error_message,
                           NULL, o.id, o.res_model, o.res_id
                      FROM integration_outbound o
                     WHERE o.deal_id IS NOT NULL
                )
                """,
                SQL.identifier(self._table),
            )
        )

    def action_open_row(self):
        self.ensure_one()
        row = self.event_id or self.outbound_id
        return {
            "type": "ir.actions.act_window",
            "res_model": row._name,
            "res_id": row.id,
            "view_mode": "form",
        }

    def action_open_document(self):
        self.ensure_one()
        if not self.document_ref:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
