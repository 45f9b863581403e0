"""Orders, invoices and payments made by a connector lead to their vendor events."""

from odoo import models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "integration.document.mixin"]


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "integration.document.mixin"]


class AccountPayment(models.Model):
    _name = "account.payment"
    _inherit = ["account.payment", "integration.document.mixin"]
