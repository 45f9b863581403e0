"""Shopify orders, refunds, customers and products as the facts the Odoo layer books (pure
Python, no Odoo). Input: the typed payloads of lib/schemas.py (parsed once per event);
output: lines, amounts in the invoicing currency, payments and refund movements."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ...integration_core.lib.money import MoneyError, decimal_amount
from ...integration_core.lib.timeparse import TimeError, to_utc
from . import schemas
from .schemas import ShopifyPayloadError

GIFT_CARD_GATEWAY = "gift_card"
BOOKED_KINDS = ("sale", "capture")  # an authorisation is booked once it is captured
# Refunded items that leave the open delivery (cancel: never fulfilled) and, for the
# pre-2019 `legacy_restock`, whatever was not shipped yet; `return` comes back by a return.
RESTOCK_RETURN, RESTOCK_CANCEL, RESTOCK_LEGACY, RESTOCK_NONE = (
    "return",
    "cancel",
    "legacy_restock",
    "no_restock",
)


def parse_time(value):
    try:
        return to_utc(value)
    except TimeError as exc:
        raise ShopifyPayloadError(str(exc)) from None


@dataclass
class TaxLine:
    title: str
    rate: Decimal
    amount: Decimal


@dataclass
class ItemLine:
    """One product, shipping, duty or tip line of an order."""

    ref: str  # stable key of the line inside the order (line item id, shipping:..., duty:..., tip)
    kind: str  # product | shipping | duty | tip
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
class Payment:
    """A successful sale or capture: one Odoo payment on its gateway's journal."""

    ref: str
    gateway: str
    amount: Decimal
    currency: str

    @property
    def gift_card(self):
        return self.gateway == GIFT_CARD_GATEWAY


@dataclass
class ShopifyOrder:
    id: str
    name: str
    currency: str  # what Odoo invoices in: presentment (the customer's) or the shop's
    shop_currency: str
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
    customer: schemas.Customer | None
    billing_address: schemas.Address | None
    shipping_address: schemas.Address | None
    note: str
    gateway: str = ""
    location_id: str = ""
    shop_total: Decimal | None = None  # Shopify's shop_money total when invoicing in presentment
    payments: list[Payment] = field(default_factory=list)
    transactions_known: bool = False  # the payload listed the order's transactions

    @property
    def products(self):
        return [line for line in self.lines if line.kind == "product"]

    @property
    def shipping(self):
        return [line for line in self.lines if line.kind == "shipping"]

    @property
    def lines_total(self):
        """What the lines add up to: prices less discounts, plus the taxes unless included."""
        taxes = sum((tax.amount for line in self.lines for tax in line.taxes), Decimal(0))
        taxes += sum((tax.amount for tax in self.order_taxes), Decimal(0))
        net = sum((line.subtotal - line.discount for line in self.lines), Decimal(0)) - self.order_discount
        return net if self.taxes_included else net + taxes

    @property
    def extras(self):
        return [line for line in self.lines if line.kind in ("duty", "tip")]


class _Amounts:
    """Reads an amount in the invoicing currency: the presentment (or shop) side of a `*_set`,
    else the plain field, which Shopify writes in the shop currency."""

    def __init__(self, places, presentment, foreign):
        self.places, self.presentment, self.foreign = places, presentment, foreign

    def __call__(self, plain, money_set=None, what="amount"):
        side = money_set and (money_set.presentment_money if self.presentment else money_set.shop_money)
        value = side.amount if side else plain
        if self.foreign and not side and plain:
            raise ShopifyPayloadError(f"{what}: no presentment amount (`*_set`) for {plain}")
        try:
            return decimal_amount(value, self.places)
        except MoneyError as exc:
            raise ShopifyPayloadError(f"{what}: {exc}") from None


def _taxes(raw, amount):
    return [
        TaxLine(
            title=tax.title or "Tax",
            rate=tax.rate or Decimal(0),
            amount=amount(tax.price, tax.price_set, "tax line"),
        )
        for tax in raw
    ]


