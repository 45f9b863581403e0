"""A Stripe payout as booked in Odoo, checked against its balance transactions: the sum of
charges - refunds - fees - disputes that Odoo booked must equal the payout."""

from odoo import api, fields, models

from ..lib import money


class IntegrationStripePayout(models.Model):
    _name = "integration.stripe.payout"
    _description = "Stripe Payout"
    _order = "arrival_date desc, id desc"

    name = fields.Char(string="Payout", required=True, readonly=True)
    backend_id = fields.Many2one(
        "integration.backend", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(readonly=True, help="What Stripe paid out to the bank.")
    booked_amount = fields.Monetary(
        string="Booked in Odoo", readonly=True, help="Sum of the payout's transactions as Odoo booked them."
    )
    difference = fields.Monetary(compute="_compute_difference", store=True)
    has_difference = fields.Boolean(compute="_compute_difference", store=True)
    checked = fields.Boolean(readonly=True, help="The payout's balance transactions were read from Stripe.")
    transaction_count = fields.Integer(readonly=True)
    missing_count = fields.Integer(string="Not in Odoo", readonly=True)
    transactions = fields.Text(readonly=True, help="The payout's balance transactions and what Odoo booked.")
    arrival_date = fields.Date(readonly=True)
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True)
    state = fields.Selection([("paid", "Paid"), ("failed", "Failed")], required=True, readonly=True)

    _backend_name_unique = models.UniqueIndex("(backend_id, name)")

    @api.depends("amount", "booked_amount", "checked", "currency_id")
    def _compute_difference(self):
        for payout in self:
            payout.difference = payout.amount - payout.booked_amount if payout.checked else 0.0
            payout.has_difference = payout.checked and not payout.currency_id.is_zero(payout.difference)

    def _check_transactions(self, transactions):
        """Compare each balance transaction of the payout with what Odoo booked for it."""
        self.ensure_one()
        backend, currency = self.backend_id, self.currency_id
        decimals = currency.decimal_places
        booked, missing, lines = 0, 0, []
        count = 0
        for txn in transactions:
            if txn.get("type") == "payout":
                continue
            count += 1
            odoo_net = backend._stripe_booked_net(txn)
            source = txn.get("source")
            source_id = source.get("id") if isinstance(source, dict) else source
            stripe_text = money.format_minor(txn.get("net") or 0, decimals, currency.name)
            if odoo_net is None:
                missing += 1
                status = self.env._("NOT IN ODOO")
            else:
                booked += odoo_net
                status = self.env._("booked %s", money.format_minor(odoo_net, decimals, currency.name))
            lines.append(f"{txn.get('id')} {txn.get('type')} {source_id or ''}: net {stripe_text}, {status}")
        self.write(
            {
                "checked": True,
                "booked_amount": float(money.to_amount(booked, decimals)),
                "transaction_count": count,
                "missing_count": missing,
                "transactions": "\n".join(lines),
            }
        )
