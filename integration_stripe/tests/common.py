"""Stripe test helpers: the shared fixtures as the base of every payload, signed deliveries
over real HTTP, a configured Stripe backend with its journals and accounts.

The shared fixtures hold a charge, a payment intent, a refund, a customer and event
envelopes. Stripe disputes, payouts and balance transactions have no shared fixture: the
helpers below build them with the fields of Stripe's API reference that the connector reads
(marked `no shared fixture`)."""

import json
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import responses
from odoo import Command
from odoo.addons.integration_core.models.integration_backend import _RATE_LIMITERS
from odoo.addons.integration_core.tests.common import IntegrationCaseMixin
from odoo.tests.common import _super_send

from ..lib.signatures import signature_header

FIXTURES = Path(
    os.environ.get("INTEGRATION_FIXTURES") or Path(__file__).resolve().parents[3] / "shared" / "fixtures"
)
SECRET = "whsec_test_current"
OLD_SECRET = "whsec_test_previous"
STRIPE_HOST = "api.stripe.com"
API = f"https://{STRIPE_HOST}/v1"
CHARGE_ID = "ch_1PgafuB7WZ01zgkWXYmPNZs8"  # the fixture charge


def fixture(name):
    return json.loads((FIXTURES / "stripe" / name).read_text())


def fixture_bytes(name):
    return (FIXTURES / "stripe" / name).read_bytes()


def event(obj, event_type, event_id, created=None):
    """A Stripe event envelope (the fixture event) around `obj`."""
    envelope = fixture("object_event.json")
    envelope.update(id=event_id, type=event_type, created=created or int(time.time()), data={"object": obj})
    return envelope


def charge(charge_id=CHARGE_ID, amount=4900, currency="usd", **values):
    """The fixture charge, captured, with the given amount and fields."""
    obj = fixture("object_charge.json")
    obj.update(id=charge_id, amount=amount, amount_captured=amount, captured=True, currency=currency)
    obj["refunds"]["url"] = f"/v1/charges/{charge_id}/refunds"
    obj.update(values)
    return obj


def payment_intent(intent_id, amount=4900, currency="usd", **values):
    obj = fixture("object_payment_intent.json")
    obj.update(id=intent_id, amount=amount, amount_received=amount, currency=currency, status="succeeded")
    obj.update(values)
    return obj


def refund(refund_id, amount, charge_id=CHARGE_ID, currency="usd", **values):
    obj = fixture("object_refund.json")
    obj.update(id=refund_id, amount=amount, charge=charge_id, currency=currency)
    obj.update(values)
    return obj


def dispute(
    dispute_id, amount, charge_id=CHARGE_ID, status="needs_response", currency="usd", due_by=None, fee=0
):
    """No shared fixture: the dispute fields the connector reads (its balance transactions
    are expanded in the object, as Stripe sends them: none for an inquiry, the withdrawal,
    and the reinstatement once won)."""
    withdrawal = balance_transaction(f"txn_{dispute_id}", -amount, fee, dispute_id, "adjustment", currency)
    transactions = [withdrawal]
    if status.startswith("warning_"):
        transactions = []
    elif status == "won":
        transactions.append(
            balance_transaction(f"txn_{dispute_id}_back", amount, -fee, dispute_id, "adjustment", currency)
        )
    return {
        "balance_transactions": transactions,
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "currency": currency,
        "charge": charge_id,
        "payment_intent": None,
        "reason": "fraudulent",
        "status": status,
        "evidence_details": {"due_by": due_by or int(time.time()) + 7 * 86400},
    }


def payout(payout_id, amount, currency="usd", status="paid"):
    """No shared fixture: the payout fields the connector reads."""
    return {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "currency": currency,
        "arrival_date": int(time.time()),
        "status": status,
        "balance_transaction": f"txn_{payout_id}",
    }


def balance_transaction(txn_id, amount, fee, source, kind="charge", currency="usd"):
    """No shared fixture: a balance transaction (amount, fee, net in minor units)."""
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "fee": fee,
        "net": amount - fee,
        "currency": currency,
        "type": kind,
        "source": source,
        "created": int(time.time()),
    }


