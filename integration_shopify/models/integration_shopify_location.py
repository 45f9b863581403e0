from odoo import fields, models


class IntegrationShopifyLocation(models.Model):
    _name = "integration.shopify.location"
    _description = "Shopify Location"
    _order = "backend_id, sequence, id"

    backend_id = fields.Many2one("integration.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    location_ref = fields.Char(
        string="Shopify Location ID", required=True, help="Numeric id of the location."
    )
    name = fields.Char(help="The location's name in Shopify, for people.")
    warehouse_id = fields.Many2one("stock.warehouse", required=True, check_company=True)

    _backend_location_unique = models.UniqueIndex("(backend_id, location_ref)")
