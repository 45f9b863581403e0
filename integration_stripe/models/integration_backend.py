"""The `stripe` backend kind: webhook signature and envelope, one handler per event type,
payment links sent through the outbound queue, reconciliation of balance transactions.

Accounting model: the Stripe balance is a bank-type journal per currency. Payments and
refunds are `account.payment` records straight on the journal's account (the money is in
the Stripe balance), fees, disputes and payouts are journal entries in the same journal, so
the journal's balance follows the Stripe balance."""

import json
import time
from datetime import UTC

from odoo import Command, api, fields, models
from odoo.addons.integration_core.exceptions import (
    MappingError,
    PayloadError,
    PermanentError,
    RetryableError,
    SignatureError,
)
from odoo.addons.integration_core.lib.envelope import Envelope
from odoo.addons.integration_core.lib.http_client import TransientHttpError, VendorHttpError
from odoo.exceptions import UserError

from ..const import (
    CUSTOMER_EVENTS,
    CUSTOMER_MATCHING,
    DASHBOARD_URL,
    DISPUTE_EVENTS,
    INVOICE_EVENTS,
    PAYMENT_EVENTS,
    PAYOUT_EVENTS,
    REFUND_EVENTS,
    SUBSCRIPTION_EVENTS,
    WEBHOOK_EVENTS,
)
from ..lib import mapping, money, signatures
from ..lib.client import API_BASE, StripeClient, auth_headers


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    kind = fields.Selection(selection_add=[("stripe", "Stripe")], ondelete={"stripe": "cascade"})
    stripe_secret_key = fields.Char(
        groups="base.group_system",
        copy=False,
        help="sk_live_... or sk_test_... (or a restricted key rk_...): used to read balance "
        "transactions and to create payment links.",
    )
    stripe_account_id = fields.Char(
        string="Stripe Account ID", help="acct_..., filled by 'Check the API key'."
    )
    stripe_journal_ids = fields.Many2many(
        "account.journal",
        string="Stripe Journals",
        domain="[('type', '=', 'bank'), ('company_id', '=', company_id)]",
        help="Bank-type journals that hold the Stripe balance, one per settlement currency. A "
        "journal without a currency takes the currencies that have no journal of their own.",
    )
    stripe_fee_account_id = fields.Many2one("account.account", help="Expense account for Stripe fees.")
    stripe_dispute_account_id = fields.Many2one(
        "account.account",
        string="Dispute Account",
        help="Disputed amounts wait here until the dispute is won (back to the balance) or lost.",
    )
    stripe_dispute_loss_account_id = fields.Many2one(
        "account.account",
        string="Dispute Loss Account",
        help="Expense for lost disputes; the fee account when empty.",
    )
    stripe_payout_account_id = fields.Many2one(
        "account.account",
        string="Payout Transfer Account",
        help="Payouts leave the Stripe balance to this account (the company's internal transfer "
        "account when empty), where the bank statement line of the payout is matched.",
    )
    stripe_customer_matching = fields.Selection(
        CUSTOMER_MATCHING, string="Customer Matching", default="email", required=True
    )
    stripe_payout_ids = fields.One2many("integration.stripe.payout", "backend_id", string="Stripe Payouts")

    # ------------------------------------------------------------------ contract
    def _ownership_defaults(self):
        if self.kind == "stripe":
            return {
                "invoice": ("odoo", "ignore"),
                "payment": ("remote", "apply"),
                "customer": ("odoo", "ignore"),
            }
        return super()._ownership_defaults()

    def _source_url(self, event):
        if self.kind != "stripe":
            return super()._source_url(event)
        test = "test/" if self.environment == "sandbox" else ""
        return f"{DASHBOARD_URL}/{test}events/{event.external_event_id}"

    def _stripe_verify(self, headers, body):
        try:
            signatures.verify(
                body,
                headers.get(signatures.SIGNATURE_HEADER),
                self._webhook_secrets(),
                now=time.time(),
                tolerance=self.timestamp_tolerance,
            )
        except signatures.StripeSignatureError as exc:
            raise SignatureError(str(exc)) from None

    def _stripe_parse(self, headers, body):
        try:
            envelope, _event = mapping.read_event(body)
        except mapping.StripePayloadError as exc:
            raise PayloadError(str(exc)) from None
        return (
            Envelope(
                external_event_id=envelope.event_id,
                event_type=envelope.event_type,
                entity_key=envelope.entity_key,
                occurred_at=envelope.created,
            ),
            body.decode(),
        )

    def _stripe_handle(self, event):
        payload = event._payload_json()
        obj = ((payload or {}).get("data") or {}).get("object")
        if not isinstance(obj, dict):
            raise PayloadError(self.env._("The event has no data.object: it is not a Stripe event."))
        event_type = event.event_type
        try:
            if event_type in PAYMENT_EVENTS:
                return self._stripe_payment(event, obj)
            if event_type in REFUND_EVENTS:
                return self._stripe_refunds(event, obj)
            if event_type in DISPUTE_EVENTS:
                return self._stripe_dispute(event, obj)
            if event_type in PAYOUT_EVENTS:
                return self._stripe_payout(event, obj)
            if event_type in CUSTOMER_EVENTS:
                return self._stripe_customer(event, obj)
            if event_type in INVOICE_EVENTS:
                return self._stripe_billing_invoice(event, obj)
            if event_type in SUBSCRIPTION_EVENTS:
                return self._stripe_subscription(event, obj)
        except mapping.StripePayloadError as exc:
            raise PayloadError(self.env._("The Stripe object cannot be read: %s", exc)) from None
        except TransientHttpError as exc:
            raise RetryableError(
                self.env._("Stripe did not answer: %s", exc), retry_after=exc.retry_after
            ) from None
        except VendorHttpError as exc:
            raise PermanentError(
                self.env._(
                    "Stripe refused a request (HTTP %(status)s): %(body)s", status=exc.status, body=exc.body
                )
            ) from None
        event._note_result(self.env._("Nothing to do: %s is not booked by this connector.", event_type))
        return None

    # ------------------------------------------------------------------ helpers
    def _stripe_client(self, correlation_id=None):
        self.ensure_one()
        key = self.sudo().stripe_secret_key
        if not key:
            raise MappingError(
                self.env._(
                    "Set the Stripe secret key on backend %s (Settings administrators), then replay.",
                    self.name,
                )
            )
        return StripeClient(self._api_client(API_BASE, headers=auth_headers(key)), correlation_id)

    def _stripe_has_key(self):
        return bool(self.sudo().stripe_secret_key)

    def _stripe_currency(self, code):
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", (code or "").upper())], limit=1)
        )
        if not currency:
            raise MappingError(self.env._("Stripe currency %s is unknown in Odoo.", (code or "?").upper()))
        if not currency.active:
            raise MappingError(
                self.env._(
                    "Currency %s is not active in Odoo. Activate it (Accounting > Configuration > "
                    "Currencies), then replay this event.",
                    currency.name,
                )
            )
        return currency

    def _stripe_amount(self, minor, currency):
        return float(money.to_amount(minor, currency.decimal_places))

    def _stripe_text(self, minor, currency):
        return money.format_minor(minor, currency.decimal_places, currency.name)

    def _stripe_journal(self, currency):
        journals = self.stripe_journal_ids
        if not journals:
            raise MappingError(
                self.env._("Set the Stripe journals on backend %s (Stripe tab), then replay.", self.name)
            )
        journal = (
            journals.filtered(lambda j: j.currency_id == currency)[:1]
            or journals.filtered(lambda j: not j.currency_id)[:1]
        )
        if not journal:
            raise MappingError(
                self.env._(
                    "No Stripe journal takes %(currency)s on backend %(backend)s. Add a bank journal "
                    "in %(currency)s to its Stripe journals, then replay.",
                    currency=currency.name,
                    backend=self.name,
                )
            )
        return journal

    def _stripe_required_account(self, field_name):
        account = self[field_name]
        if not account:
            raise MappingError(
                self.env._(
                    "Set the %(field)s on backend %(backend)s (Stripe tab), then replay.",
                    field=self._fields[field_name].string,
                    backend=self.name,
                )
            )
        return account

    def _stripe_date(self, when):
        return when.date() if when else fields.Date.context_today(self)

    def _stripe_bound(self, model, *external_ids):
        binder = self.env["integration.external.id"]
        for external_id in filter(None, external_ids):
            record = binder._record_for(self, model, external_id)
            if record:
                return record
        return self.env[model]

    def _stripe_bind(self, record, external_id, event):
        self.env["integration.external.id"]._bind(self, record, external_id, event.order_at)

    def _stripe_entry(self, journal, currency, date, ref, lines, partner=None):
        """Post a journal entry in the Stripe journal; `lines` are (account, signed amount in
        `currency`) pairs that sum to zero."""
        company = self.company_id
        line_commands = []
        for account, amount in lines:
            balance = currency._convert(amount, company.currency_id, company, date)
            line_commands.append(
                Command.create(
                    {
                        "account_id": account.id,
                        "partner_id": partner.id if partner else False,
                        "name": ref,
                        "currency_id": currency.id,
                        "amount_currency": amount,
                        "balance": balance,
                    }
                )
            )
        move = (
            self.env["account.move"]
            .with_context(integration_inbound=True)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "date": date,
                    "ref": ref,
                    "line_ids": line_commands,
                }
            )
        )
        move.action_post()
        return move

    def _stripe_post_payment(self, payment_type, partner, amount, currency, journal, date, memo, receivable):
        method_line = journal._get_available_payment_method_lines(payment_type)[:1]
        if not method_line:
            raise MappingError(
                self.env._(
                    "Journal %s has no payment method for this direction; add one, then replay.", journal.name
                )
            )
        payment = (
            self.env["account.payment"]
            .with_context(integration_inbound=True)
            .create(
                {
                    "payment_type": payment_type,
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": amount,
                    "currency_id": currency.id,
                    "journal_id": journal.id,
                    "payment_method_line_id": method_line.id,
                    "date": date,
                    "memo": memo,
                    "destination_account_id": receivable.id,
                }
            )
        )
        # The money is in the Stripe balance itself: the payment lands on the journal's account.
        payment.outstanding_account_id = journal.default_account_id
        payment.action_post()
        return payment

    def _stripe_reconcile_documents(self, payment, documents):
        account = payment.destination_account_id
        lines = (payment.move_id.line_ids | documents.line_ids).filtered(
            lambda line: line.account_id == account and not line.reconciled and line.parent_state == "posted"
        )
        lines.reconcile()
        documents.matched_payment_ids += payment

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

    # ------------------------------------------------------------------ refunds
    def _stripe_refunds(self, event, obj):
        if obj.get("object") == "charge":
            refunds = mapping.refunds_of_charge(obj)
            if not refunds:
                event._note_result(self.env._("The charge lists no refund; refund events book them."))
                return None
            result = self.env["account.payment"]
            for refund in refunds:
                result |= self._stripe_refund(event, refund, obj)
            return result[:1]
        return self._stripe_refund(event, obj)

    def _stripe_refund(self, event, refund, charge=None):
        facts = mapping.refund_facts(refund, charge)
        booked = self._stripe_bound("account.payment", facts.refund_id)
        if booked:
            return booked
        if facts.status not in ("succeeded", "pending"):
            event._note_result(
                self.env._(
                    "Refund %(id)s is %(status)s: nothing booked.", id=facts.refund_id, status=facts.status
                )
            )
            return booked
        payment = self._stripe_bound("account.payment", facts.key, facts.charge_id)
        if not payment:
            # Out of order: Stripe may deliver the refund before the charge. Wait for it.
            raise RetryableError(
                self.env._(
                    "Refund %(refund)s is for payment %(payment)s, which is not in Odoo yet. It is "
                    "retried until the payment arrives; if it never does, book the payment first.",
                    refund=facts.refund_id,
                    payment=facts.charge_id or facts.key,
                )
            )
        currency = self._stripe_currency(facts.currency)
        amount = self._stripe_amount(facts.amount, currency)
        invoices = payment.reconciled_invoice_ids
        credit_note = self._stripe_credit_note_for(
            payment.partner_id, invoices, currency, amount, facts.metadata.get("odoo_credit_note")
        )
        what = self._stripe_text(facts.amount, currency)
        if not credit_note:
            raise MappingError(
                self.env._(
                    "Stripe refunded %(what)s of payment %(payment)s (invoice %(invoices)s), and no open "
                    "credit note of that amount exists in Odoo. Create and post a credit note of "
                    "%(what)s for the invoice (Invoice > Credit Note), then retry this event.",
                    what=what,
                    payment=facts.charge_id or facts.key,
                    invoices=", ".join(invoices.mapped("name")) or "-",
                )
            )
        receivable = credit_note.line_ids.filtered(lambda line: line.account_type == "asset_receivable")[
            :1
        ].account_id
        refund_payment = self._stripe_post_payment(
            "outbound",
            credit_note.commercial_partner_id,
            amount,
            currency,
            payment.journal_id,
            self._stripe_date(facts.created),
            f"Stripe refund {facts.refund_id} {credit_note.name}",
            receivable,
        )
        self._stripe_reconcile_documents(refund_payment, credit_note)
        self._stripe_bind(refund_payment, facts.refund_id, event)
        self._stripe_fee(event, facts.balance_transaction, facts.refund_id, refund_payment.partner_id)
        return refund_payment

    def _stripe_credit_note_for(self, partner, invoices, currency, amount, reference=None):
        """The credit note a refund settles: the one named in its metadata (refunds sent from
        Odoo carry it), else an open credit note of that amount, of the paid invoice first."""
        base = [
            ("company_id", "=", self.company_id.id),
            ("move_type", "=", "out_refund"),
            ("state", "=", "posted"),
            ("commercial_partner_id", "=", partner.commercial_partner_id.id),
            ("currency_id", "=", currency.id),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
        if reference:
            named = self.env["account.move"].search([*base, ("name", "=", reference)], limit=1)
            if named and currency.compare_amounts(named.amount_residual, amount) >= 0:
                return named
        credit_notes = self.env["account.move"].search(base, order="invoice_date, id")
        exact = credit_notes.filtered(lambda cn: currency.compare_amounts(cn.amount_residual, amount) == 0)
        return exact.filtered(lambda cn: cn.reversed_entry_id in invoices)[:1] or exact[:1]

    # ------------------------------------------------------------------ disputes
    def _stripe_dispute(self, event, obj):
        facts = mapping.dispute_facts(obj)
        payment = self._stripe_bound("account.payment", facts.key, facts.charge_id)
        if not payment:
            raise RetryableError(
                self.env._(
                    "Dispute %(dispute)s is about payment %(payment)s, which is not in Odoo yet. It is "
                    "retried until the payment arrives.",
                    dispute=facts.dispute_id,
                    payment=facts.charge_id or facts.key,
                )
            )
        currency = self._stripe_currency(facts.currency)
        amount = self._stripe_amount(facts.amount, currency)
        journal = self._stripe_journal(currency)
        dispute_account = self._stripe_required_account("stripe_dispute_account_id")
        date = fields.Date.context_today(self)
        opened = self._stripe_bound("account.move", facts.dispute_id)
        if not opened:
            opened = self._stripe_entry(
                journal,
                currency,
                self._stripe_date(event.occurred_at),
                f"Stripe dispute {facts.dispute_id} {facts.reason or ''}".strip(),
                [(dispute_account, amount), (journal.default_account_id, -amount)],
                partner=payment.partner_id,
            )
            self._stripe_bind(opened, facts.dispute_id, event)
            self._stripe_dispute_activity(payment, facts, amount, currency)
        for balance_transaction in obj.get("balance_transactions") or []:
            # Stripe's dispute fee (and its return when won) rides on these transactions.
            if isinstance(balance_transaction, dict):
                self._stripe_fee(event, balance_transaction, facts.dispute_id, payment.partner_id)
        if event.event_type != "charge.dispute.closed" or facts.status not in ("won", "lost"):
            return opened
        closing_id = f"{facts.dispute_id}:{facts.status}"
        closed = self._stripe_bound("account.move", closing_id)
        if closed:
            return closed
        if facts.status == "won":
            lines = [(journal.default_account_id, amount), (dispute_account, -amount)]
            label = self.env._("won")
        else:
            loss = self.stripe_dispute_loss_account_id or self._stripe_required_account(
                "stripe_fee_account_id"
            )
            lines = [(loss, amount), (dispute_account, -amount)]
            label = self.env._("lost")
        closed = self._stripe_entry(
            journal,
            currency,
            self._stripe_date(event.occurred_at) or date,
            f"Stripe dispute {facts.dispute_id} {label}",
            lines,
            partner=payment.partner_id,
        )
        self._stripe_bind(closed, closing_id, event)
        return closed

    def _stripe_dispute_activity(self, payment, facts, amount, currency):
        document = payment.reconciled_invoice_ids[:1] or payment.move_id
        finance = (
            self.env.ref("account.group_account_manager").sudo().user_ids.filtered(lambda u: not u.share)
        )
        document.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=(facts.evidence_due_by or fields.Datetime.now()).date(),
            user_id=(finance[:1] or self.env.user).id,
            summary=self.env._("Stripe dispute %s: submit evidence", facts.dispute_id),
            note=self.env._(
                "The customer disputed %(amount)s %(currency)s (reason: %(reason)s). Submit the "
                "evidence in the Stripe dashboard before the due date.",
                amount=amount,
                currency=currency.name,
                reason=facts.reason or "-",
            ),
        )

    # ------------------------------------------------------------------ payouts
    def _stripe_payout(self, event, obj):
        facts = mapping.payout_facts(obj)
        payouts = self.env["integration.stripe.payout"]
        payout = payouts.search([("backend_id", "=", self.id), ("name", "=", facts.payout_id)], limit=1)
        currency = self._stripe_currency(facts.currency)
        journal = self._stripe_journal(currency)
        amount = self._stripe_amount(facts.amount, currency)
        transfer = self.stripe_payout_account_id or self.company_id.transfer_account_id
        if not transfer:
            self._stripe_required_account("stripe_payout_account_id")
        date = self._stripe_date(facts.arrival_date or event.occurred_at)
        if event.event_type == "payout.failed":
            if payout and payout.state == "paid" and payout.move_id:
                reversal = payout.move_id._reverse_moves(
                    [{"date": date, "ref": f"Stripe payout {facts.payout_id} failed"}], cancel=True
                )
                self._stripe_bind(reversal, f"{facts.payout_id}:failed", event)
                payout.state = "failed"
                return payout
            event._note_result(
                self.env._("Payout %s failed before it was booked: nothing to undo.", facts.payout_id)
            )
            return payout
        if payout:
            return payout
        move = self._stripe_entry(
            journal,
            currency,
            date,
            f"Stripe payout {facts.payout_id}",
            [(transfer, amount), (journal.default_account_id, -amount)],
        )
        self._stripe_bind(move, facts.payout_id, event)
        payout = payouts.create(
            {
                "name": facts.payout_id,
                "backend_id": self.id,
                "currency_id": currency.id,
                "amount": amount,
                "arrival_date": facts.arrival_date and facts.arrival_date.date(),
                "move_id": move.id,
                "state": "paid",
            }
        )
        if self._stripe_has_key():
            payout._check_transactions(
                self._stripe_client(event.correlation_id).list_balance_transactions(payout=facts.payout_id)
            )
        else:
            event._note_result(
                self.env._("Payout booked; its transactions were not checked (no secret key).")
            )
        return payout

    def _stripe_booked_net(self, txn):
        """What Odoo booked for one balance transaction, in minor units of its currency,
        or None when Odoo has nothing for it."""
        source = txn.get("source")
        source_obj = source if isinstance(source, dict) else {"id": source}
        source_id = source_obj.get("id")
        currency = self._stripe_currency(txn.get("currency"))
        kind = txn.get("type")
        gross = None
        if kind in ("charge", "payment"):
            payment = self._stripe_bound("account.payment", mapping.payment_key(source_obj), source_id)
            gross = payment.amount if payment else None
        elif kind in ("refund", "payment_refund"):
            payment = self._stripe_bound("account.payment", source_id)
            gross = -payment.amount if payment else None
        elif kind == "adjustment" and source_obj.get("object") == "dispute":
            move = self._stripe_bound("account.move", source_id)
            if move:
                gross = -abs(
                    sum(
                        move.line_ids.filtered(lambda line: line.amount_currency > 0).mapped(
                            "amount_currency"
                        )
                    )
                )
        if gross is None:
            return None
        fee = 0.0
        if txn.get("fee"):
            fee_move = self._stripe_bound("account.move", txn.get("id"))
            if not fee_move:
                return None
            fee = sum(
                fee_move.line_ids.filtered(lambda line: line.amount_currency > 0).mapped("amount_currency")
            )
        return money.to_minor(gross, currency.decimal_places) - money.to_minor(fee, currency.decimal_places)

    # ------------------------------------------------------------------ customers
    def _stripe_customer(self, event, obj):
        customer_id = obj.get("id")
        partner = self._stripe_bound("res.partner", customer_id)
        email = (obj.get("email") or "").strip()
        name = (obj.get("name") or obj.get("description") or email or "").strip()
        partners = self.env["res.partner"].with_context(integration_inbound=True)
        if not partner:
            if self.stripe_customer_matching == "metadata":
                partner_id = str((obj.get("metadata") or {}).get("odoo_partner_id") or "")
                partner = partners.browse(int(partner_id)).exists() if partner_id.isdigit() else partners
            elif email:
                partner = partners.search([("email", "=ilike", email)], limit=1)
        if not partner:
            if self.stripe_customer_matching != "create":
                event._note_result(
                    self.env._(
                        "No Odoo contact matches Stripe customer %s; it is linked when a payment names it.",
                        customer_id,
                    )
                )
                return None
            if not name:
                raise PermanentError(
                    self.env._(
                        "Stripe customer %s has no name nor email; add one in Stripe, then replay.",
                        customer_id,
                    )
                )
            partner = partners.create({"name": name, "email": email or False})
        elif self._inbound_policy("customer") == "apply":
            values = {"email": email} if email else {}
            if obj.get("name"):
                values["name"] = obj["name"]
            if values:
                self._lock_for_update(partner)
                partner.write(values)
        self._stripe_bind(partner, customer_id, event)
        return partner

    # ------------------------------------------------------------------ billing
    def _stripe_billing_invoice(self, event, obj):
        """Stripe Billing invoices become Odoo invoices only when Stripe owns invoices."""
        facts = mapping.invoice_facts(obj)
        policy = self._inbound_policy("invoice")
        if policy == "ignore":
            event._note_result(
                self.env._(
                    "Odoo owns invoices on this backend: Stripe invoice %s is not copied.", facts.invoice_id
                )
            )
            return None
        if policy == "review":
            raise PermanentError(
                self.env._(
                    "Stripe invoice %s changed, but Odoo owns invoices on this backend. Make the change "
                    "in Odoo if it is right, then ignore this event.",
                    facts.invoice_id,
                )
            )
        move = self._stripe_bound("account.move", facts.invoice_id)
        partner = move.partner_id or self._stripe_billing_partner(event, facts)
        if event.event_type == "invoice.payment_failed":
            (move or partner).sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=self.env.user.id,
                summary=self.env._("Stripe could not collect invoice %s", facts.number or facts.invoice_id),
            )
            return move or partner
        currency = self._stripe_currency(facts.currency)
        if not move:
            move = (
                self.env["account.move"]
                .with_context(integration_inbound=True)
                .create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "currency_id": currency.id,
                        "invoice_date": self._stripe_date(facts.created),
                        "invoice_date_due": facts.due_date and facts.due_date.date(),
                        "ref": facts.number or facts.invoice_id,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": description,
                                    "quantity": 1,
                                    "price_unit": self._stripe_amount(amount, currency),
                                    "tax_ids": [],
                                }
                            )
                            for description, amount in facts.lines
                        ],
                    }
                )
            )
            self._stripe_bind(move, facts.invoice_id, event)
        if move.state == "draft" and facts.status in ("open", "paid"):
            move.action_post()
        return move

    def _stripe_billing_partner(self, event, facts):
        partner = self._stripe_bound("res.partner", facts.customer)
        if not partner and facts.email:
            partner = self.env["res.partner"].search([("email", "=ilike", facts.email)], limit=1)
        if not partner and self.stripe_customer_matching == "create" and (facts.name or facts.email):
            partner = (
                self.env["res.partner"]
                .with_context(integration_inbound=True)
                .create({"name": facts.name or facts.email, "email": facts.email or False})
            )
        if not partner:
            raise MappingError(
                self.env._(
                    "Stripe invoice %(invoice)s is for customer %(customer)s, who is not linked to an "
                    "Odoo contact. Create the contact (with the customer's email) or set the customer "
                    "matching to create, then retry.",
                    invoice=facts.invoice_id,
                    customer=facts.customer or facts.email or "?",
                )
            )
        if facts.customer:
            self._stripe_bind(partner, facts.customer, event)
        return partner

    def _stripe_subscription(self, event, obj):
        subscription_id, customer_id, status = mapping.subscription_state(obj, event.event_type)
        partner = self._stripe_bound("res.partner", customer_id)
        if not partner:
            raise MappingError(
                self.env._(
                    "Subscription %(sub)s belongs to Stripe customer %(customer)s, who is not linked to an "
                    "Odoo contact yet. Its customer event links it (replay it, or create the contact with "
                    "the customer's email), then retry.",
                    sub=subscription_id,
                    customer=customer_id or "?",
                )
            )
        partner.sudo().with_context(integration_inbound=True).write(
            {"stripe_subscription_id": subscription_id, "stripe_subscription_state": status}
        )
        return partner

    # ------------------------------------------------------------------ outbound
    def _stripe_send(self, message):
        if message.operation == "refund.create":
            return self._stripe_send_refund(message)
        if message.operation != "payment_link.create":
            raise PermanentError(self.env._("Stripe backends do not send %s messages.", message.operation))
        payload = json.loads(message.payload)
        invoice = self.env["account.move"].browse(message.res_id).exists()
        client = self._stripe_client(message.correlation_id)
        fields_ = mapping.payment_link_request(
            payload["invoice"], payload["amount"], payload["currency"], payload["description"]
        )
        price = client.create_price(fields_["price"], message.idempotency_key).json()
        link_fields = {**fields_["link"], "line_items[0][price]": price["id"]}
        response = client.create_payment_link(link_fields, message.idempotency_key)
        link = response.json()
        if invoice:
            invoice.sudo().write(
                {"stripe_payment_link_id": link.get("id"), "stripe_payment_link_url": link.get("url")}
            )
        return response

    def _stripe_send_refund(self, message):
        payload = json.loads(message.payload)
        credit_note = self.env["account.move"].browse(message.res_id).exists()
        client = self._stripe_client(message.correlation_id)
        response = client.create_refund(
            mapping.refund_request(payload["payment"], payload["amount"], payload["credit_note"]),
            message.idempotency_key,
        )
        if credit_note:
            credit_note.sudo().stripe_refund_id = response.json().get("id")
        return response

    def action_stripe_check_key(self):
        """Read the Stripe account with the secret key; show which webhook events to enable."""
        self.ensure_one()
        try:
            account = self._stripe_client().account()
        except (MappingError, TransientHttpError, VendorHttpError) as exc:
            raise UserError(
                self.env._("Stripe did not accept the key: %s", getattr(exc, "message", exc))
            ) from None
        self.stripe_account_id = account.get("id")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Stripe key works: %s", account.get("id")),
                "message": self.env._(
                    "Point a Stripe webhook endpoint at %(url)s with these events: %(events)s",
                    url=self.webhook_url,
                    events=", ".join(WEBHOOK_EVENTS),
                ),
                "sticky": True,
                "type": "success",
            },
        }

    @api.model
    def _stripe_backend_for(self, company):
        return self.search(
            [
                ("kind", "=", "stripe"),
                ("company_id", "=", company.id),
                ("state", "in", ("active", "degraded")),
            ],
            limit=1,
        )

    # ------------------------------------------------------------------ reconciliation
    def _stripe_reconcile(self, run):
        """Balance transactions created in the run's window (paginated) against what Odoo
        booked through external IDs. A line's payload is the event that books it on replay."""
        window = {
            "created[gte]": int(run.date_from.replace(tzinfo=UTC).timestamp()),
            "created[lte]": int(run.date_to.replace(tzinfo=UTC).timestamp()),
        }
        drifts, seen, checked = [], set(), 0
        for txn in self._stripe_client(f"reconciliation-{run.id}").list_balance_transactions(**window):
            checked += 1
            drift = self._stripe_reconcile_transaction(txn, seen)
            if drift:
                drifts.append(drift)
        run.checked_count = checked
        drifts += self._stripe_missing_remote(run, seen)
        return drifts

    def _stripe_reconcile_transaction(self, txn, seen):
        source = txn.get("source")
        if not isinstance(source, dict) or not source.get("id"):
            return None
        kind, obj_kind = txn.get("type"), source.get("object")
        currency = self._stripe_currency(txn.get("currency") or source.get("currency"))
        if obj_kind == "charge" and kind in ("charge", "payment"):
            facts = mapping.payment_facts(source)
            seen.update([facts.key, *facts.extra_keys])
            record = self._stripe_bound("account.payment", facts.key, *facts.extra_keys)
            event_type, remote_minor = "charge.succeeded", facts.amount
            source = {**source, "balance_transaction": {k: v for k, v in txn.items() if k != "source"}}
            fee_missing = bool(txn.get("fee")) and not self._stripe_bound("account.move", txn.get("id"))
        elif obj_kind == "refund":
            facts = mapping.refund_facts(source)
            seen.add(facts.refund_id)
            record = self._stripe_bound("account.payment", facts.refund_id)
            event_type, remote_minor, fee_missing = "refund.created", facts.amount, False
        elif obj_kind == "dispute":
            facts = mapping.dispute_facts(source)
            seen.add(facts.dispute_id)
            record = self._stripe_bound("account.move", facts.dispute_id)
            event_type, remote_minor, fee_missing = "charge.dispute.created", facts.amount, False
        elif obj_kind == "payout":
            facts = mapping.payout_facts(source)
            seen.add(facts.payout_id)
            record = self._stripe_bound("account.move", facts.payout_id)
            event_type, remote_minor, fee_missing = "payout.paid", facts.amount, False
        else:
            return None
        source_currency = self._stripe_currency(source.get("currency") or txn.get("currency"))
        remote_text = self._stripe_text(remote_minor, source_currency)
        common = {
            "reference": f"{source['id']} {remote_text}",
            "external_id": source["id"],
            "remote_value": remote_text
            + (f" + fee {self._stripe_text(txn['fee'], currency)}" if fee_missing else ""),
            "payload": json.dumps(
                {
                    "id": f"evt_reconcile_{txn.get('id')}",
                    "object": "event",
                    "type": event_type,
                    "created": txn.get("created"),
                    "data": {"object": source},
                }
            ),
            "event_type": event_type,
            "entity_key": mapping.entity_key(source),
        }
        if not record:
            return {"issue": "missing_odoo", **common}
        odoo_minor = money.to_minor(self._stripe_record_amount(record), source_currency.decimal_places)
        if odoo_minor != remote_minor or fee_missing:
            odoo_text = self._stripe_text(odoo_minor, source_currency)
            return {
                "issue": "differs",
                "res_model": record._name,
                "res_id": record.id,
                "odoo_value": odoo_text + (self.env._(", fee not booked") if fee_missing else ""),
                **common,
            }
        return None

    def _stripe_record_amount(self, record):
        if record._name == "account.payment":
            return record.amount
        return sum(record.line_ids.filtered(lambda line: line.amount_currency > 0).mapped("amount_currency"))

    def _stripe_missing_remote(self, run, seen):
        """Stripe payments and refunds Odoo booked in the window that Stripe does not list."""
        bindings = (
            self.env["integration.external.id"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", self.id),
                    ("model", "=", "account.payment"),
                    ("remote_updated_at", ">=", run.date_from),
                    ("remote_updated_at", "<=", run.date_to),
                    ("external_id", "not in", list(seen)),
                ]
            )
        )
        drifts = []
        for binding in bindings:
            payment = self.env["account.payment"].browse(binding.res_id).exists()
            if not payment:
                continue
            drifts.append(
                {
                    "issue": "missing_remote",
                    "reference": f"{binding.external_id} {payment.amount} {payment.currency_id.name}",
                    "external_id": binding.external_id,
                    "res_model": payment._name,
                    "res_id": payment.id,
                    "odoo_value": f"{payment.name} {payment.amount} {payment.currency_id.name}",
                }
            )
        return drifts

    # ------------------------------------------------------------------ dashboard
    def _business_exceptions(self):
        res = super()._business_exceptions()
        if self.kind != "stripe":
            return res
        unbooked = [
            ("backend_id", "=", self.id),
            ("event_type", "in", list(PAYMENT_EVENTS)),
            ("state", "in", ("failed", "dead")),
        ]
        differences = [("backend_id", "=", self.id), ("has_difference", "=", True)]
        res += [
            {
                "code": "stripe_payment_not_reconciled",
                "label": self.env._("Stripe payments not booked on an invoice"),
                "count": self.env["integration.event"].search_count(unbooked),
                "threshold": 0,
                "action": {
                    "type": "ir.actions.act_window",
                    "name": self.env._("Stripe payments not booked"),
                    "res_model": "integration.event",
                    "view_mode": "list,form",
                    "domain": unbooked,
                },
            },
            {
                "code": "stripe_payout_difference",
                "label": self.env._("Stripe payouts that differ from their transactions"),
                "count": self.env["integration.stripe.payout"].search_count(differences),
                "threshold": 0,
                "action": {
                    "type": "ir.actions.act_window",
                    "name": self.env._("Stripe payouts with a difference"),
                    "res_model": "integration.stripe.payout",
                    "view_mode": "list,form",
                    "domain": differences,
                },
            },
        ]
        return res