class StripeCaseMixin(IntegrationCaseMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company = env.company
        cls.usd = cls.company.currency_id
        cls.jpy = env.ref("base.JPY")
        cls.jpy.active = True
        Account = env["account.account"]
        cls.fee_account = Account.create({"name": "Stripe fees", "code": "626900", "account_type": "expense"})
        cls.dispute_account = Account.create(
            {"name": "Stripe disputes", "code": "119900", "account_type": "asset_current"}
        )
        cls.loss_account = Account.create(
            {"name": "Lost disputes", "code": "619900", "account_type": "expense"}
        )
        cls.journal = env["account.journal"].create({"name": "Stripe", "type": "bank", "code": "STRP"})
        cls.jpy_journal = env["account.journal"].create(
            {"name": "Stripe JPY", "type": "bank", "code": "STRJ", "currency_id": cls.jpy.id}
        )
        cls.backend = cls._make_backend(
            name="Stripe test",
            kind="stripe",
            webhook_secret=SECRET,
            stripe_secret_key="sk_test_123",
            stripe_journal_ids=[Command.set([cls.journal.id, cls.jpy_journal.id])],
            stripe_fee_account_id=cls.fee_account.id,
            stripe_dispute_account_id=cls.dispute_account.id,
            stripe_dispute_loss_account_id=cls.loss_account.id,
        )
        cls.url = f"/integration/webhook/{cls.backend.webhook_uuid}"
        cls.partner = env["res.partner"].create({"name": "Jenny Rosen", "email": "jenny@example.com"})

    @classmethod
    def _request_handler(cls, session, request, /, **kwargs):
        # Let Stripe's host through Odoo's test HTTP blocker to `responses`.
        if urlsplit(request.url).hostname == STRIPE_HOST:
            return _super_send(session, request, **kwargs)
        return super()._request_handler(session, request, **kwargs)

    def setUp(self):
        super().setUp()
        _RATE_LIMITERS.clear()
        # `responses` mocks every `requests` transport: the test's own HTTP to Odoo passes.
        self.stripe = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.stripe.start()
        self.addCleanup(self.stripe.stop)
        self.addCleanup(self.stripe.reset)
        if hasattr(self, "base_url"):
            self.stripe.add_passthru(self.base_url())

    # ------------------------------------------------------------------ documents
    def _invoice(self, amount, currency=None, partner=None):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or self.partner).id,
                "currency_id": (currency or self.usd).id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Subscription", "quantity": 1, "price_unit": amount, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _credit_note(self, invoice, amount):
        credit_note = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": invoice.partner_id.id,
                "currency_id": invoice.currency_id.id,
                "reversed_entry_id": invoice.id,
                "invoice_line_ids": [
                    Command.create({"name": "Refund", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        credit_note.action_post()
        return credit_note

    def _balance(self, account, journal=None):
        lines = self.env["account.move.line"].search(
            [("account_id", "=", account.id), ("parent_state", "=", "posted")]
            + ([("journal_id", "=", journal.id)] if journal else [])
        )
        return sum(lines.mapped("amount_currency"))

    def _stripe_balance(self, journal=None):
        journal = journal or self.journal
        return self._balance(journal.default_account_id, journal)

    # ------------------------------------------------------------------ deliveries
    def _post(self, payload, secret=SECRET, timestamp=None, header=None, body=None):
        body = body if body is not None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if header is not False:
            headers["Stripe-Signature"] = header or signature_header(
                secret, timestamp or int(time.time()), body
            )
        return self.url_open(self.url, data=body, headers=headers, allow_redirects=False)

    def _deliver(self, payload, process=True):
        response = self._post(payload)
        self.assertEqual(response.status_code, 200, response.text)
        if process:
            self._process_events()
        return self._event(payload["id"])

    def _event(self, event_id):
        return self.env["integration.event"].search(
            [("backend_id", "=", self.backend.id), ("external_event_id", "=", event_id)]
        )

    def _mock_balance_transaction(self, txn):
        self.stripe.get(f"{API}/balance_transactions/{txn['id']}", json=txn)
