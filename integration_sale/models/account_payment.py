"""Payments belong to the deal of the invoices they pay."""

from odoo import models


class AccountPayment(models.Model):
    _name = "account.payment"
    _inherit = ["account.payment", "integration.deal.mixin"]

    def _integration_deal(self):
        own = self.integration_deal_id
        return own or (self.reconciled_invoice_ids | self.invoice_ids)._integration_deal()
