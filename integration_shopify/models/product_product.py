from odoo import fields, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    shopify_inventory_item_id = fields.Char(copy=False, help="Where this variant's stock level is pushed.")
