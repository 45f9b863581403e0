"""The `stripe` backend kind: settings, webhook signature and envelope, the dispatch of each
event type, shared booking helpers and payment links sent through the outbound queue. The
handlers live beside it by concern: payments, refunds (and disputes), payouts, billing and
reconciliation (`integration_backend_<concern>.py`).

Accounting model: the Stripe balance is a bank-type journal per currency. Payments and
refunds are `account.payment` records straight on the journal's account (the money is in
the Stripe balance), fees, disputes and payouts are journal entries in the same journal, so
the journal's balance follows the Stripe balance."""

import json
import time

from odoo import Command, api, fields, models
from odoo.addons.integration_core.exceptions import (
    MappingError,
    PayloadError,
    PermanentError,
    RetryableError,
    SignatureError,
)
from odoo.addons.integration_core.lib import money
from odoo.addons.integration_core.lib.envelope import Envelope
from odoo.addons.integration_core.lib.http_client import TransientHttpError, VendorHttpError
from odoo.exceptions import UserError

from ..const import (
    BALANCE_TRANSACTION_EVENT,
    CHECKOUT_EVENTS,
    CUSTOMER_EVENTS,
    CUSTOMER_MATCHING,
    DASHBOARD_URL,
    DISPUTE_EVENTS,
    INVOICE_EVENTS,
    INVOICE_PAYMENT_EVENTS,
    PAYMENT_EVENTS,
    PAYMENT_FAILED_EVENTS,
    PAYOUT_EVENTS,
    REFUND_EVENTS,
    SUBSCRIPTION_EVENTS,
    WEBHOOK_EVENTS,
)
from ..lib import mapping, schemas, signatures
from ..lib.client import API_BASE, StripeClient, auth_headers

