"""What a document of a deal carries (sale orders, invoices, payments, contracts…)."""

from odoo import fields, models


class IntegrationDealMixin(models.AbstractModel):
    _name = "integration.deal.mixin"
    _description = "Document of an Integration Deal"

    integration_deal_id = fields.Many2one(
        "integration.deal",
        string="Deal",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        # A document made while an event of a deal is processed belongs to that deal.
        default=lambda self: self.env.context.get("integration_deal_id") or False,
    )

    def _integration_deal(self):
        """The deal of these documents; override to find it through a related document
        (an invoice through its order)."""
        return self.integration_deal_id

    def action_open_integration_deal(self):
        self.ensure_one()
        deal = self.sudo()._integration_deal()
        return self.env["integration.deal"]._action_for(deal[:1])
