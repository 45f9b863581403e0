"""A deal's contracts."""

from odoo import fields, models


class IntegrationDeal(models.Model):
    _inherit = "integration.deal"

    contract_ids = fields.One2many("integration.contract", "integration_deal_id", string="Contracts")
