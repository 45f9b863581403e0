"""A Shopify Payments payout as booked in Odoo: the transfer to the bank and the fees, checked
against the balance transactions it settles."""

from odoo import api, fields, models


class IntegrationShopifyPayout(models.Model):
    _name = "integration.shopify.payout"
    _description = "Shopify Payments Payout"
    _order = "issued_at desc, id desc"

    name = fields.Char(string="Payout", required=True, readonly=True)
    backend_id = fields.Many2one(
        "integration.backend", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    issued_at = fields.Datetime(readonly=True)
    amount = fields.Monetary(readonly=True, help="What Shopify paid out to the bank.")
    gross = fields.Monetary(readonly=True, help="The settled transactions before fees.")
    fees = fields.Monetary(readonly=True, help="Shopify Payments fees of the settled transactions.")
    transactions_net = fields.Monetary(readonly=True, help="What the settled balance transactions add up to.")
    transaction_count = fields.Integer(readonly=True)
    difference = fields.Monetary(compute="_compute_difference", store=True)
    has_difference = fields.Boolean(compute="_compute_difference", store=True)
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True)

    _backend_name_unique = models.UniqueIndex("(backend_id, name)")

    @api.depends("amount", "transactions_net", "currency_id")
    def _compute_difference(self):
        for payout in self:
            payout.difference = payout.amount - payout.transactions_net
            payout.has_difference = not payout.currency_id.is_zero(payout.difference)