def _allocated(allocations, amount):
    return sum((amount(a.amount, a.amount_set, "discount allocation") for a in allocations), Decimal(0))


def _quantity(item, refunded):
    """What was sold on the line: Shopify's `current_quantity` (after edits, refunds and
    removals) plus what refunds took back, since refunds are credit notes in Odoo, not
    changes of the sale order; the plain `quantity` when there is no `current_quantity`."""
    if item.current_quantity is not None:
        return Decimal(item.current_quantity) + refunded.get(item.id, Decimal(0))
    if item.quantity is None:
        raise ShopifyPayloadError(f"line item {item.id}: quantity missing")
    return Decimal(item.quantity)


def _refunded(order, amount):
    """({line item id: refunded quantity}, refunded money) of the refunds an order carries."""
    quantities, money = {}, Decimal(0)
    for refund in order.refunds:
        for item in refund.refund_line_items:
            line_id = item.line_item_id or (item.line_item.id if item.line_item else "")
            quantities[line_id] = quantities.get(line_id, Decimal(0)) + Decimal(item.quantity)
        for transaction in refund.transactions:
            if transaction.kind == "refund" and transaction.status in ("success", None):
                money += amount(transaction.amount, None, "refund transaction")
    return quantities, money


def payment_of(transaction: schemas.Transaction, places=2, ref=None) -> Payment | None:
    """The payment a transaction is: a successful sale or capture (an authorisation waits for
    its capture; voids, refunds and failures book nothing)."""
    if transaction.kind not in BOOKED_KINDS or transaction.status != "success":
        return None
    return Payment(
        ref=transaction.id or ref or "",
        gateway=transaction.gateway or "",
        amount=_Amounts(places, True, False)(transaction.amount, None, "transaction"),
        currency=(transaction.currency or "").upper(),
    )


def _payments(order, places):
    payments = [payment_of(t, places, f"{order.id}:{index}") for index, t in enumerate(order.transactions)]
    return [payment for payment in payments if payment]


def invoicing_currency(order: schemas.Order, presentment=True):
    """The currency Odoo invoices `order` in (the backend chooses presentment or shop)."""
    return ((order.presentment_currency if presentment else None) or order.currency).upper()


