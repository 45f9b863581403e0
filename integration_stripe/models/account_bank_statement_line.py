"""A bank statement line imported after the Stripe payout it receives is matched with it."""

from datetime import timedelta

from odoo import api, models

from .integration_backend_payouts import BANK_DAYS_AFTER, BANK_DAYS_BEFORE


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        incoming = lines.filtered(lambda line: line.amount > 0)
        if incoming:
            payouts = (
                self.env["integration.stripe.payout"]
                .sudo()
                .search(
                    [
                        ("company_id", "in", incoming.company_id.ids),
                        ("state", "=", "paid"),
                        ("bank_line_id", "=", False),
                        ("move_id", "!=", False),
                        (
                            "arrival_date",
                            ">=",
                            min(incoming.mapped("date")) - timedelta(days=BANK_DAYS_AFTER),
                        ),
                        (
                            "arrival_date",
                            "<=",
                            max(incoming.mapped("date")) + timedelta(days=BANK_DAYS_BEFORE),
                        ),
                    ]
                )
            )
            payouts._match_bank_line()
        return lines
