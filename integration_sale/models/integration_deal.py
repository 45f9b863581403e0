"""A deal's sales documents: its quotation/order, invoices and payments."""

from odoo import api, fields, models


class IntegrationDeal(models.Model):
    _inherit = "integration.deal"

    sale_order_ids = fields.One2many("sale.order", "integration_deal_id", string="Orders")
    invoice_ids = fields.One2many(
        "account.move",
        "integration_deal_id",
        string="Invoices",
        domain=[("move_type", "in", ("out_invoice", "out_refund"))],
    )
    payment_ids = fields.One2many("account.payment", "integration_deal_id", string="Payments")
    partner_id = fields.Many2one(
        "res.partner", compute="_compute_partner_id", string="Customer", store=True, index=True
    )

    @api.depends("sale_order_ids.partner_id")
    def _compute_partner_id(self):
        for deal in self:
            deal.partner_id = deal.sale_order_ids[:1].partner_id
