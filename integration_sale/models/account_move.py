"""Invoices belong to the deal of the order they invoice."""

from odoo import models


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "integration.deal.mixin"]

    def _integration_deal(self):
        own = self.integration_deal_id
        return own or self.invoice_line_ids.sale_line_ids.order_id.integration_deal_id
