"""From Stripe objects to plain facts the Odoo layer books (pure Python, no Odoo).

Every object that belongs to one payment (payment intent, charge, refund, dispute) maps to
the same *payment key*: the payment intent id when there is one, else the charge id. It is
the entity key that orders a payment's events and the external id of its Odoo payment."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime


class StripePayloadError(ValueError):
    """The body is not a Stripe event this connector can read."""


def _id(value):
    """An expandable field: an id string, an expanded object, or null."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def to_datetime(unix) -> datetime | None:
    if unix in (None, "") or isinstance(unix, bool):
        return None
    return datetime.fromtimestamp(int(unix), UTC).replace(tzinfo=None)


def payment_key(obj: dict) -> str | None:
    kind = obj.get("object")
    if kind == "payment_intent":
        return obj.get("id")
    if kind == "charge":
        return _id(obj.get("payment_intent")) or obj.get("id")
    if kind in ("refund", "dispute"):
        return _id(obj.get("payment_intent")) or _id(obj.get("charge"))
    return None


def entity_key(obj: dict) -> str:
    """What orders events: a payment's events share its payment key; others their object id."""
    return payment_key(obj) or str(obj.get("id") or "")


@dataclass
class EventEnvelope:
    event_id: str
    event_type: str
    entity_key: str
    created: datetime | None


def read_event(body: bytes) -> tuple[EventEnvelope, dict]:
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StripePayloadError(f"body is not JSON: {exc}") from None
    if not isinstance(event, dict) or event.get("object", "event") != "event":
        raise StripePayloadError("body is not a Stripe event object")
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not event_id.startswith("evt_"):
        raise StripePayloadError("event id (evt_...) missing")
    if not isinstance(event_type, str) or not event_type:
        raise StripePayloadError("event type missing")
    obj = (event.get("data") or {}).get("object")
    if not isinstance(obj, dict) or not obj.get("id"):
        raise StripePayloadError("data.object with an id missing")
    created = event.get("created")
    if created is not None and (isinstance(created, bool) or not isinstance(created, int)):
        raise StripePayloadError("created is not a unix time")
    return EventEnvelope(event_id, event_type, entity_key(obj), to_datetime(created)), event


@dataclass
class PaymentFacts:
    """A succeeded payment, from a payment intent or a charge."""

    key: str
    charge_id: str | None
    payment_intent_id: str | None
    amount: int
    currency: str
    customer: str | None
    email: str | None
    metadata: dict
    balance_transaction: str | dict | None
    created: datetime | None
    description: str | None = None
    extra_keys: list = field(default_factory=list)
    invoice: str | None = None


def payment_facts(obj: dict) -> PaymentFacts:
    kind = obj.get("object")
    if kind == "payment_intent":
        charge = obj.get("latest_charge") if isinstance(obj.get("latest_charge"), dict) else {}
        amount = obj.get("amount_received") or obj.get("amount")
        facts = PaymentFacts(
            key=obj["id"],
            charge_id=_id(obj.get("latest_charge")),
            payment_intent_id=obj["id"],
            amount=amount,
            currency=obj.get("currency") or "",
            customer=_id(obj.get("customer")),
            email=obj.get("receipt_email") or (charge.get("billing_details") or {}).get("email"),
            metadata={**(charge.get("metadata") or {}), **(obj.get("metadata") or {})},
            balance_transaction=charge.get("balance_transaction"),
            created=to_datetime(obj.get("created")),
            description=obj.get("description"),
        )
    elif kind == "charge":
        amount = obj.get("amount_captured") or obj.get("amount")
        facts = PaymentFacts(
            key=payment_key(obj),
            charge_id=obj["id"],
            payment_intent_id=_id(obj.get("payment_intent")),
            amount=amount,
            currency=obj.get("currency") or "",
            customer=_id(obj.get("customer")),
            email=(obj.get("billing_details") or {}).get("email") or obj.get("receipt_email"),
            metadata=obj.get("metadata") or {},
            balance_transaction=obj.get("balance_transaction"),
            created=to_datetime(obj.get("created")),
            description=obj.get("description"),
        )
    else:
        raise StripePayloadError(f"a {kind} is not a payment")
    if isinstance(facts.amount, bool) or not isinstance(facts.amount, int) or facts.amount <= 0:
        raise StripePayloadError("the payment has no positive integer amount")
    if not facts.currency:
        raise StripePayloadError("the payment has no currency")
    facts.invoice = _id(obj.get("invoice"))
    # A payment booked from its intent is found again from its charge, and the reverse.
    facts.extra_keys = [k for k in (facts.charge_id, facts.payment_intent_id) if k and k != facts.key]
    return facts


@dataclass
class RefundFacts:
    refund_id: str
    key: str
    charge_id: str | None
    amount: int
    currency: str
    status: str
    balance_transaction: str | dict | None
    created: datetime | None
    metadata: dict


def refund_facts(refund: dict, charge: dict | None = None) -> RefundFacts:
    charge = charge or {}
    facts = RefundFacts(
        refund_id=refund.get("id") or "",
        key=payment_key({**refund, "object": "refund"}) or payment_key(charge) or "",
        charge_id=_id(refund.get("charge")) or charge.get("id"),
        amount=refund.get("amount"),
        currency=refund.get("currency") or charge.get("currency") or "",
        status=refund.get("status") or "succeeded",
        balance_transaction=refund.get("balance_transaction"),
        created=to_datetime(refund.get("created")),
        metadata=refund.get("metadata") or {},
    )
    if not facts.refund_id.startswith("re_") and not facts.refund_id.startswith("pyr_"):
        raise StripePayloadError("refund id (re_...) missing")
    if isinstance(facts.amount, bool) or not isinstance(facts.amount, int) or facts.amount <= 0:
        raise StripePayloadError("the refund has no positive integer amount")
    return facts


