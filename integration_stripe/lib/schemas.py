"""Typed Stripe payloads (pydantic v2, pure Python): what the connector reads of each object,
extra fields ignored. A delivery is parsed once into an `Event`; its `data.object` is typed
by the model of its `object` kind (`Event.typed_object()`), and the handlers take that model.

Both shapes of the API versions in use are read: before 2025-03-31 a Charge and a
PaymentIntent name their `invoice`, an Invoice has `tax` / `total_tax_amounts` and lines
`tax_amounts`; from 2025-03-31 (`basil`) invoice payments are `invoice_payment` objects,
and taxes are `total_taxes` / line `taxes`."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, ValidationError

from ...integration_core.lib.timeparse import TimeError, to_utc

# The first API version whose Charge / PaymentIntent no longer carry `invoice`.
INVOICE_PAYMENTS_VERSION = "2025-03-31"


class StripePayloadError(ValueError):
    """The body is not a Stripe event this connector can read."""


def expandable_id(value):
    """An expandable field: an id string, an expanded object, or null -> the id or None."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def _unix_time(value):
    try:
        return to_utc(value)
    except TimeError as exc:
        raise ValueError(str(exc)) from None


def _list_of(value):
    """A Stripe list object ({"object": "list", "data": [...]}) or a plain list or null."""
    if isinstance(value, dict):
        return value.get("data") or []
    return value or []


ExpandableId = Annotated[str | None, BeforeValidator(expandable_id)]
UnixTime = Annotated[datetime | None, BeforeValidator(_unix_time)]
Minor = StrictInt  # amounts are integers in the currency's minor unit (never bool, never text)
Metadata = Annotated[dict[str, str], BeforeValidator(lambda v: v or {})]


class StripeModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class BalanceTransaction(StripeModel):
    """What moved the Stripe balance: `amount` gross, `fee`, `net` in the settlement
    `currency`; `exchange_rate` when the source was in another currency."""

    id: str = Field(pattern=r"^txn_")
    amount: Minor
    fee: Minor = 0
    net: Minor
    currency: str = Field(min_length=3)
    exchange_rate: Decimal | None = None
    type: str
    source: dict | str | None = None
    created: UnixTime = None

    @property
    def source_id(self):
        return expandable_id(self.source)

    @property
    def source_kind(self):
        return self.source.get("object") if isinstance(self.source, dict) else None


# A balance transaction field: expanded (typed), an id to read from the API, or null.
BalanceTransactionRef = BalanceTransaction | Annotated[str, Field(pattern=r"^txn_")] | None


class Refund(StripeModel):
    id: str = Field(pattern=r"^(re|pyr)_")
    amount: Minor = Field(gt=0)
    currency: str = ""
    charge: ExpandableId = None
    payment_intent: ExpandableId = None
    status: str = "succeeded"
    balance_transaction: BalanceTransactionRef = None
    failure_balance_transaction: BalanceTransactionRef = None
    failure_reason: str | None = None
    created: UnixTime = None
    metadata: Metadata = {}


class BillingDetails(StripeModel):
    email: str | None = None


class Charge(StripeModel):
    id: str = Field(pattern=r"^(ch|py)_")
    object: Literal["charge"] = "charge"
    amount: Minor = Field(gt=0)
    amount_captured: Minor | None = None  # absent before 2019-02-19
    captured: bool = True
    status: str = "succeeded"
    currency: str = Field(min_length=3)
    customer: ExpandableId = None
    payment_intent: ExpandableId = None
    invoice: ExpandableId = None  # before 2025-03-31 only
    balance_transaction: BalanceTransactionRef = None
    billing_details: BillingDetails = BillingDetails()
    receipt_email: str | None = None
    metadata: Metadata = {}
    created: UnixTime = None
    refunds: Annotated[list[Refund], BeforeValidator(_list_of)] = []


class PaymentError(StripeModel):
    """`last_payment_error` of a payment intent: why the last attempt failed."""

    code: str | None = None
    decline_code: str | None = None
    message: str | None = None


class PaymentIntent(StripeModel):
    id: str = Field(pattern=r"^pi_")
    object: Literal["payment_intent"] = "payment_intent"
    amount: Minor = Field(gt=0)
    amount_received: Minor = 0
    status: str
    currency: str = Field(min_length=3)
    customer: ExpandableId = None
    latest_charge: Charge | Annotated[str, Field(pattern=r"^(ch|py)_")] | None = None
    invoice: ExpandableId = None  # before 2025-03-31 only
    receipt_email: str | None = None
    metadata: Metadata = {}
    created: UnixTime = None
    last_payment_error: PaymentError | None = None


class EvidenceDetails(StripeModel):
    due_by: UnixTime = None


