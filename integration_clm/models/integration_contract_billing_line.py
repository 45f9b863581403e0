"""One step of a contract's billing plan: a milestone (invoiced by sale_project when it is
reached) or a date (a down payment of the percentage when it falls due)."""

from odoo import fields, models


class IntegrationContractBillingLine(models.Model):
    _name = "integration.contract.billing.line"
    _description = "Contract Billing Step"
    _order = "contract_id, sequence, id"

    contract_id = fields.Many2one("integration.contract", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True)
    kind = fields.Selection(
        [("milestone", "Milestone"), ("date", "Date")], default="milestone", required=True
    )
    percentage = fields.Float(required=True, help="Share of the order this step invoices.")
    due_date = fields.Date(help="Date steps: invoiced from this day. Milestones: the deadline.")
    milestone_id = fields.Many2one("project.milestone", readonly=True, copy=False)
    is_reached = fields.Boolean(related="milestone_id.is_reached", readonly=False)
    invoice_id = fields.Many2one("account.move", readonly=True, copy=False)

    _percentage_range = models.Constraint(
        "CHECK (percentage > 0 AND percentage <= 100)", "A billing step is between 0 and 100 % of the order."
    )