def parse_order(payload, places=2, presentment=True) -> ShopifyOrder:
    """A Shopify order (typed, or a webhook body / API answer) as a ShopifyOrder, in the
    presentment currency (or the shop's when `presentment` is False), `places` decimals."""
    order = payload if isinstance(payload, schemas.Order) else schemas.parse("order", payload)
    shop_currency = order.currency.upper()
    if not shop_currency:
        raise ShopifyPayloadError(f"order {order.id} has no currency")
    currency = invoicing_currency(order, presentment)
    foreign = currency != shop_currency
    amount = _Amounts(places, presentment, foreign)
    # refund transactions are in the presentment currency
    refunded_quantities, refunded_money = _refunded(order, _Amounts(places, True, False))
    lines = []
    for item in order.line_items:
        lines.append(
            ItemLine(
                ref=item.id,
                kind="product",
                title=item.name or item.title or "",
                quantity=_quantity(item, refunded_quantities),
                unit_price=amount(item.price, item.price_set, f"line item {item.id} price"),
                discount=_allocated(item.discount_allocations, amount)
                if item.discount_allocations
                else amount(item.total_discount, item.total_discount_set, "line discount"),
                sku=(item.sku or "").strip(),
                variant_id=item.variant_id or "",
                taxable=item.taxable is not False,
                taxes=_taxes(item.tax_lines, amount),
            )
        )
        for duty in item.duties:
            lines.append(
                ItemLine(
                    ref=f"duty:{duty.id or item.id}",
                    kind="duty",
                    title=f"Duties: {item.name or item.title or item.id}",
                    quantity=Decimal(1),
                    unit_price=amount(None, duty.price_set, "duty"),
                    taxes=_taxes(duty.tax_lines, amount),
                )
            )
    for index, ship in enumerate(order.shipping_lines):
        lines.append(
            ItemLine(
                ref=f"shipping:{ship.id or index}",
                kind="shipping",
                title=ship.title or ship.code or "Shipping",
                quantity=Decimal(1),
                unit_price=amount(ship.price, ship.price_set, "shipping price"),
                discount=_allocated(ship.discount_allocations, amount),
                taxes=_taxes(ship.tax_lines, amount),
            )
        )
    tip = amount(order.total_tip_received, None, "tip")
    if tip:
        lines.append(ItemLine(ref="tip", kind="tip", title="Tip", quantity=Decimal(1), unit_price=tip))
    # `total_discounts` counts every discount, the shipping lines' allocations included: what
    # is not allocated to a product or shipping line is the order-level discount.
    allocated = sum((line.discount for line in lines), Decimal(0))
    total_discounts = amount(order.total_discounts, order.total_discounts_set, "total_discounts")
    line_taxes_given = any(line.taxes for line in lines)
    total = (
        amount(order.current_total_price, order.current_total_price_set, "current_total_price")
        + refunded_money
        if order.current_total_price is not None or order.current_total_price_set
        else amount(order.total_price, order.total_price_set, "total_price")
    )
    shop_total = None
    if foreign and order.total_price_set and order.total_price_set.shop_money:
        shop_total = decimal_amount(order.total_price_set.shop_money.amount, 2)
    return ShopifyOrder(
        id=order.id,
        name=order.name or order.id,
        currency=currency,
        shop_currency=shop_currency,
        updated_at=parse_time(order.updated_at),
        financial_status=order.financial_status or "",
        cancelled=bool(order.cancelled_at),
        taxes_included=bool(order.taxes_included),
        total_price=total,
        total_tax=amount(order.total_tax, order.total_tax_set, "total_tax"),
        lines=lines,
        order_discount=max(total_discounts - allocated, Decimal(0)),
        order_taxes=[] if line_taxes_given else _taxes(order.tax_lines, amount),
        email=order.email or order.contact_email or "",
        customer=order.customer,
        billing_address=order.billing_address,
        shipping_address=order.shipping_address,
        note=order.note or "",
        gateway=(order.payment_gateway_names[:1] or [order.gateway or ""])[0] or order.gateway or "",
        location_id=order.location_id or "",
        shop_total=shop_total,
        payments=_payments(order, places),
        transactions_known=bool(order.transactions),
    )


@dataclass
class RefundLine:
    line_item_id: str
    quantity: Decimal
    amount: Decimal  # refunded amount before tax
    tax: Decimal
    restock_type: str  # return | cancel | legacy_restock | no_restock

    @property
    def restock(self):
        return self.restock_type in (RESTOCK_RETURN, RESTOCK_LEGACY)


@dataclass
class ShopifyRefund:
    id: str
    order_id: str
    created_at: datetime | None
    note: str
    lines: list[RefundLine]
    shipping: Decimal  # shipping refunded, before tax
    shipping_tax: Decimal
    discrepancy: Decimal  # refund_discrepancy: what the refund leaves out of the calculated amount
    refunded: Decimal  # money returned to the customer (successful refund transactions)
    gateway: str
    currencies: set[str] = field(default_factory=set)  # of the refund transactions
    payments: list[Payment] = field(default_factory=list)  # one per successful refund transaction


