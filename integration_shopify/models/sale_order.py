from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    shopify_financial_status = fields.Char(
        string="Shopify Payment Status",
        copy=False,
        readonly=True,
        help="financial_status of the Shopify order.",
    )