# Documents booked from Stripe: no echo to Stripe, no field-by-field tracking messages (the
# engine posts one message with the event and correlation id on the result instead).
BOOKING_CONTEXT = {"integration_inbound": True, "tracking_disable": True, "mail_create_nolog": True}


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    kind = fields.Selection(selection_add=[("stripe", "Stripe")], ondelete={"stripe": "cascade"})
    stripe_secret_key = fields.Char(
        groups="base.group_system",
        copy=False,
        help="sk_live_... or sk_test_... (or a restricted key rk_...): used to read balance "
        "transactions and to create payment links.",
    )
    stripe_api_base = fields.Char(
        string="API Base URL",
        groups="base.group_system",
        help="Leave empty for https://api.stripe.com (a local stand-in in tests and the demo).",
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
    stripe_reserve_account_id = fields.Many2one(
        "account.account",
        string="Reserve Account",
        help="Balance transactions of type reserve_transaction / reserved_funds: funds Stripe "
        "holds back wait here until released.",
    )
    stripe_transfer_account_id = fields.Many2one(
        "account.account",
        string="Transfers and Top-ups Account",
        help="Balance transactions of type transfer, topup and their reversals (Connect transfers, "
        "top-ups of the Stripe balance); the payout transfer account when empty.",
    )
    stripe_adjustment_account_id = fields.Many2one(
        "account.account",
        string="Adjustments Account",
        help="Balance transactions of type adjustment (other than disputes) and of any other type "
        "this connector has no account for.",
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

    def _reconcile_supported(self):
        if self.kind != "stripe":
            return super()._reconcile_supported()
        return True

    def _source_url(self, event):
        if self.kind != "stripe":
            return super()._source_url(event)
        test = "test/" if self.environment == "sandbox" else ""
        return f"{DASHBOARD_URL}/{test}events/{event.external_event_id}"

    def _missing_credentials(self):
        if self.kind != "stripe":
            return super()._missing_credentials()
        missing = []
        if not self.webhook_secret:
            missing.append(
                (
                    self.env._("Webhook signing secret"),
                    self.env._("every Stripe delivery is refused (401), nothing is booked"),
                )
            )
        if not self.stripe_secret_key:
            missing.append(
                (
                    self.env._("Stripe secret key"),
                    self.env._(
                        "payouts are not checked against their transactions (Not checked), fees of "
                        "unexpanded balance transactions are not booked, Pay with Stripe links and "
                        "refunds are not sent, nightly reconciliation cannot read Stripe"
                    ),
                )
            )
        return missing

    def _webhook_verify(self, delivery):
        if self.kind != "stripe":
            return super()._webhook_verify(delivery)
        try:
            signatures.verify(
                delivery.body,
                delivery.headers.get(signatures.SIGNATURE_HEADER),
                self._webhook_secrets(),
                now=time.time(),
                tolerance=self.timestamp_tolerance,
            )
        except signatures.StripeSignatureError as exc:
            raise SignatureError(str(exc)) from None

    def _webhook_parse(self, delivery):
        if self.kind != "stripe":
            return super()._webhook_parse(delivery)
        try:
            stripe_event, entity_key, summary = mapping.read_event_summary(delivery.body)
        except schemas.StripePayloadError as exc:
            raise PayloadError(str(exc)) from None
        return [
            Envelope(
                external_event_id=stripe_event.id,
                event_type=stripe_event.type,
                entity_key=entity_key,
                occurred_at=stripe_event.created,
                payload=delivery.body.decode(),
                summary=summary,
            )
        ]

    def _handle_event(self, event):
        if self.kind != "stripe":
            return super()._handle_event(event)
        try:
            stripe_event = schemas.parse_json(schemas.Event, event.payload, "event")
            obj = stripe_event.typed_object()
        except schemas.StripePayloadError as exc:
            raise PayloadError(self.env._("The Stripe object cannot be read: %s", exc)) from None
        livemode = stripe_event.livemode
        if livemode is not None and livemode != (self.environment == "production"):
            raise PermanentError(
                self.env._(
                    "This is a %(mode)s-mode Stripe event, and backend %(backend)s is a %(env)s backend: "
                    "nothing is booked. Point the webhook endpoint of each Stripe mode at its own "
                    "backend, then ignore this event.",
                    mode=self.env._("live") if livemode else self.env._("test"),
                    backend=self.name,
                    env=dict(self._fields["environment"]._description_selection(self.env))[self.environment],
                )
            )
        handler = self._stripe_event_handlers().get(event.event_type)
        if handler is None:
            event._note_result(
                self.env._("Nothing to do: %s is not booked by this connector.", event.event_type)
            )
            return None
        if obj is None:
            raise PayloadError(
                self.env._(
                    "%(type)s carries a %(kind)s object, which this connector cannot read.",
                    type=event.event_type,
                    kind=stripe_event.data.object.object or "?",
                )
            )
        try:
            return handler(event, obj, stripe_event)
        except schemas.StripePayloadError as exc:
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

    def _deal_reference(self, event):
        if self.kind != "stripe":
            return super()._deal_reference(event)
        try:
            stripe_event = schemas.parse_json(schemas.Event, event.payload, "event")
        except schemas.StripePayloadError:
            return None  # the handler says what is wrong with it
        return mapping.deal_reference(stripe_event.raw_object) or None

    def _stripe_event_handlers(self):
        """Stripe event type -> the method that books it."""
        handlers = {}
        for event_types, handler in (
            (PAYMENT_EVENTS, self._stripe_payment),
            (PAYMENT_FAILED_EVENTS, self._stripe_payment_failed),
            (CHECKOUT_EVENTS, self._stripe_checkout_session),
            (REFUND_EVENTS, self._stripe_refunds),
            (DISPUTE_EVENTS, self._stripe_dispute),
            (PAYOUT_EVENTS, self._stripe_payout),
            ((BALANCE_TRANSACTION_EVENT,), self._stripe_other_transaction),
            (CUSTOMER_EVENTS, self._stripe_customer),
            (INVOICE_EVENTS, self._stripe_billing_invoice),
            (INVOICE_PAYMENT_EVENTS, self._stripe_invoice_payment),
            (SUBSCRIPTION_EVENTS, self._stripe_subscription),
        ):
            handlers.update(dict.fromkeys(event_types, handler))
        return handlers

    # ------------------------------------------------------------------ helpers
    def _stripe_client(self, correlation_id=None):
        self.ensure_one()
        key = self.sudo().stripe_secret_key
        if not key:
            raise MappingError(
                self.env._(
                    "Set the Stripe secret key on backend %s (Settings administrators), then retry.",
                    self.name,
                )
            )
        base = (self.sudo().stripe_api_base or API_BASE).rstrip("/")
        return StripeClient(self._api_client(base, headers=auth_headers(key)), correlation_id)

    def _stripe_has_key(self):
        return bool(self.sudo().stripe_secret_key)

    def _stripe_amount(self, minor, currency):
        """Stripe's integer amount in `currency` (Stripe's own exponents: ISK/UGX two-decimal,
        MGA zero-decimal), as Odoo stores it."""
        return currency.round(float(money.minor_to_amount(minor, currency.name, "stripe")))

    def _stripe_minor(self, amount, currency):
        return money.amount_to_minor(amount, currency.name, "stripe")

    def _stripe_text(self, minor, currency):
        amount = money.minor_to_amount(minor, currency.name, "stripe")
        return money.format_amount(amount, currency.name, currency.decimal_places)

    def _stripe_journal(self, currency):
        journals = self.stripe_journal_ids
        if not journals:
            raise MappingError(
                self.env._("Set the Stripe journals on backend %s (Stripe tab), then retry.", self.name)
            )
        journal = (
            journals.filtered(lambda j: j.currency_id == currency)[:1]
            or journals.filtered(lambda j: not j.currency_id)[:1]
        )
        if not journal:
            raise MappingError(
                self.env._(
                    "No Stripe journal takes %(currency)s on backend %(backend)s. Add a bank journal "
                    "in %(currency)s to its Stripe journals, then retry.",
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
                    "Set the %(field)s on backend %(backend)s (Stripe tab), then retry.",
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

    def _stripe_entry(self, journal, date, ref, lines, partner=None):
        """Post a journal entry in the Stripe journal. `lines` are (account, amount, currency)
        or (account, amount, currency, company balance) tuples; balances left out are converted
        at Odoo's rate, and the last line takes the rounding so the entry balances."""
        company = self.company_id
        values = []
        for account, amount, currency, *balance in lines:
            balance = balance[0] if balance else currency._convert(amount, company.currency_id, company, date)
            values.append([account, amount, currency, balance])
        values[-1][3] -= company.currency_id.round(sum(v[3] for v in values))
        move = (
            self.env["account.move"]
            .with_context(**BOOKING_CONTEXT)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "partner_id": partner.id if partner else False,
                    "date": date,
                    "ref": ref,
                    "line_ids": [
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
                        for account, amount, currency, balance in values
                    ],
                }
            )
        )
        move.action_post()
        return move

    def _stripe_balance_transaction(self, event, ref):
        """The typed balance transaction of a field that is expanded, or an id read from the
        API (None when there is none, or no key to read it with: noted on the event)."""
        if ref is None or isinstance(ref, schemas.BalanceTransaction):
            return ref
        if not self._stripe_has_key():
            event._note_result(self.env._("%s not read: no Stripe secret key.", ref))
            return None
        data = self._stripe_client(event.correlation_id).balance_transaction(ref)
        return schemas.parse(schemas.BalanceTransaction, data, "balance transaction")

    def _stripe_settled(self, txn, currency, amount, account, partner, date, ref):
        """An entry for money that Stripe settled in another currency than the customer paid:
        the Stripe journal of the settlement currency moves by what the balance transaction
        says (`txn.amount`), the customer's `account` by `amount` in the charge `currency`
        (positive: money in), and the exchange difference against Odoo's rate goes to the
        company's exchange gain / loss account."""
        company = self.company_id
        settlement = self._currency_for(txn.currency)
        journal = self._stripe_journal(settlement)
        gross = self._stripe_amount(txn.amount, settlement)
        gross_company = settlement._convert(gross, company.currency_id, company, date)
        customer_company = currency._convert(amount, company.currency_id, company, date)
        difference = company.currency_id.round(gross_company - customer_company)
        lines = [
            (journal.default_account_id, gross, settlement, gross_company),
            (account, -amount, currency, -customer_company),
        ]
        if not company.currency_id.is_zero(difference):
            exchange = (
                company.income_currency_exchange_account_id
                if difference > 0
                else company.expense_currency_exchange_account_id
            )
            if not exchange:
                raise MappingError(
                    self.env._(
                        "Set the exchange gain and loss accounts of %s (Accounting settings), then retry.",
                        company.name,
                    )
                )
            lines.append((exchange, -difference, company.currency_id, -difference))
        if txn.exchange_rate:
            ref = f"{ref} ({currency.name}/{settlement.name} {txn.exchange_rate} at Stripe)"
        return self._stripe_entry(journal, date, ref, lines, partner=partner)

    def _stripe_book_fee(self, event, txn, source_id, partner):
        """Book the fee of a balance transaction to the fee account, once per transaction."""
        fee_move = self._stripe_bound("account.move", txn.id) if txn else self.env["account.move"]
        if fee_move or not txn or not txn.fee:
            return fee_move
        currency = self._currency_for(txn.currency)
        journal = self._stripe_journal(currency)
        fee = self._stripe_amount(txn.fee, currency)
        fee_move = self._stripe_entry(
            journal,
            self._stripe_date(txn.created),
            f"Stripe fee {source_id or ''} {txn.id}".strip(),
            [
                (self._stripe_required_account("stripe_fee_account_id"), fee, currency),
                (journal.default_account_id, -fee, currency),
            ],
            partner=partner,
        )
        self._stripe_bind(fee_move, txn.id, event)
        return fee_move

    def _stripe_journal_movement(self, moves, currency):
        """What `moves` moved the Stripe balance in `currency` by (signed, Odoo amount)."""
        accounts = self.stripe_journal_ids.default_account_id
        lines = moves.line_ids.filtered(
            lambda line: line.account_id in accounts
            and line.currency_id == currency
            and line.parent_state == "posted"
        )
        return sum(lines.mapped("amount_currency"))

    def _stripe_post_payment(
        self, payment_type, partner, amount, currency, journal, date, memo, receivable, landed=True
    ):
        """A posted customer payment in the Stripe journal. `landed`: the money is in the
        Stripe balance (the payment is on the journal's account); else it is on its way
        (Odoo's outstanding account: the invoice shows *In payment*)."""
        method_line = journal._get_available_payment_method_lines(payment_type)[:1]
        if not method_line:
            raise MappingError(
                self.env._(
                    "Journal %s has no payment method for this direction; add one, then retry.", journal.name
                )
            )
        payment = (
            self.env["account.payment"]
            .with_context(**BOOKING_CONTEXT)
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
        if landed:
            payment.outstanding_account_id = journal.default_account_id
        payment.action_post()
        return payment

    def _stripe_reconcile_documents(self, record, documents, account):
        """Reconcile a payment (or a settlement entry) with the invoices / credit notes it pays."""
        move = record.move_id if record._name == "account.payment" else record
        lines = (move.line_ids | documents.line_ids).filtered(
            lambda line: line.account_id == account and not line.reconciled and line.parent_state == "posted"
        )
        lines.reconcile()
        if record._name == "account.payment":
            documents.matched_payment_ids += record

    def _stripe_book_money(self, txn, direction, partner, amount, currency, account, date, memo):
        """Money in (`inbound`) or out of the Stripe balance for a customer: a payment in the
        Stripe journal of `currency`, or, when the balance transaction settled it in another
        currency, an entry in the settlement journal with the exchange difference."""
        if txn and txn.currency.upper() != currency.name:
            signed = amount if direction == "inbound" else -amount
            return self._stripe_settled(txn, currency, signed, account, partner, date, memo)
        journal = self._stripe_journal(currency)
        return self._stripe_post_payment(direction, partner, amount, currency, journal, date, memo, account)

    def _stripe_booked(self, *keys):
        """The payment (or settlement entry) booked for one of `keys`."""
        return self._stripe_bound("account.payment", *keys) or self._stripe_bound("account.move", *keys)

    def _stripe_partner(self, customer=None, email=None, metadata=None):
        """The contact of a Stripe customer: bound to its id; else the contact named in the
        metadata (odoo_partner_id); else, unless matching is by metadata only, by email."""
        partner = self._match_partner(external_id=customer)
        if partner:
            return partner
        partner_id = str((metadata or {}).get("odoo_partner_id") or "")
        if partner_id.isdigit():
            return self.env["res.partner"].browse(int(partner_id)).exists()
        if self.stripe_customer_matching == "metadata" or not email:
            return self.env["res.partner"]
        return self._match_partner(email=email)

    # ------------------------------------------------------------------ outbound
    def _send_outbound(self, message):
        if self.kind != "stripe":
            return super()._send_outbound(message)
        senders = {
            "payment_link.create": self._stripe_send_payment_link,
            "refund.create": self._stripe_send_refund,
        }
        sender = senders.get(message.operation)
        if sender is None:
            raise PermanentError(self.env._("Stripe backends do not send %s messages.", message.operation))
        return sender(message)

    def _stripe_send_payment_link(self, message):
        payload = json.loads(message.payload)
        invoice = self.env["account.move"].browse(message.res_id).exists()
        client = self._stripe_client(message.correlation_id)
        fields_ = mapping.payment_link_request(
            payload["invoice"],
            payload["amount"],
            payload["currency"],
            payload["description"],
            deal_ref=message._deal_reference(),
        )
        price = client.create_price(fields_["price"], message.idempotency_key).json()
        link_fields = {**fields_["link"], "line_items[0][price]": price["id"]}
        response = client.create_payment_link(link_fields, message.idempotency_key)
        link = response.json()
        if invoice:
            # Two fields of our own, no journal item to change: skip the invoice's line sync,
            # most of a posted invoice's write (as Odoo writes its payments' entries).
            invoice.sudo().with_context(skip_invoice_sync=True).write(
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
        self._check_manager()  # it calls Stripe
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
                "action": {"res_model": "integration.event", "domain": unbooked},
            },
            {
                "code": "stripe_payout_difference",
                "label": self.env._("Stripe payouts that differ from their transactions"),
                "count": self.env["integration.stripe.payout"].search_count(differences),
                "threshold": 0,
                "action": {"res_model": "integration.stripe.payout", "domain": differences},
            },
        ]
        return res
