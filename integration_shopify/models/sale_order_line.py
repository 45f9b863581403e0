from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    shopify_line_ref = fields.Char(
        string="Shopify Line",
        copy=False,
        index="btree_not_null",
        help="Which line of the Shopify order this line mirrors (line item id, shipping:…, "
        "discount:…, tax:…): edits in Shopify update this line instead of adding one.",
    )
