from odoo import fields, models


class IntegrationShopifyGateway(models.Model):
    _name = "integration.shopify.gateway"
    _description = "Shopify Payment Gateway"
    _order = "backend_id, gateway, id"
    _rec_name = "gateway"

    backend_id = fields.Many2one("integration.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    gateway = fields.Char(
        required=True,
        help="Shopify's gateway name as orders and refunds carry it, e.g. shopify_payments, paypal.",
    )
    journal_id = fields.Many2one(
        "account.journal",
        required=True,
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash'))]",
        help="Where payments and refunds through this gateway are registered.",
    )

    _backend_gateway_unique = models.UniqueIndex("(backend_id, gateway)")