def parse_refund(payload, places=2) -> ShopifyRefund:
    refund = payload if isinstance(payload, schemas.Refund) else schemas.parse("refund", payload)
    if not refund.order_id:
        raise ShopifyPayloadError(f"refund {refund.id} has no order_id")
    amount = _Amounts(places, True, False)
    legacy = RESTOCK_LEGACY if refund.restock else RESTOCK_NONE
    lines = []
    for item in refund.refund_line_items:
        line_item = item.line_item
        quantity = Decimal(item.quantity)
        if item.subtotal is not None or item.subtotal_set:
            line_amount = amount(item.subtotal, item.subtotal_set, "refund line subtotal")
        else:
            line_amount = amount(line_item.price if line_item else None, None, "refund line price") * quantity
        if item.total_tax is not None or item.total_tax_set:
            tax = amount(item.total_tax, item.total_tax_set, "refund line tax")
        else:
            tax = sum(
                (t.amount for t in _taxes(line_item.tax_lines if line_item else [], amount)), Decimal(0)
            )
        lines.append(
            RefundLine(
                line_item_id=item.line_item_id or (line_item.id if line_item else ""),
                quantity=quantity,
                amount=line_amount,
                tax=tax,
                restock_type=item.restock_type or legacy,
            )
        )
    shipping = shipping_tax = discrepancy = Decimal(0)
    # An adjustment's amount is what the refund leaves out of its lines: a shipping refund is
    # negative (it adds the shipping), a discrepancy is what was refunded less.
    for adjustment in refund.order_adjustments:
        value = amount(adjustment.amount, adjustment.amount_set, f"{adjustment.kind} adjustment")
        tax = amount(adjustment.tax_amount, adjustment.tax_amount_set, f"{adjustment.kind} adjustment tax")
        if adjustment.kind == "shipping_refund":
            shipping, shipping_tax = shipping - value, shipping_tax - tax
        elif adjustment.kind == "refund_discrepancy":
            discrepancy += value + tax
    for ship in refund.refund_shipping_lines:
        shipping += amount(None, ship.subtotal_amount_set, "shipping refund")
    refunded, gateway, currencies, payments = Decimal(0), "", set(), []
    for transaction in refund.transactions:
        if transaction.kind == "refund" and transaction.status in ("success", None):
            refunded += amount(transaction.amount, None, "refund transaction")
            gateway = gateway or transaction.gateway or ""
            payments.append(
                Payment(
                    ref=transaction.id or "",
                    gateway=transaction.gateway or "",
                    amount=amount(transaction.amount, None, "refund transaction"),
                    currency=(transaction.currency or "").upper(),
                )
            )
            if transaction.currency:
                currencies.add(transaction.currency.upper())
    return ShopifyRefund(
        id=refund.id or "",
        order_id=refund.order_id,
        created_at=parse_time(refund.created_at),
        note=refund.note or "",
        lines=lines,
        shipping=shipping,
        shipping_tax=shipping_tax,
        discrepancy=discrepancy,
        refunded=refunded,
        gateway=gateway,
        currencies=currencies,
        payments=payments,
    )


def customer_values(customer: schemas.Customer):
    """Partner fields from a Shopify customer."""
    address = customer.default_address or schemas.Address()
    first, last = (customer.first_name or "").strip(), (customer.last_name or "").strip()
    name = " ".join(p for p in (first, last) if p) or address.name or customer.email or ""
    return {
        "name": name.strip(),
        "email": customer.email or False,
        "phone": customer.phone or address.phone or False,
        **_street_values(address),
        "company_name": address.company or False,
    }


def address_values(address: schemas.Address):
    name = address.name or " ".join(p for p in (address.first_name, address.last_name) if p)
    return {"name": (name or "").strip(), "phone": address.phone or False, **_street_values(address)}


def _street_values(address):
    return {
        "street": address.address1 or False,
        "street2": address.address2 or False,
        "city": address.city or False,
        "zip": address.zip or False,
        "country_code": address.country_code or False,
        "state_code": address.province_code or False,
    }


def product_variants(payload, places=2):
    """(product id, updated at, [(variant id, values)]) of a Shopify product: one Odoo product
    per variant."""
    product = payload if isinstance(payload, schemas.Product) else schemas.parse("product", payload)
    title = (product.title or "").strip()
    amount = _Amounts(places, True, False)
    variants = []
    for variant in product.variants:
        variant_title = (variant.title or "").strip()
        name = title if variant_title in ("", "Default Title") else f"{title} - {variant_title}"
        variants.append(
            (
                variant.id,
                {
                    "name": name,
                    "sku": (variant.sku or "").strip(),
                    "barcode": (variant.barcode or "").strip(),
                    "price": amount(variant.price, None, "variant price"),
                    "weight_grams": variant.grams or 0,
                    "inventory_item_id": variant.inventory_item_id or "",
                },
            )
        )
    return product.id, parse_time(product.updated_at), variants
