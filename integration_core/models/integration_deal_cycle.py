"""One step of one deal, measured against its objective (graph and pivot on the dashboard,
histograms in /integration/metrics)."""

from odoo import api, fields, models

from .integration_cycle_objective import CYCLE_STEP_SELECTION

# Histogram buckets of /integration/metrics, in minutes (15 min … 30 days).
CYCLE_BUCKETS = (15, 60, 240, 1440, 10080, 43200)


class IntegrationDealCycle(models.Model):
    _name = "integration.deal.cycle"
    _description = "Deal Cycle Time"
    _order = "deal_id desc, started_at"

    deal_id = fields.Many2one(
        "integration.deal", required=True, ondelete="cascade", index=True, readonly=True
    )
    backend_id = fields.Many2one(related="deal_id.origin_backend_id", store=True, string="Started In")
    company_id = fields.Many2one(related="deal_id.company_id", store=True)
    step = fields.Selection(CYCLE_STEP_SELECTION, required=True, readonly=True)
    started_at = fields.Datetime(readonly=True)
    ended_at = fields.Datetime(readonly=True, help="Empty while the step is still running.")
    minutes = fields.Float(
        string="Duration (min)", readonly=True, aggregator="avg", help="So far, while it runs."
    )
    objective_minutes = fields.Integer(string="Objective (min)", readonly=True, aggregator="max")
    is_breached = fields.Boolean(string="Over Objective", readonly=True, index=True)
    alerted_at = fields.Datetime(readonly=True, help="When the managers were told of the breach.")

    _deal_step_unique = models.UniqueIndex("(deal_id, step)")

    @api.depends("deal_id", "step")
    def _compute_display_name(self):
        labels = dict(CYCLE_STEP_SELECTION)
        for cycle in self:
            cycle.display_name = f"{cycle.deal_id.display_name}: {labels.get(cycle.step, '')}"

    def action_open_deal(self):
        self.ensure_one()
        return self.env["integration.deal"]._action_for(self.deal_id)
