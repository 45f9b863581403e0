"""Stripe payments: a captured charge or a succeeded payment intent becomes a posted payment
in the Stripe journal of its settlement currency, reconciled with the invoice it pays, and
its fee is booked from the balance transaction. Authorisations book nothing until captured;
Checkout Sessions paid by a delayed method show the invoice *In payment* until the money lands."""

from odoo import models
from odoo.addons.integration_core.exceptions import MappingError, PermanentError, RetryableError

from ..const import PAYMENT_EVENTS
from ..lib import mapping, schemas


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ payments
    def _stripe_payment(self, event, obj, stripe_event):
        payment = mapping.payment_of(obj)
        if not payment.amount:
            event._note_result(
                self.env._(
                    "Stripe payment %(ref)s is %(status)s, with nothing captured or received: nothing "
                    "booked (charge.captured or payment_intent.succeeded books it).",
                    ref=payment.reference,
                    status=payment.status,
                )
            )
            return None
        booked = self._stripe_booked(payment.key, *payment.extra_keys)
        if booked:
            if self._stripe_fee_pending(payment.balance_transaction):
                txn = self._stripe_balance_transaction(event, payment.balance_transaction)
                self._stripe_book_fee(event, txn, payment.charge_id, booked.partner_id)
            event._note_result(self.env._("Already booked as %s.", booked.display_name))
            return booked
        transaction = self._stripe_provider_transaction(payment)
        if transaction:
            event._note_result(
                self.env._(
                    "Recorded by Odoo's own Stripe payment provider (transaction %s): nothing booked here.",
                    transaction.reference,
                )
            )
            return transaction.payment_id or None
        if not self._check_inbound_policy(event, "payment", f"Stripe payment {payment.key}"):
            return None
        currency = self._currency_for(payment.currency)
        amount = self._stripe_amount(payment.amount, currency)
        date = self._stripe_date(payment.created)
        pending = self._stripe_bound("account.payment", f"{payment.key}:pending")
        chosen_customer = event._choice("on_account_partner_id")
        if chosen_customer or event._choice("on_account") or payment.metadata.get("odoo_on_account"):
            invoice = self.env["account.move"]
            partner = (
                self.env["res.partner"].browse(chosen_customer).exists()
                if chosen_customer
                else self._stripe_partner(payment.customer, payment.email, payment.metadata)
            ).commercial_partner_id
            if not partner:
                raise MappingError(
                    self.env._(
                        "To book Stripe payment %(ref)s on account, Odoo must know the customer, and no "
                        "contact matches the payer (%(email)s): click 'Choose the customer'.",
                        ref=payment.reference,
                        email=payment.email or self.env._("no email given"),
                    ),
                    fix="stripe_payment_without_invoice",
                    facts=self._stripe_payment_facts(payment, currency, amount, partner),
                )
            receivable = partner.property_account_receivable_id
            memo = f"Stripe {payment.reference} (on account)"
        else:
            invoice = pending.reconciled_invoice_ids[:1] or self._stripe_invoice_for(
                event, payment, currency, amount, stripe_event
            )
            partner = invoice.commercial_partner_id
            receivable = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")[
                :1
            ].account_id
            memo = f"Stripe {payment.reference} {invoice.name}"
        # The settlement currency and fee: read once the invoice is known (a payment without
        # invoice fails before any call to Stripe).
        txn = self._stripe_balance_transaction(event, payment.balance_transaction)
        if pending:
            self._stripe_cancel_pending(pending)
        record = self._stripe_book_money(txn, "inbound", partner, amount, currency, receivable, date, memo)
        if invoice:
            self._stripe_reconcile_documents(record, invoice, receivable)
        else:
            event._note_result(
                self.env._("Booked on the account of %s, to match with an invoice later.", partner.name)
            )
        self._stripe_bind(record, payment.key, event)
        if payment.customer and not self._stripe_bound("res.partner", payment.customer):
            self._stripe_bind(partner, payment.customer, event)
        self._stripe_book_fee(event, txn, payment.charge_id, partner)
        return record

    def _stripe_fee_pending(self, ref):
        """A balance transaction whose fee may still have to be booked (not read yet)."""
        txn_id = ref.id if isinstance(ref, schemas.BalanceTransaction) else ref
        return bool(txn_id) and not self._stripe_bound("account.move", txn_id)

    def _stripe_provider_transaction(self, payment):
        """When Odoo's `payment_stripe` took this payment (portal, eCommerce) it records it
        itself: the same Stripe account may notify both, and the payment must land once."""
        if "payment.transaction" not in self.env:
            return None
        references = [ref for ref in (payment.payment_intent_id, payment.charge_id, payment.key) if ref]
        return (
            self.env["payment.transaction"]
            .sudo()
            .search([("provider_code", "=", "stripe"), ("provider_reference", "in", references)], limit=1)
        )

    def _stripe_invoice_for(self, event, payment, currency, amount, stripe_event):
        """The Odoo invoice a Stripe payment pays: the Stripe Billing invoice it pays (named on
        the charge before API version 2025-03-31, by an invoice_payment after), else the
        `odoo_invoice` metadata (payment links and checkout sessions carry it), else one open
        invoice of the customer for that amount and currency. Else a failed event a finance
        person can act on."""
        moves = self.env["account.move"]
        base = [
            ("company_id", "=", self.company_id.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
        ]
        what = f"{self._stripe_text(payment.amount, currency)} ({payment.reference})"
        billing_id = payment.invoice or self._stripe_invoice_paid_by(payment)
        billing_invoice = self._stripe_bound("account.move", billing_id)
        if billing_invoice.state == "posted" and billing_invoice.payment_state in ("not_paid", "partial"):
            return billing_invoice  # a Stripe Billing invoice copied into Odoo
        chosen = event._choice("invoice_id")
        if chosen:
            invoice = moves.search([*base, ("id", "=", chosen), ("currency_id", "=", currency.id)])
            if invoice.payment_state in ("not_paid", "partial"):
                return invoice
            raise MappingError(
                self.env._(
                    "The invoice chosen for Stripe payment %(what)s is no longer open (paid, cancelled "
                    "or in another currency): choose another with 'Match an invoice'.",
                    what=what,
                ),
                fix="stripe_payment_without_invoice",
                facts=self._stripe_payment_facts(payment, currency, amount, self.env["res.partner"]),
            )
        reference = payment.metadata.get("odoo_invoice")
        if reference:
            invoice = moves.search([*base, ("name", "=", reference)], limit=1)
            if not invoice:
                raise MappingError(
                    self.env._(
                        "Stripe payment %(what)s names invoice %(ref)s, which is not a posted customer "
                        "invoice of %(company)s. Post the invoice (or correct the metadata in the "
                        "payload), then retry.",
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
        partner = self._stripe_partner(payment.customer, payment.email, payment.metadata)
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
        if stripe_event.has_invoice_payments and self._inbound_policy("invoice") == "apply":
            # On current API versions the invoice comes in its own invoice_payment.paid event.
            raise RetryableError(
                self.env._(
                    "Stripe payment %(what)s names no invoice; on API version %(version)s the Stripe "
                    "invoice it pays comes in an invoice_payment.paid event. Retried until it arrives.",
                    what=what,
                    version=stripe_event.api_version,
                )
            )
        raise MappingError(
            self.env._(
                "Payment without invoice: Stripe received %(what)s from %(who)s, and no open Odoo "
                "invoice of that customer matches its amount and currency. Click 'Match an invoice' "
                "to choose the invoice it pays; or create the invoice and retry; or book it on the "
                "customer's account, to match with an invoice later ('%(on_account)s').",
                what=what,
                who=partner.display_name
                if partner
                else (payment.email or payment.customer or self.env._("an unknown customer")),
                on_account=self.env._("Book on account") if partner else self.env._("Choose the customer"),
            ),
            fix="stripe_payment_without_invoice",
            facts=self._stripe_payment_facts(payment, currency, amount, partner),
        )

    def _stripe_payment_facts(self, payment, currency, amount, partner):
        """What the pickers of a payment without invoice need (Match an invoice, Choose the
        customer, Book on account)."""
        return {
            "amount": str(amount),
            "currency": currency.name,
            "partner_id": partner.commercial_partner_id.id or False,
            "email": payment.email or "",
            "reference": payment.reference,
        }

    def _stripe_invoice_paid_by(self, payment):
        """The Stripe invoice id an invoice_payment event (API 2025-03-31 on) names for this
        payment, from the event store (it may arrive before or after the payment)."""
        stored = self.env["integration.event"].search(
            [
                ("backend_id", "=", self.id),
                ("event_type", "=", "invoice_payment.paid"),
                ("entity_key", "in", [payment.key, *payment.extra_keys]),
            ],
            limit=1,
        )
        if not stored:
            return None
        return schemas.parse_json(schemas.Event, stored.payload).typed_object().invoice

    def _stripe_invoice_payment(self, event, invoice_payment, stripe_event):
        """invoice_payment.paid (API 2025-03-31 on): the payment it names pays the Stripe
        invoice. Booked already: reconciled now; else the payment's own event books it."""
        booked = self._stripe_booked(invoice_payment.payment_key)
        invoice = self._stripe_bound("account.move", invoice_payment.invoice)
        if not booked:
            waiting = self.env["integration.event"].search(
                [
                    ("backend_id", "=", self.id),
                    ("entity_key", "=", invoice_payment.payment_key),
                    ("event_type", "in", list(PAYMENT_EVENTS)),
                    ("state", "in", ("failed", "retry")),
                ]
            )
            waiting.filtered(lambda e: e.state == "failed")._requeue(
                "retried: invoice_payment.paid names its invoice (%s)"
            )
            event._note_result(
                self.env._(
                    "Invoice %(invoice)s is paid by %(payment)s; the payment's own event books it.",
                    invoice=invoice_payment.invoice,
                    payment=invoice_payment.payment_key or "?",
                )
            )
            return invoice or None
        if (
            invoice
            and invoice.payment_state in ("not_paid", "partial")
            and not (booked.reconciled_invoice_ids if booked._name == "account.payment" else False)
        ):
            receivable = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")[
                :1
            ].account_id
            self._stripe_reconcile_documents(booked, invoice, receivable)
        return booked

    # ------------------------------------------------------------------ checkout sessions
    def _stripe_checkout_session(self, event, session, stripe_event):
        """A Checkout Session: paid at once, its payment's events book it. Paid by a delayed
        method (SEPA debit, bank transfer), completed `unpaid`: a payment *in process* on
        Odoo's outstanding account marks the invoice *In payment*; the payment's
        charge.succeeded books the money when it lands, async_payment_failed cancels it."""
        key = session.payment_intent or session.id
        pending = self._stripe_bound("account.payment", f"{key}:pending")
        if event.event_type == "checkout.session.async_payment_failed":
            if pending and pending.state != "canceled":
                invoice = pending.reconciled_invoice_ids[:1]
                self._stripe_cancel_pending(pending)
                event._note_result(
                    self.env._(
                        "The delayed payment of Checkout Session %(session)s failed: invoice %(invoice)s "
                        "is open again.",
                        session=session.id,
                        invoice=invoice.name or "-",
                    )
                )
                return pending
            event._note_result(self.env._("The payment failed before anything was booked."))
            return None
        if session.mode != "payment":
            event._note_result(
                self.env._("Checkout Session %s is not a payment: nothing booked.", session.id)
            )
            return None
        if session.payment_status != "unpaid" or event.event_type != "checkout.session.completed":
            booked = self._stripe_booked(key)
            event._note_result(
                self.env._(
                    "Checkout Session %s is paid: its payment's events (charge.succeeded / "
                    "payment_intent.succeeded) book the money.",
                    session.id,
                )
            )
            return booked or None
        if pending or self._stripe_booked(key):
            return pending or self._stripe_booked(key)
        if not self._check_inbound_policy(event, "payment", f"Stripe Checkout Session {session.id}"):
            return None
        reference = session.metadata.get("odoo_invoice") or session.client_reference_id
        invoice = self.env["account.move"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("name", "=", reference or ""),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            limit=1,
        )
        if not invoice:
            event._note_result(
                self.env._(
                    "Checkout Session %s names no open Odoo invoice (odoo_invoice metadata or client "
                    "reference): the payment is booked when the money lands.",
                    session.id,
                )
            )
            return None
        if session.amount_total is None or not session.currency:
            raise PermanentError(self.env._("Checkout Session %s has no amount_total.", session.id))
        currency = self._currency_for(session.currency)
        amount = self._stripe_amount(session.amount_total, currency)
        receivable = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")[
            :1
        ].account_id
        pending = self._stripe_post_payment(
            "inbound",
            invoice.commercial_partner_id,
            amount,
            currency,
            self._stripe_journal(currency),
            self._stripe_date(stripe_event.created),
            f"Stripe {session.id} {invoice.name} (on its way)",
            receivable,
            landed=False,
        )
        self._stripe_reconcile_documents(pending, invoice, receivable)
        self._stripe_bind(pending, f"{key}:pending", event)
        return pending

    def _stripe_cancel_pending(self, pending):
        """Undo a payment *in process*: the invoice is open again."""
        if pending.move_id:
            pending.move_id.line_ids.remove_move_reconcile()
        pending.invoice_ids.matched_payment_ids -= pending
        pending.reconciled_invoice_ids.matched_payment_ids -= pending
        pending.action_draft()
        pending.action_cancel()