class Dispute(StripeModel):
    """Inquiries (`warning_*`) move no money; a dispute has zero, one (withdrawn) or two
    (withdrawn, reinstated) balance transactions."""

    id: str = Field(pattern=r"^(dp|du)_")
    amount: Minor = Field(gt=0)
    currency: str = Field(min_length=3)
    charge: ExpandableId = None
    payment_intent: ExpandableId = None
    status: str
    reason: str | None = None
    evidence_details: EvidenceDetails = EvidenceDetails()
    balance_transactions: list[BalanceTransaction] = []


class Payout(StripeModel):
    id: str = Field(pattern=r"^po_")
    amount: Minor
    currency: str = Field(min_length=3)
    arrival_date: UnixTime = None


class TaxAmount(StripeModel):
    """One tax of an invoice or a line: `inclusive` (before 2025-03-31) or `tax_behavior`."""

    amount: Minor
    inclusive: bool | None = None
    tax_behavior: str | None = None
    taxable_amount: Minor | None = None

    @property
    def is_inclusive(self):
        return bool(self.inclusive) or self.tax_behavior == "inclusive"


class DiscountAmount(StripeModel):
    amount: Minor


class InvoiceLine(StripeModel):
    amount: Minor
    description: str | None = None
    discount_amounts: Annotated[list[DiscountAmount], BeforeValidator(lambda v: v or [])] = []
    tax_amounts: Annotated[list[TaxAmount], BeforeValidator(lambda v: v or [])] = []  # < 2025-03-31
    taxes: Annotated[list[TaxAmount], BeforeValidator(lambda v: v or [])] = []  # >= 2025-03-31

    @property
    def all_taxes(self):
        return self.taxes or self.tax_amounts


class Invoice(StripeModel):
    id: str = Field(pattern=r"^in_")
    number: str | None = None
    customer: ExpandableId = None
    customer_email: str | None = None
    customer_name: str | None = None
    description: str | None = None
    currency: str = Field(min_length=3)
    status: str = ""
    created: UnixTime = None
    due_date: UnixTime = None
    lines: Annotated[list[InvoiceLine], BeforeValidator(_list_of)] = Field(min_length=1)
    total: Minor  # checked against the Odoo copy to the cent


class InvoicePaymentTarget(StripeModel):
    type: str = ""
    payment_intent: ExpandableId = None
    charge: ExpandableId = None


class InvoicePayment(StripeModel):
    """From 2025-03-31: which payment paid which invoice (`invoice_payment.paid`)."""

    id: str
    object: Literal["invoice_payment"] = "invoice_payment"
    invoice: ExpandableId
    payment: InvoicePaymentTarget = InvoicePaymentTarget()

    @property
    def payment_key(self):
        return self.payment.payment_intent or self.payment.charge


class CheckoutSession(StripeModel):
    id: str = Field(pattern=r"^cs_")
    object: Literal["checkout.session"] = "checkout.session"
    mode: str = "payment"
    payment_status: str
    amount_total: Minor | None = None
    currency: str | None = None
    client_reference_id: str | None = None
    payment_intent: ExpandableId = None
    metadata: Metadata = {}


class Customer(StripeModel):
    id: str = Field(pattern=r"^cus_")
    email: str | None = None
    name: str | None = None
    description: str | None = None
    metadata: Metadata = {}


class Subscription(StripeModel):
    id: str = Field(pattern=r"^sub_")
    customer: ExpandableId = None
    status: str = ""


OBJECT_MODELS = {
    "charge": Charge,
    "payment_intent": PaymentIntent,
    "refund": Refund,
    "dispute": Dispute,
    "payout": Payout,
    "balance_transaction": BalanceTransaction,
    "invoice": Invoice,
    "invoice_payment": InvoicePayment,
    "checkout.session": CheckoutSession,
    "customer": Customer,
    "subscription": Subscription,
}


class EventObject(StripeModel):
    """`data.object`: any Stripe object with an id (typed later by its `object` kind)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    id: str = Field(min_length=1)
    object: str = ""


class EventData(StripeModel):
    object: EventObject


class Event(StripeModel):
    id: str = Field(pattern=r"^evt_")
    object: Literal["event"] = "event"
    type: str = Field(min_length=1)
    api_version: str | None = None
    livemode: bool | None = None
    created: UnixTime = None
    data: EventData

    @property
    def raw_object(self) -> dict:
        return self.data.object.model_dump()

    @property
    def has_invoice_payments(self):
        """On this event's API version, invoice payments are their own objects."""
        return bool(self.api_version) and self.api_version[:10] >= INVOICE_PAYMENTS_VERSION

    def typed_object(self):
        """`data.object` as the model of its kind (None for kinds this connector does not read)."""
        model = OBJECT_MODELS.get(self.data.object.object)
        return parse(model, self.raw_object, self.data.object.object) if model else None


def parse(model, data, what=None):
    """`model` of `data`, or a StripePayloadError naming the first field that is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise StripePayloadError(f"{what or model.__name__}: {where}: {first['msg']}") from None


def parse_json(model, body, what=None):
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise StripePayloadError(f"body is not JSON: {first['msg']}") from None
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise StripePayloadError(f"{what or model.__name__}: {where}: {first['msg']}") from None
