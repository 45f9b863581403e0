"""From typed Stripe objects (lib/schemas.py) to what the Odoo layer books (pure Python).

Every object that belongs to one payment (payment intent, charge, refund, dispute, invoice
payment, checkout session) maps to the same *payment key*: the payment intent id when there
is one, else the charge id. It is the entity key that orders a payment's events and the
external id of its Odoo payment."""

from dataclasses import dataclass
from datetime import datetime

from ...integration_core.lib.money import minor_to_amount
from . import schemas
from .schemas import StripePayloadError

__all__ = ["StripePayloadError", "payment_key", "payment_of", "read_event"]


def payment_key(obj) -> str | None:
    """The payment key of a typed object (None for objects outside a payment)."""
    if isinstance(obj, schemas.PaymentIntent):
        return obj.id
    if isinstance(obj, schemas.Charge):
        return obj.payment_intent or obj.id
    if isinstance(obj, schemas.Refund | schemas.Dispute):
        return obj.payment_intent or obj.charge
    if isinstance(obj, schemas.InvoicePayment):
        return obj.payment_key
    if isinstance(obj, schemas.CheckoutSession):
        return obj.payment_intent
    return None


def entity_key(obj) -> str:
    """What orders events: a payment's events share its payment key; others their object id."""
    return payment_key(obj) or str(getattr(obj, "id", "") or "")


def read_event(body: bytes) -> tuple[schemas.Event, str]:
    """The typed event of a delivery and its entity key (raises StripePayloadError)."""
    event, key, _summary = read_event_summary(body)
    return event, key


def read_event_summary(body: bytes) -> tuple[schemas.Event, str, str]:
    """The typed event of a delivery, its entity key and its summary (`summary_of`)."""
    event = schemas.parse_json(schemas.Event, body, "event")
    obj = event.typed_object()
    key = entity_key(obj) if obj is not None else event.data.object.id
    return event, key, summary_of(event, obj)


@dataclass(frozen=True)
class Payment:
    """A payment as the Odoo layer books it, from a charge or a payment intent: `amount` is
    what was captured / received (0 for an authorisation not captured yet)."""

    key: str
    charge_id: str | None
    payment_intent_id: str | None
    amount: int
    currency: str
    customer: str | None
    email: str | None
    metadata: dict
    balance_transaction: "schemas.BalanceTransaction | str | None"
    created: datetime | None
    invoice: str | None
    status: str

    @property
    def extra_keys(self):
        """A payment booked from its intent is found again from its charge, and the reverse."""
        return [k for k in (self.charge_id, self.payment_intent_id) if k and k != self.key]

    @property
    def reference(self):
        return self.charge_id or self.key


def payment_of(obj) -> Payment:
    if isinstance(obj, schemas.PaymentIntent):
        charge = obj.latest_charge if isinstance(obj.latest_charge, schemas.Charge) else None
        received = obj.amount_received if obj.status == "succeeded" else 0
        return Payment(
            key=obj.id,
            charge_id=charge.id if charge else obj.latest_charge,
            payment_intent_id=obj.id,
            amount=received,
            currency=obj.currency,
            customer=obj.customer,
            email=obj.receipt_email or (charge.billing_details.email if charge else None),
            metadata={**(charge.metadata if charge else {}), **obj.metadata},
            balance_transaction=charge.balance_transaction if charge else None,
            created=obj.created,
            invoice=obj.invoice,
            status=obj.status,
        )
    if isinstance(obj, schemas.Charge):
        captured = obj.amount if obj.amount_captured is None else obj.amount_captured
        captured = captured if obj.captured and obj.status == "succeeded" else 0
        return Payment(
            key=payment_key(obj),
            charge_id=obj.id,
            payment_intent_id=obj.payment_intent,
            amount=captured,
            currency=obj.currency,
            customer=obj.customer,
            email=obj.billing_details.email or obj.receipt_email,
            metadata=obj.metadata,
            balance_transaction=obj.balance_transaction,
            created=obj.created,
            invoice=obj.invoice,
            status=obj.status if obj.captured else "authorised",
        )
    raise StripePayloadError(f"a {type(obj).__name__} is not a payment")