def refunds_of_charge(charge: dict) -> list[dict]:
    refunds = charge.get("refunds")
    data = refunds.get("data") if isinstance(refunds, dict) else refunds
    return [r for r in data or [] if isinstance(r, dict)]


@dataclass
class DisputeFacts:
    dispute_id: str
    key: str
    charge_id: str | None
    amount: int
    currency: str
    status: str
    reason: str | None
    evidence_due_by: datetime | None


def dispute_facts(dispute: dict) -> DisputeFacts:
    facts = DisputeFacts(
        dispute_id=dispute.get("id") or "",
        key=payment_key({**dispute, "object": "dispute"}) or "",
        charge_id=_id(dispute.get("charge")),
        amount=dispute.get("amount"),
        currency=dispute.get("currency") or "",
        status=dispute.get("status") or "",
        reason=dispute.get("reason"),
        evidence_due_by=to_datetime((dispute.get("evidence_details") or {}).get("due_by")),
    )
    if not facts.dispute_id or not facts.key:
        raise StripePayloadError("the dispute has no id or no charge")
    if isinstance(facts.amount, bool) or not isinstance(facts.amount, int) or facts.amount <= 0:
        raise StripePayloadError("the dispute has no positive integer amount")
    return facts


@dataclass
class PayoutFacts:
    payout_id: str
    amount: int
    currency: str
    status: str
    arrival_date: datetime | None
    balance_transaction: str | None


def payout_facts(payout: dict) -> PayoutFacts:
    facts = PayoutFacts(
        payout_id=payout.get("id") or "",
        amount=payout.get("amount"),
        currency=payout.get("currency") or "",
        status=payout.get("status") or "",
        arrival_date=to_datetime(payout.get("arrival_date")),
        balance_transaction=_id(payout.get("balance_transaction")),
    )
    if not facts.payout_id.startswith("po_"):
        raise StripePayloadError("payout id (po_...) missing")
    if isinstance(facts.amount, bool) or not isinstance(facts.amount, int):
        raise StripePayloadError("the payout has no integer amount")
    return facts


def fee_of(balance_transaction: dict) -> tuple[str, int, str]:
    """(txn id, fee in minor units, settlement currency) of a balance transaction."""
    fee = balance_transaction.get("fee") or 0
    if isinstance(fee, bool) or not isinstance(fee, int):
        raise StripePayloadError("balance transaction fee is not an integer")
    return balance_transaction.get("id") or "", fee, balance_transaction.get("currency") or ""


def payment_link_request(invoice_ref: str, amount: int, currency: str, product_name: str) -> dict:
    """Form fields of the Price and the Payment Link for one Odoo invoice."""
    metadata = {"metadata[odoo_invoice]": invoice_ref}
    price = {
        "currency": currency.lower(),
        "unit_amount": str(amount),
        "product_data[name]": product_name,
        **metadata,
    }
    link = {
        "line_items[0][quantity]": "1",
        **metadata,
        "payment_intent_data[metadata][odoo_invoice]": invoice_ref,
    }
    return {"price": price, "link": link}


def refund_request(payment_key_: str, amount: int, credit_note_ref: str) -> dict:
    """Form fields of a refund of `amount` minor units on a payment intent or a charge."""
    target = "payment_intent" if payment_key_.startswith("pi_") else "charge"
    return {
        target: payment_key_,
        "amount": str(amount),
        "metadata[odoo_credit_note]": credit_note_ref,
    }


@dataclass
class InvoiceFacts:
    """A Stripe Billing invoice."""

    invoice_id: str
    number: str | None
    customer: str | None
    email: str | None
    name: str | None
    currency: str
    status: str
    created: datetime | None
    due_date: datetime | None
    lines: list  # (description, amount in minor units)


def invoice_facts(invoice: dict) -> InvoiceFacts:
    lines_obj = invoice.get("lines")
    data = lines_obj.get("data") if isinstance(lines_obj, dict) else lines_obj
    lines = []
    for line in data or []:
        amount = line.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise StripePayloadError("an invoice line has no integer amount")
        lines.append((line.get("description") or invoice.get("description") or "Stripe", amount))
    facts = InvoiceFacts(
        invoice_id=invoice.get("id") or "",
        number=invoice.get("number"),
        customer=_id(invoice.get("customer")),
        email=invoice.get("customer_email"),
        name=invoice.get("customer_name"),
        currency=invoice.get("currency") or "",
        status=invoice.get("status") or "",
        created=to_datetime(invoice.get("created")),
        due_date=to_datetime(invoice.get("due_date")),
        lines=lines,
    )
    if not facts.invoice_id.startswith("in_"):
        raise StripePayloadError("invoice id (in_...) missing")
    if not facts.lines:
        raise StripePayloadError("the invoice has no lines")
    return facts


def subscription_state(subscription: dict, event_type: str) -> tuple[str, str | None, str]:
    """(subscription id, customer id, status) of a subscription event."""
    status = "canceled" if event_type.endswith(".deleted") else (subscription.get("status") or "")
    return subscription.get("id") or "", _id(subscription.get("customer")), status
