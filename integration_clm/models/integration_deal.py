"""A deal's contracts."""

from odoo import fields, models


class IntegrationDeal(models.Model):
    _inherit = "integration.deal"

    contract_ids = fields.One2many("integration.contract", "integration_deal_id", string="Contracts")

    def _cycle_milestones(self):
        marks = super()._cycle_milestones()
        contracts = self.contract_ids | self.sale_order_ids.clm_contract_ids
        sent = [
            contract.sent_at or contract.create_date for contract in contracts if contract.state != "draft"
        ]
        if sent:
            marks["contract_sent"] = min(sent)
        signed = [
            contract.signed_date
            for contract in contracts
            if contract.state == "signed" and contract.signed_date
        ]
        if signed:
            marks["contract_signed"] = min(signed)
        return marks
