"""Reading Shopify order, refund, customer and product payloads into plain structures
(pure Python, no Odoo). The Odoo layer maps them to sale orders, credit notes, partners and
products; everything here is unit-tested without Odoo."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from .money import MoneyError, to_decimal


class ShopifyPayloadError(ValueError):
    """The payload does not have the shape Shopify documents."""


def unwrap(payload, resource):
    """Webhook bodies are the bare object; API answers (and the fixtures) wrap it in
    {"order": {...}}: accept both."""
    if isinstance(payload, dict) and set(payload) == {resource} and isinstance(payload[resource], dict):
        payload = payload[resource]
    if not isinstance(payload, dict) or payload.get("id") in (None, ""):
        raise ShopifyPayloadError(f"the body is not a Shopify {resource} (an object with an 'id')")
    return payload


def parse_time(value):
    """ISO 8601 with offset ('2008-01-10T11:00:00-05:00') -> naive UTC datetime (or None)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ShopifyPayloadError(f"not a time: {value!r}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


@dataclass
class TaxLine:
    title: str
    rate: Decimal
    amount: Decimal


@dataclass
class ItemLine:
    """One product line, shipping line or discount line of an order."""

    ref: str  # stable key of the line inside the order (line item id, shipping:..., discount:...)
    kind: str  # product | shipping
    title: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = Decimal(0)  # total discount allocated to this line
    sku: str = ""
    variant_id: str = ""
    taxable: bool = True
    taxes: list[TaxLine] = field(default_factory=list)

    @property
    def subtotal(self):
        return self.unit_price * self.quantity


@dataclass
class ShopifyOrder:
    id: str
    name: str
    currency: str
    updated_at: datetime | None
    financial_status: str
    cancelled: bool
    taxes_included: bool
    total_price: Decimal
    total_tax: Decimal
    lines: list[ItemLine]
    order_discount: Decimal  # discount not allocated to any line
    order_taxes: list[TaxLine]  # tax lines of the order when the lines carry none
    email: str
    customer: dict | None
    billing_address: dict | None
    shipping_address: dict | None
    note: str
    gateway: str = ""
    location_id: str = ""

    @property
    def products(self):
        return [line for line in self.lines if line.kind == "product"]

    @property
    def shipping(self):
        return [line for line in self.lines if line.kind == "shipping"]


def _money(value, what, places):
    try:
        return to_decimal(value, places)
    except MoneyError as exc:
        raise ShopifyPayloadError(f"{what}: {exc}") from None


def _taxes(raw, places):
    taxes = []
    for tax in raw or []:
        taxes.append(
            TaxLine(
                title=str(tax.get("title") or "Tax"),
                rate=Decimal(str(tax.get("rate") or 0)),
                amount=_money(tax.get("price"), "tax line price", places),
            )
        )
    return taxes


def _allocated(line, places):
    allocations = line.get("discount_allocations")
    if allocations:
        return sum((_money(a.get("amount"), "discount allocation", places) for a in allocations), Decimal(0))
    return _money(line.get("total_discount"), "line discount", places)


def _quantity(line, refunded):
    """What was sold on the line: Shopify's `current_quantity` (after edits, refunds and
    removals) plus what refunds took back, since refunds are credit notes in Odoo, not
    changes of the sale order; the plain `quantity` when there is no `current_quantity`."""
    quantity = line.get("current_quantity", line.get("quantity"))
    if isinstance(quantity, bool) or not isinstance(quantity, int | str):
        raise ShopifyPayloadError(f"line item {line.get('id')}: quantity missing")
    try:
        quantity = Decimal(str(quantity))
    except ArithmeticError:
        raise ShopifyPayloadError(f"line item {line.get('id')}: quantity {quantity!r}") from None
    if "current_quantity" in line:
        quantity += refunded.get(str(line.get("id")), Decimal(0))
    return quantity


def _refunds(data, places):
    """({line item id: refunded quantity}, refunded money) of the refunds an order carries."""
    quantities, money = {}, Decimal(0)
    for refund in data.get("refunds") or []:
        for item in refund.get("refund_line_items") or []:
            line_id = str(item.get("line_item_id") or (item.get("line_item") or {}).get("id") or "")
            quantities[line_id] = quantities.get(line_id, Decimal(0)) + Decimal(
                str(item.get("quantity") or 0)
            )
        for transaction in refund.get("transactions") or []:
            if transaction.get("kind") == "refund" and transaction.get("status") in ("success", None):
                money += _money(transaction.get("amount"), "refund transaction", places)
    return quantities, money


def _expected_total(data, refunded_money, places):
    """The total the Odoo sale order must have: Shopify's current total (after edits and
    refunds) plus the money refunded, when Shopify sends it; else `total_price`."""
    if data.get("current_total_price") not in (None, ""):
        return _money(data["current_total_price"], "current_total_price", places) + refunded_money
    return _money(data.get("total_price"), "total_price", places)


def parse_order(payload, places=2) -> ShopifyOrder:
    """An order webhook body (or API answer) as a ShopifyOrder; amounts in `places` decimals."""
    data = unwrap(payload, "order")
    currency = data.get("currency")
    if not currency:
        raise ShopifyPayloadError(f"order {data['id']} has no currency")
    refunded_quantities, refunded_money = _refunds(data, places)
    lines = []
    for item in data.get("line_items") or []:
        if item.get("id") in (None, ""):
            raise ShopifyPayloadError("a line item has no id")
        lines.append(
            ItemLine(
                ref=str(item["id"]),
                kind="product",
                title=item.get("name") or item.get("title") or "",
                quantity=_quantity(item, refunded_quantities),
                unit_price=_money(item.get("price"), f"line item {item['id']} price", places),
                discount=_allocated(item, places),
                sku=(item.get("sku") or "").strip(),
                variant_id=str(item.get("variant_id") or ""),
                taxable=item.get("taxable", True) is not False,
                taxes=_taxes(item.get("tax_lines"), places),
            )
        )
    for index, ship in enumerate(data.get("shipping_lines") or []):
        lines.append(
            ItemLine(
                ref=f"shipping:{ship.get('id') or index}",
                kind="shipping",
                title=ship.get("title") or ship.get("code") or "Shipping",
                quantity=Decimal(1),
                unit_price=_money(ship.get("price"), "shipping price", places),
                discount=_allocated(ship, places) if ship.get("discount_allocations") else Decimal(0),
                taxes=_taxes(ship.get("tax_lines"), places),
            )
        )
    line_discounts = sum((line.discount for line in lines if line.kind == "product"), Decimal(0))
    total_discounts = _money(data.get("total_discounts"), "total_discounts", places)
    line_taxes_given = any(line.taxes for line in lines)
    return ShopifyOrder(
        id=str(data["id"]),
        name=str(data.get("name") or data["id"]),
        currency=str(currency).upper(),
        updated_at=parse_time(data.get("updated_at")),
        financial_status=data.get("financial_status") or "",
        cancelled=bool(data.get("cancelled_at")),
        taxes_included=bool(data.get("taxes_included")),
        total_price=_expected_total(data, refunded_money, places),
        total_tax=_money(data.get("total_tax"), "total_tax", places),
        lines=lines,
        order_discount=max(total_discounts - line_discounts, Decimal(0)),
        order_taxes=[] if line_taxes_given else _taxes(data.get("tax_lines"), places),
        email=data.get("email") or data.get("contact_email") or "",
        customer=data.get("customer") or None,
        billing_address=data.get("billing_address") or None,
        shipping_address=data.get("shipping_address") or None,
        note=data.get("note") or "",
        gateway=((data.get("payment_gateway_names") or [None])[0] or data.get("gateway") or ""),
        location_id=str(data.get("location_id") or ""),
    )


@dataclass
class RefundLine:
    line_item_id: str
    quantity: Decimal
    amount: Decimal  # refunded amount before tax
    tax: Decimal
    restock: bool


@dataclass
class ShopifyRefund:
    id: str
    order_id: str
    created_at: datetime | None
    note: str
    lines: list[RefundLine]
    shipping: Decimal  # shipping refunded, before tax
    shipping_tax: Decimal
    refunded: Decimal  # money returned to the customer (successful refund transactions)
    gateway: str


def parse_refund(payload, places=2) -> ShopifyRefund:
    data = unwrap(payload, "refund")
    if not data.get("order_id"):
        raise ShopifyPayloadError(f"refund {data['id']} has no order_id")
    restock_all = bool(data.get("restock"))
    lines = []
    for item in data.get("refund_line_items") or []:
        line_item = item.get("line_item") or {}
        quantity = Decimal(str(item.get("quantity") or 0))
        if item.get("subtotal") not in (None, ""):
            amount = _money(item.get("subtotal"), "refund line subtotal", places)
        else:
            price = _money(line_item.get("price"), "refund line price", places)
            amount = price * quantity
        if item.get("total_tax") not in (None, ""):
            tax = _money(item.get("total_tax"), "refund line tax", places)
        else:
            tax = sum((t.amount for t in _taxes(line_item.get("tax_lines"), places)), Decimal(0))
        restock_type = item.get("restock_type")
        lines.append(
            RefundLine(
                line_item_id=str(item.get("line_item_id") or line_item.get("id") or ""),
                quantity=quantity,
                amount=amount,
                tax=tax,
                restock=restock_type == "return" if restock_type else restock_all,
            )
        )
    shipping = shipping_tax = Decimal(0)
    for adjustment in data.get("order_adjustments") or []:
        if adjustment.get("kind") == "shipping_refund":
            shipping -= _money(adjustment.get("amount"), "shipping refund", places)
            shipping_tax -= _money(adjustment.get("tax_amount"), "shipping refund tax", places)
    for ship in data.get("refund_shipping_lines") or []:
        money = (ship.get("subtotal_amount_set") or {}).get("shop_money") or {}
        shipping += _money(money.get("amount"), "shipping refund", places)
    refunded = Decimal(0)
    gateway = ""
    for transaction in data.get("transactions") or []:
        if transaction.get("kind") == "refund" and transaction.get("status") in ("success", None):
            refunded += _money(transaction.get("amount"), "refund transaction", places)
            gateway = gateway or transaction.get("gateway") or ""
    return ShopifyRefund(
        id=str(data["id"]),
        order_id=str(data["order_id"]),
        created_at=parse_time(data.get("created_at")),
        note=data.get("note") or "",
        lines=lines,
        shipping=shipping,
        shipping_tax=shipping_tax,
        refunded=refunded,
        gateway=gateway,
    )


def customer_values(data):
    """Partner fields from a Shopify customer (or an order's customer/billing address)."""
    address = data.get("default_address") or {}
    first, last = (data.get("first_name") or "").strip(), (data.get("last_name") or "").strip()
    name = " ".join(p for p in (first, last) if p) or address.get("name") or data.get("email") or ""
    return {
        "name": name.strip(),
        "email": data.get("email") or False,
        "phone": data.get("phone") or address.get("phone") or False,
        **_street_values(address),
        "company_name": address.get("company") or False,
    }


def address_values(address):
    name = address.get("name") or " ".join(
        p for p in (address.get("first_name"), address.get("last_name")) if p
    )
    return {"name": (name or "").strip(), "phone": address.get("phone") or False, **_street_values(address)}


def _street_values(address):
    return {
        "street": address.get("address1") or False,
        "street2": address.get("address2") or False,
        "city": address.get("city") or False,
        "zip": address.get("zip") or False,
        "country_code": address.get("country_code") or False,
        "state_code": address.get("province_code") or False,
    }


def product_variants(payload, places=2):
    """[(variant id, values)] of a Shopify product: one Odoo product per variant."""
    data = unwrap(payload, "product")
    title = (data.get("title") or "").strip()
    variants = []
    for variant in data.get("variants") or []:
        if variant.get("id") in (None, ""):
            raise ShopifyPayloadError(f"product {data['id']}: a variant has no id")
        variant_title = (variant.get("title") or "").strip()
        name = title if variant_title in ("", "Default Title") else f"{title} - {variant_title}"
        variants.append(
            (
                str(variant["id"]),
                {
                    "name": name,
                    "sku": (variant.get("sku") or "").strip(),
                    "barcode": (variant.get("barcode") or "").strip(),
                    "price": _money(variant.get("price"), "variant price", places),
                    "weight_grams": variant.get("grams") or 0,
                    "inventory_item_id": str(variant.get("inventory_item_id") or ""),
                },
            )
        )
    return str(data["id"]), parse_time(data.get("updated_at")), variants