DEAL_METADATA = "odoo_deal"  # the deal correlation id (integration.deal), sent and read back


def deal_reference(raw_object: dict) -> str:
    """The deal correlation id in a Stripe object's metadata ("" when none)."""
    metadata = raw_object.get("metadata") if isinstance(raw_object, dict) else None
    return str((metadata or {}).get(DEAL_METADATA) or "") if isinstance(metadata, dict) else ""


def payment_link_request(
    invoice_ref: str, amount: int, currency: str, product_name: str, deal_ref: str = ""
) -> dict:
    """Form fields of the Price and the Payment Link for one Odoo invoice."""
    metadata = {"metadata[odoo_invoice]": invoice_ref}
    intent_metadata = {"payment_intent_data[metadata][odoo_invoice]": invoice_ref}
    if deal_ref:
        metadata[f"metadata[{DEAL_METADATA}]"] = deal_ref
        intent_metadata[f"payment_intent_data[metadata][{DEAL_METADATA}]"] = deal_ref
    price = {
        "currency": currency.lower(),
        "unit_amount": str(amount),
        "product_data[name]": product_name,
        **metadata,
    }
    link = {
        "line_items[0][quantity]": "1",
        **metadata,
        **intent_metadata,
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


def invoice_lines(invoice: schemas.Invoice):
    """(description, amount, discount, taxes) of each line, in minor units: `discount` is the
    sum of the line's discounts, `taxes` its TaxAmounts (either API shape)."""
    for line in invoice.lines:
        yield (
            line.description or invoice.description or "Stripe",
            line.amount,
            sum(d.amount for d in line.discount_amounts),
            line.all_taxes,
        )


def tax_percent(tax: schemas.TaxAmount):
    """The rate of a tax amount, in percent to 4 decimals (from its taxable amount)."""
    if not tax.taxable_amount:
        return None
    return round(tax.amount * 100 / tax.taxable_amount, 4)


def _money(minor, currency):
    if minor is None or not currency:
        return ""
    return f"{minor_to_amount(minor, currency.upper(), 'stripe')} {currency.upper()}"


def summary_of(event: schemas.Event, obj=None) -> str:
    """What a Stripe event is about, in finance's words, with the Stripe reference (the title
    of the event in every list, and what the documents' chatter names). `obj`: the event's
    typed object when the caller has it already."""
    obj = obj if obj is not None else event.typed_object()
    if isinstance(obj, schemas.Charge | schemas.PaymentIntent):
        payment = payment_of(obj)
        who = f" from {payment.email}" if payment.email else ""
        amount = obj.amount if payment.amount == 0 else payment.amount
        return f"Payment {_money(amount, payment.currency)}{who} ({payment.charge_id or payment.key})"
    if isinstance(obj, schemas.Refund):
        of = obj.charge or obj.payment_intent or "?"
        return f"Refund {_money(obj.amount, obj.currency)} of {of} ({obj.id})"
    if isinstance(obj, schemas.Dispute):
        return f"Dispute {_money(obj.amount, obj.currency)} on {obj.charge or '?'}, {obj.status} ({obj.id})"
    if isinstance(obj, schemas.Payout):
        return f"Payout {_money(obj.amount, obj.currency)} ({obj.id})"
    if isinstance(obj, schemas.Invoice):
        who = (
            f" for {obj.customer_email or obj.customer_name}"
            if obj.customer_email or obj.customer_name
            else ""
        )
        return f"Stripe invoice {obj.number or obj.id}{who}"
    if isinstance(obj, schemas.Customer):
        return f"Customer {obj.name or obj.email or obj.id}"
    return f"{event.type} {event.data.object.id}"
