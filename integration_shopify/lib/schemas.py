"""Typed Shopify payloads (pydantic v2): each delivery is validated once into these models and
the handlers read the models, never the dicts. Only what the connector reads is declared;
every other field Shopify sends is ignored. Amounts stay `Decimal` as Shopify wrote them;
the mapping (lib/orders.py) rounds them to the currency's decimal places."""

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError


class ShopifyPayloadError(ValueError):
    """The payload does not have the shape Shopify documents."""


def _text(value):
    """Shopify ids are integers in REST bodies and text in ours: one text form."""
    if value is None or isinstance(value, bool):
        return value
    return str(value)


def _money_text(value):
    # A float here means the payload was rewritten: read its shortest form, never binary noise.
    return repr(value) if isinstance(value, float) else value


Id = Annotated[str, BeforeValidator(_text)]
Amount = Annotated[Decimal, BeforeValidator(_money_text), Field(allow_inf_nan=False)]


class Schema(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Money(Schema):
    amount: Amount = Decimal(0)
    currency_code: str = ""


class MoneySet(Schema):
    """`*_set`: the amount in the shop's currency and in the customer's (presentment)."""

    shop_money: Money | None = None
    presentment_money: Money | None = None


class TaxLine(Schema):
    title: str | None = None
    rate: Amount | None = None
    price: Amount | None = None
    price_set: MoneySet | None = None


class DiscountAllocation(Schema):
    amount: Amount | None = None
    amount_set: MoneySet | None = None


class Duty(Schema):
    id: Id | None = None
    price_set: MoneySet | None = None
    tax_lines: list[TaxLine] = []


class LineItem(Schema):
    id: Id
    title: str | None = None
    name: str | None = None
    quantity: int | None = None
    current_quantity: int | None = None
    price: Amount | None = None
    price_set: MoneySet | None = None
    sku: str | None = None
    variant_id: Id | None = None
    taxable: bool | None = True
    gift_card: bool = False
    total_discount: Amount | None = None
    total_discount_set: MoneySet | None = None
    discount_allocations: list[DiscountAllocation] = []
    tax_lines: list[TaxLine] = []
    duties: list[Duty] = []


class ShippingLine(Schema):
    id: Id | None = None
    title: str | None = None
    code: str | None = None
    price: Amount | None = None
    price_set: MoneySet | None = None
    discount_allocations: list[DiscountAllocation] = []
    tax_lines: list[TaxLine] = []


class Transaction(Schema):
    id: Id | None = None
    order_id: Id | None = None
    parent_id: Id | None = None
    kind: str | None = None  # authorization, capture, sale, void, refund, change
    gateway: str | None = None
    status: str | None = None  # success, pending, failure, error
    amount: Amount | None = None
    currency: str | None = None
    created_at: str | None = None
    processed_at: str | None = None


class Address(Schema):
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    zip: str | None = None
    country_code: str | None = None
    province_code: str | None = None
    phone: str | None = None


class Customer(Schema):
    id: Id
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    updated_at: str | None = None
    default_address: Address | None = None


class RefundLineItem(Schema):
    line_item_id: Id | None = None
    line_item: LineItem | None = None
    quantity: int = 0
    restock_type: str | None = None  # no_restock, cancel, return, legacy_restock
    subtotal: Amount | None = None
    total_tax: Amount | None = None
    subtotal_set: MoneySet | None = None
    total_tax_set: MoneySet | None = None


class OrderAdjustment(Schema):
    kind: str | None = None  # shipping_refund, refund_discrepancy
    reason: str | None = None
    amount: Amount | None = None
    tax_amount: Amount | None = None
    amount_set: MoneySet | None = None
    tax_amount_set: MoneySet | None = None


class RefundShippingLine(Schema):
    subtotal_amount_set: MoneySet | None = None


class Refund(Schema):
    id: Id | None = None  # the refunds embedded in an order of the GraphQL replay carry none
    order_id: Id | None = None
    created_at: str | None = None
    note: str | None = None
    restock: bool | None = None
    refund_line_items: list[RefundLineItem] = []
    transactions: list[Transaction] = []
    order_adjustments: list[OrderAdjustment] = []
    refund_shipping_lines: list[RefundShippingLine] = []


class Order(Schema):
    id: Id
    name: str | None = None
    currency: str
    presentment_currency: str | None = None
    updated_at: str | None = None
    financial_status: str | None = None
    cancelled_at: str | None = None
    taxes_included: bool | None = False
    total_price: Amount | None = None
    total_price_set: MoneySet | None = None
    current_total_price: Amount | None = None
    current_total_price_set: MoneySet | None = None
    total_tax: Amount | None = None
    total_tax_set: MoneySet | None = None
    total_discounts: Amount | None = None
    total_discounts_set: MoneySet | None = None
    total_tip_received: Amount | None = None
    current_total_duties_set: MoneySet | None = None
    original_total_duties_set: MoneySet | None = None
    line_items: list[LineItem] = []
    shipping_lines: list[ShippingLine] = []
    tax_lines: list[TaxLine] = []
    refunds: list[Refund] = []
    transactions: list[Transaction] = []
    email: str | None = None
    contact_email: str | None = None
    customer: Customer | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    note: str | None = None
    payment_gateway_names: list[str] = []
    gateway: str | None = None
    location_id: Id | None = None


class Variant(Schema):
    id: Id
    title: str | None = None
    sku: str | None = None
    barcode: str | None = None
    price: Amount | None = None
    grams: int | None = None
    inventory_item_id: Id | None = None


class Product(Schema):
    id: Id
    title: str | None = None
    updated_at: str | None = None
    variants: list[Variant] = []


class FulfillmentLineItem(Schema):
    id: Id
    quantity: int = 0


class Fulfillment(Schema):
    """`fulfillments/create|update`: what Shopify (or a 3PL through Shopify) shipped."""

    id: Id
    order_id: Id
    status: str | None = None  # pending, open, success, cancelled, error, failure
    updated_at: str | None = None
    created_at: str | None = None
    tracking_company: str | None = None
    tracking_number: str | None = None
    line_items: list[FulfillmentLineItem] = []


class MoneyV2(Schema):
    """GraphQL money: an amount and its currency."""

    amount: Amount = Decimal(0)
    currencyCode: str = ""  # Shopify's GraphQL names


class Payout(Schema):
    """A Shopify Payments payout (GraphQL `ShopifyPaymentsPayout`)."""

    id: str
    legacyResourceId: Id | None = None
    issuedAt: str | None = None
    status: str | None = None  # SCHEDULED, IN_TRANSIT, PAID, FAILED, CANCELED
    net: MoneyV2

    @property
    def ref(self):
        return self.legacyResourceId or self.id.rsplit("/", 1)[-1]


class BalanceTransaction(Schema):
    """One movement of the Shopify Payments balance (GraphQL `ShopifyPaymentsBalanceTransaction`)."""

    id: str
    type: str | None = None  # CHARGE, REFUND, ADJUSTMENT, DISPUTE, PAYOUT, ...
    test: bool = False
    sourceOrderTransactionId: Id | None = None
    amount: MoneyV2
    fee: MoneyV2 | None = None
    net: MoneyV2


RESOURCES: dict[str, type[Schema]] = {
    "order": Order,
    "refund": Refund,
    "customer": Customer,
    "product": Product,
    "fulfillment": Fulfillment,
    "transaction": Transaction,
}
Resource = Literal["order", "refund", "customer", "product", "fulfillment", "transaction"]


def unwrap(payload: Any, resource: str) -> dict:
    """Webhook bodies are the bare object; API answers (and the fixtures) wrap it in
    {"order": {...}}: accept both."""
    if isinstance(payload, dict) and set(payload) == {resource} and isinstance(payload[resource], dict):
        payload = payload[resource]
    if not isinstance(payload, dict) or payload.get("id") in (None, ""):
        raise ShopifyPayloadError(f"the body is not a Shopify {resource} (an object with an 'id')")
    return payload


def parse(resource: Resource, payload: Any) -> Schema:
    """A payload (dict, wrapped or bare) as the typed model of `resource`; a
    ShopifyPayloadError naming the first field that is wrong."""
    data = unwrap(payload, resource)
    try:
        return RESOURCES[resource].model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or resource
        raise ShopifyPayloadError(f"{resource} {data.get('id')}: {where}: {error['msg']}") from None
