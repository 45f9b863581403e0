"""A Stripe payout as booked in Odoo, checked against its balance transactions (what Odoo
moved the Stripe balance by for each must equal its `net`) and matched with the bank
statement line that received it."""

from odoo import api, fields, models
from odoo.addons.integration_core.lib import money


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
    not_checked_reason = fields.Char(
        readonly=True, help="Why Odoo could not check the payout's transactions."
    )
    check_state = fields.Selection(
        [("not_checked", "Not checked"), ("matches", "Matches"), ("difference", "Difference")],
        string="Check",
        compute="_compute_difference",
        store=True,
        help="Whether what Stripe paid out equals what Odoo booked for the payout's transactions.",
    )
    transaction_count = fields.Integer(readonly=True)
    missing_count = fields.Integer(string="Not in Odoo", readonly=True)
    transactions = fields.Text(readonly=True, help="The payout's balance transactions and what Odoo booked.")
    arrival_date = fields.Date(readonly=True)
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True)
    bank_line_id = fields.Many2one(
        "account.bank.statement.line",
        string="Bank Statement Line",
        readonly=True,
        help="The bank statement line that received the payout, reconciled with it.",
    )
    state = fields.Selection([("paid", "Paid"), ("failed", "Failed")], required=True, readonly=True)

    _backend_name_unique = models.UniqueIndex("(backend_id, name)")

    @api.depends("amount", "booked_amount", "checked", "currency_id")
    def _compute_difference(self):
        for payout in self:
            payout.difference = payout.amount - payout.booked_amount if payout.checked else 0.0
            payout.has_difference = payout.checked and not payout.currency_id.is_zero(payout.difference)
            payout.check_state = (
                ("difference" if payout.has_difference else "matches") if payout.checked else "not_checked"
            )

    def _check_transactions(self, transactions):
        """Compare each balance transaction of the payout (typed) with what Odoo booked."""
        self.ensure_one()
        backend, currency = self.backend_id, self.currency_id
        booked, missing, lines = 0, 0, []
        count = 0
        for txn in transactions:
            if txn.type == "payout":
                continue
            count += 1
            odoo_net = backend._stripe_booked_net(txn)
            stripe_text = backend._stripe_text(txn.net, currency)
            if odoo_net is None:
                missing += 1
                status = self.env._("NOT IN ODOO")
            else:
                booked += odoo_net
                status = self.env._("booked %s", backend._stripe_text(odoo_net, currency))
                if odoo_net != txn.net:
                    status += self.env._(" (differs)")
            lines.append(f"{txn.id} {txn.type} {txn.source_id or ''}: net {stripe_text}, {status}")
        self.write(
            {
                "checked": True,
                "not_checked_reason": False,
                "booked_amount": float(money.minor_to_amount(booked, currency.name, "stripe")),
                "transaction_count": count,
                "missing_count": missing,
                "transactions": "\n".join(lines),
            }
        )

    def _match_bank_line(self):
        """Reconcile the payout's transfer line with the bank statement line that received
        it (same amount and currency, nearest date): the bank reconciliation closes the loop."""
        for payout in self.filtered(lambda p: p.state == "paid" and p.move_id and not p.bank_line_id):
            backend = payout.backend_id
            account = backend._stripe_payout_account()
            transfer = payout.move_id.line_ids.filtered(
                lambda line, account=account: line.account_id == account and not line.reconciled
            )
            st_line = backend._stripe_bank_line_for(payout.currency_id, payout.amount, payout.arrival_date)
            if not transfer or not st_line:
                continue
            _liquidity, suspense, _other = st_line._seek_for_lines()
            move = st_line.move_id
            move.button_draft()
            suspense.with_context(skip_account_move_synchronization=True).write(
                {"account_id": transfer.account_id.id, "name": payout.name}
            )
            move.action_post()
            (suspense | transfer).reconcile()
            payout.bank_line_id = st_line

    def action_match_bank_line(self):
        self._match_bank_line()
        return True
