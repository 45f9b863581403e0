"""Stripe payments: a charge or payment intent becomes a posted payment in the Stripe journal,
reconciled with the invoice it pays, and its fee is booked from the balance transaction."""

from odoo import models
from odoo.addons.integration_core.exceptions import (
    MappingError,
    PermanentError,
)

from ..lib import mapping


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ payments
    def _stripe_payment(self, event, obj):
        facts = mapping.payment_facts(obj)
        payment = self._stripe_bound("account.payment", facts.key, *facts.extra_keys)
        if payment:
            self._stripe_fee(event, facts.balance_transaction, facts.charge_id, payment.partner_id)
            event._note_result(self.env._("Already booked as %s.", payment.display_name))
            return payment
        transaction = self._stripe_provider_transaction(facts)
        if transaction:
            event._note_result(
                self.env._(
                    "Recorded by Odoo's own Stripe payment provider (transaction %s): nothing booked here.",
                    transaction.reference,
                )
            )
            return transaction.payment_id or None
        policy = self._inbound_policy("payment")
        if policy == "ignore":
            event._note_result(self.env._("Ignored: Odoo is the system of record for payments."))
            return None
        if policy == "review":
            raise PermanentError(
                self.env._(
                    "Stripe payment %s arrived, but Odoo is the system of record for payments on "
                    "this backend. Register it by hand or change the System of Record tab, then replay.",
                    facts.key,
                )
            )
        currency = self._stripe_currency(facts.currency)
        amount = self._stripe_amount(facts.amount, currency)
        journal = self._stripe_journal(currency)
        if (facts.metadata or {}).get("odoo_on_account"):
            return self._stripe_payment_on_account(event, facts, currency, amount, journal)
        invoice = self._stripe_invoice_for(facts, currency, amount)
        receivable = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")[
            :1
        ].account_id
        payment = self._stripe_post_payment(
            "inbound",
            invoice.commercial_partner_id,
            amount,
            currency,
            journal,
            self._stripe_date(facts.created),
            f"Stripe {facts.charge_id or facts.key} {invoice.name}",
            receivable,
        )
        self._stripe_reconcile_documents(payment, invoice)
        self._stripe_bind(payment, facts.key, event)
        if facts.customer and not self._stripe_bound("res.partner", facts.customer):
            self._stripe_bind(invoice.commercial_partner_id, facts.customer, event)
        self._stripe_fee(event, facts.balance_transaction, facts.charge_id, payment.partner_id)
        return payment

    def _stripe_payment_on_account(self, event, facts, currency, amount, journal):
        """A customer payment left open on the customer's account (Book on account)."""
        partner = self._stripe_partner_for(facts).commercial_partner_id
        if not partner:
            raise MappingError(
                self.env._(
                    "To book Stripe payment %(ref)s on account, Odoo must know the customer: put the "
                    "contact's id in the metadata as odoo_partner_id (Edit and resubmit), or create a "
                    "contact with the payer's email (%(email)s), then retry.",
                    ref=facts.charge_id or facts.key,
                    email=facts.email or "-",
                )
            )
        payment = self._stripe_post_payment(
            "inbound",
            partner,
            amount,
            currency,
            journal,
            self._stripe_date(facts.created),
            f"Stripe {facts.charge_id or facts.key} (on account)",
            partner.property_account_receivable_id,
        )
        self._stripe_bind(payment, facts.key, event)
        self._stripe_fee(event, facts.balance_transaction, facts.charge_id, partner)
        event._note_result(
            self.env._("Booked on the account of %s, to match with an invoice later.", partner.name)
        )
        return payment

    def _stripe_provider_transaction(self, facts):
        """When Odoo's `payment_stripe` took this payment (portal, eCommerce) it records it
        itself: the same Stripe account may notify both, and the payment must land once."""
        if "payment.transaction" not in self.env:
            return None
        references = [ref for ref in (facts.payment_intent_id, facts.charge_id, facts.key) if ref]
        return (
            self.env["payment.transaction"]
            .sudo()
            .search([("provider_code", "=", "stripe"), ("provider_reference", "in", references)], limit=1)
        )

    def _stripe_invoice_for(self, facts, currency, amount):
        """The Odoo invoice a Stripe payment pays: the `odoo_invoice` metadata (payment links
        and checkout sessions carry it), else one open invoice of the customer for that amount
        and currency. Else a failed event a finance person can act on."""
        moves = self.env["account.move"]
        base = [
            ("company_id", "=", self.company_id.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
        ]
        what = f"{self._stripe_text(facts.amount, currency)} ({facts.charge_id or facts.key})"
        billing_invoice = self._stripe_bound("account.move", facts.invoice)
        if billing_invoice.state == "posted" and billing_invoice.payment_state in ("not_paid", "partial"):
            return billing_invoice  # a Stripe Billing invoice copied into Odoo
        reference = (facts.metadata or {}).get("odoo_invoice")
        if reference:
            invoice = moves.search([*base, ("name", "=", reference)], limit=1)
            if not invoice:
                raise MappingError(
                    self.env._(
                        "Stripe payment %(what)s names invoice %(ref)s, which is not a posted customer "
                        "invoice of %(company)s. Post the invoice (or correct the metadata in the "
                        "payload), then replay.",
                        what=what,
                        ref=reference,
                        company=self.company_id.name,
                    )
                )
            if invoice.payment_state in ("paid", "in_payment", "reversed"):
                raise MappingError(
                    self.env._(
                        "Stripe payment %(what)s is for invoice %(ref)s, which is already paid. Check "
                        "for a double payment: refund it in Stripe, or register it on the customer's "
                        "account by hand, then ignore this event.",
                        what=what,
                        ref=reference,
                    )
                )
            return invoice
        partner = self._stripe_partner_for(facts)
        if partner:
            candidates = moves.search(
                [
                    *base,
                    ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                    ("currency_id", "=", currency.id),
                    ("payment_state", "in", ("not_paid", "partial")),
                ],
                order="invoice_date, id",
            )
            matching = candidates.filtered(
                lambda inv: currency.compare_amounts(inv.amount_residual, amount) == 0
            )
            if matching:
                return matching[0]
        raise MappingError(
            self.env._(
                "Payment without invoice: Stripe received %(what)s from %(who)s, and no open Odoo "
                "invoice matches it (no odoo_invoice metadata, no open invoice of that customer for "
                "that amount and currency). Either match it manually: put the invoice number in the "
                "payload's metadata as odoo_invoice with 'Edit and resubmit'; or create the invoice "
                "and retry; or click 'Book on account' to register it as a customer payment on "
                "account, to match with an invoice later.",
                what=what,
                who=partner.display_name
                if partner
                else (facts.email or facts.customer or self.env._("an unknown customer")),
            )
        )

    def _stripe_partner_for(self, facts):
        partner = self._stripe_bound("res.partner", facts.customer)
        if partner:
            return partner
        partners = self.env["res.partner"]
        partner_id = str((facts.metadata or {}).get("odoo_partner_id") or "")
        if partner_id.isdigit():
            return partners.browse(int(partner_id)).exists()
        if self.stripe_customer_matching == "metadata":
            return partners
        if facts.email:
            return partners.search([("email", "=ilike", facts.email)], limit=1)
        return partners

    def _stripe_fee(self, event, balance_transaction, source_id, partner):
        """Book the fee of a balance transaction (expanded in the payload, else read from the
        API) to the fee account, once per transaction."""
        if not balance_transaction:
            return self.env["account.move"]
        txn_id = mapping._id(balance_transaction)
        fee_move = self._stripe_bound("account.move", txn_id)
        if fee_move:
            return fee_move
        if not isinstance(balance_transaction, dict):
            if not self._stripe_has_key():
                event._note_result(self.env._("Fee not booked: no Stripe secret key to read %s.", txn_id))
                return fee_move
            balance_transaction = self._stripe_client(event.correlation_id).balance_transaction(txn_id)
        txn_id, fee, currency_code = mapping.fee_of(balance_transaction)
        if not fee:
            return fee_move
        currency = self._stripe_currency(currency_code)
        journal = self._stripe_journal(currency)
        amount = self._stripe_amount(fee, currency)
        fee_account = self._stripe_required_account("stripe_fee_account_id")
        date = self._stripe_date(mapping.to_datetime(balance_transaction.get("created")))
        fee_move = self._stripe_entry(
            journal,
            currency,
            date,
            f"Stripe fee {source_id or ''} {txn_id}".strip(),
            [(fee_account, amount), (journal.default_account_id, -amount)],
            partner=partner,
        )
        self._stripe_bind(fee_move, txn_id, event)
        return fee_move
