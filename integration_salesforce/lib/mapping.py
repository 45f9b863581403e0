"""From Salesforce facts to plain order-line facts (pure Python, Decimal to the cent).

The Odoo layer turns `OrderLine`s into sale order lines. Each amount is kept to the cent:
the untaxed total of the lines equals the quote's `SBQQ__NetAmount__c` (Odoo adds taxes
from its fiscal position); a quote whose lines do not add up is refused with the
difference, never rounded away."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# Fields that change on every save and say nothing about the business content.
SYSTEM_FIELDS = frozenset(
    {
        "attributes",
        "SystemModstamp",
        "LastModifiedDate",
        "LastModifiedById",
        "LastViewedDate",
        "LastReferencedDate",
        "LastActivityDate",
    }
)


class QuoteMappingError(ValueError):
    """The quote cannot become order lines as priced; the message says what to fix."""


def to_cent(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class OrderLine:
    key: str  # the Salesforce line id (quote line or opportunity line item)
    product_code: str | None
    name: str
    quantity: Decimal
    price_unit: Decimal
    discount: Decimal  # percent, 0 when the net price is the unit price
    subtotal: Decimal  # to the cent: what Odoo's untaxed line amount must be
    sequence: int
    parent_key: str | None = None  # bundle parent (SBQQ__RequiredBy__c)
    is_bundle: bool = False
    subscription_term: Decimal | None = None
    start_date: date | None = None
    end_date: date | None = None


def _price_terms(quantity, list_price, discount, net_total, net_price):
    """(price_unit, discount) that give `net_total` to the cent with Odoo's arithmetic
    (price x quantity x (1 - discount/100), rounded to the cent); list price and discount
    when they do, else the net unit price; None when nothing at two decimals does."""
    if quantity == 0:
        return (to_cent(net_price or list_price or 0), Decimal(0)) if net_total == 0 else None
    if list_price is not None and discount:
        unit = to_cent(list_price)
        if unit == list_price and to_cent(unit * quantity * (1 - discount / 100)) == net_total:
            return unit, discount
    for unit in (net_price, net_total / quantity):
        if unit is None:
            continue
        unit = to_cent(unit)
        if to_cent(unit * quantity) == net_total:
            return unit, Decimal(0)
    return None


def _bundle_order(quote):
    """(line, depth) in the order a person reads the quote: each bundle parent, then its
    components (`SBQQ__RequiredBy__c`) by line number."""
    lines = sorted(quote.lines, key=lambda line: (line.number if line.number is not None else 10**9, line.id))
    by_id = {line.id: line for line in lines}
    children = {}
    for line in lines:
        if line.required_by and line.required_by not in by_id:
            raise QuoteMappingError(
                f"quote line {line.id} belongs to bundle line {line.required_by}, which is not on the quote"
            )
        children.setdefault(line.required_by, []).append(line)
    ordered = []

    def walk(parent_id, depth):
        for line in children.get(parent_id, []):
            ordered.append((line, depth, line.id in children))
            walk(line.id, depth + 1)

    walk(None, 0)
    return ordered


def _line_name(line, depth):
    name = line.label or line.product_code or line.id
    if line.is_subscription and line.start_date:
        end = line.end_date.isoformat() if line.end_date else "..."
        name = f"{name} ({line.start_date.isoformat()} - {end})"
    return ("  " * depth) + name


def quote_order_lines(quote) -> list[OrderLine]:
    """The order lines of a CPQ quote: bundles in order (parent, then its components by
    line number), subscription terms and dates kept, totals checked against the net amount."""
    ordered = _bundle_order(quote)
    result = []
    for sequence, (line, depth, has_components) in enumerate(ordered, start=1):
        net_total = to_cent(line.net_total)
        if net_total != line.net_total:
            raise QuoteMappingError(f"quote line {line.id}: net total {line.net_total} is not to the cent")
        terms = _price_terms(line.quantity, line.list_price, line.discount, net_total, line.net_price)
        if terms is None:
            raise QuoteMappingError(
                f"quote line {line.id} ({line.label}): {line.quantity} x net price {line.net_price} "
                f"cannot give the approved net total {net_total} at two decimals"
            )
        result.append(
            OrderLine(
                key=line.id,
                product_code=line.product_code,
                name=_line_name(line, depth),
                quantity=line.quantity,
                price_unit=terms[0],
                discount=terms[1],
                subtotal=net_total,
                sequence=sequence,
                parent_key=line.required_by,
                is_bundle=line.is_bundle or has_components,
                subscription_term=line.subscription_term
                or (quote.subscription_term if line.is_subscription else None),
                start_date=line.start_date or (quote.start_date if line.is_subscription else None),
                end_date=line.end_date or (quote.end_date if line.is_subscription else None),
            )
        )
    check_total(result, quote.net_amount, f"quote {quote.name or quote.id}")
    return result


def check_total(lines, expected, what):
    if expected is None:
        return
    total = sum((line.subtotal for line in lines), Decimal(0))
    if total != to_cent(expected):
        raise QuoteMappingError(
            f"{what}: the lines add up to {total}, the approved net amount is {to_cent(expected)} "
            f"(difference {to_cent(expected) - total})"
        )


def opportunity_order_lines(opportunity) -> list[OrderLine]:
    """The order lines of an opportunity without CPQ (its OpportunityLineItems)."""
    result = []
    items = sorted(opportunity.line_items, key=lambda item: (item.sort_order or 0, item.id))
    for sequence, item in enumerate(items, start=1):
        discount = item.discount or Decimal(0)
        subtotal = (
            to_cent(item.total_price)
            if item.total_price is not None
            else to_cent(item.unit_price * item.quantity * (1 - discount / 100))
        )
        terms = _price_terms(item.quantity, item.unit_price, discount, subtotal, None)
        if terms is None:
            raise QuoteMappingError(
                f"opportunity product {item.id}: {item.quantity} x {item.unit_price} cannot give "
                f"the total price {subtotal} at two decimals"
            )
        result.append(
            OrderLine(
                key=item.id,
                product_code=item.product_code,
                name=item.description or item.name or item.product_code or item.id,
                quantity=item.quantity,
                price_unit=terms[0],
                discount=terms[1],
                subtotal=subtotal,
                sequence=sequence,
            )
        )
    if opportunity.amount is not None and result:
        check_total(result, opportunity.amount, f"opportunity {opportunity.name or opportunity.id}")
    return result


def amendment_delta(quote) -> list[OrderLine]:
    """What a CPQ amendment quote changes: per line the quantity added or removed
    (`SBQQ__Quantity__c` - `SBQQ__PriorQuantity__c`) at the line's net total, which CPQ
    prices (prorated) for the change only; unchanged lines are left out. Quantities may be
    negative (a reduction). The changes add up to the amendment's net amount."""
    delta = []
    for sequence, (line, depth, has_components) in enumerate(_bundle_order(quote), start=1):
        net_total = to_cent(line.net_total)
        change = line.quantity - (line.prior_quantity or Decimal(0))
        if change == 0:
            if net_total:
                raise QuoteMappingError(
                    f"amendment line {line.id}: the quantity does not change but the net total is {net_total}"
                )
            continue
        unit = to_cent(net_total / change)
        if to_cent(unit * change) != net_total:
            raise QuoteMappingError(
                f"amendment line {line.id}: a change of {change} cannot give the net total {net_total}"
            )
        delta.append(
            OrderLine(
                key=line.id,
                product_code=line.product_code,
                name=_line_name(line, depth),
                quantity=change,
                price_unit=unit,
                discount=Decimal(0),
                subtotal=net_total,
                sequence=sequence,
                parent_key=line.required_by,
                is_bundle=line.is_bundle or has_components,
                subscription_term=line.subscription_term,
                start_date=line.start_date,
                end_date=line.end_date,
            )
        )
    check_total(delta, quote.net_amount, f"amendment {quote.name or quote.id}")
    return delta


@dataclass(frozen=True)
class LineChange:
    key: str
    what: str  # "added", "removed", "changed"
    text: str


def line_changes(old: list[OrderLine], new: list[OrderLine]) -> list[LineChange]:
    """What changed from one version of a quote's lines to the next, for a chatter note and
    for the business exception of a confirmed order."""
    old_by_key = {line.key: line for line in old}
    new_by_key = {line.key: line for line in new}
    changes = []
    for key, line in new_by_key.items():
        before = old_by_key.get(key)
        if before is None:
            changes.append(
                LineChange(key, "added", f"added {line.quantity} x {line.name.strip()} = {line.subtotal}")
            )
        elif (before.quantity, before.subtotal, before.product_code) != (
            line.quantity,
            line.subtotal,
            line.product_code,
        ):
            changes.append(
                LineChange(
                    key,
                    "changed",
                    f"{line.name.strip()}: {before.quantity} x = {before.subtotal}"
                    f" -> {line.quantity} x = {line.subtotal}",
                )
            )
    for key, line in old_by_key.items():
        if key not in new_by_key:
            changes.append(
                LineChange(key, "removed", f"removed {line.quantity} x {line.name.strip()} = {line.subtotal}")
            )
    return changes


def line_to_json(line: OrderLine) -> dict:
    return {
        "key": line.key,
        "product_code": line.product_code,
        "name": line.name,
        "quantity": str(line.quantity),
        "price_unit": str(line.price_unit),
        "discount": str(line.discount),
        "subtotal": str(line.subtotal),
        "sequence": line.sequence,
        "parent_key": line.parent_key,
        "is_bundle": line.is_bundle,
    }


def line_from_json(data: dict) -> OrderLine:
    return OrderLine(
        key=data["key"],
        product_code=data.get("product_code"),
        name=data["name"],
        quantity=Decimal(data["quantity"]),
        price_unit=Decimal(data["price_unit"]),
        discount=Decimal(data["discount"]),
        subtotal=Decimal(data["subtotal"]),
        sequence=data.get("sequence", 0),
        parent_key=data.get("parent_key"),
        is_bundle=data.get("is_bundle", False),
    )


def deal_is_committed(opportunity, stage_name=None) -> bool:
    """Whether a deal gives an order: `IsWon` by default, or a chosen `StageName`."""
    if stage_name:
        return opportunity.stage_name == stage_name
    return opportunity.is_won


def content_hash(values: dict, odoo_owned_fields=()) -> str:
    """A hash of the Salesforce-owned content of a record: system fields and the fields
    Odoo writes back are left out, so Odoo's own status write-back does not change it."""
    skip = SYSTEM_FIELDS | set(odoo_owned_fields)
    content = {key: value for key, value in values.items() if key not in skip}
    text = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def is_echo(values: dict, integration_user_id, previous_hash, odoo_owned_fields=()) -> bool:
    """A change made by the integration user that touches only Odoo-owned fields: Odoo's own
    write-back coming back. Salesforce ids compare on their 15-character prefix."""
    author = (values.get("LastModifiedById") or "")[:15]
    if not integration_user_id or author != integration_user_id[:15] or not previous_hash:
        return False
    return content_hash(values, odoo_owned_fields) == previous_hash
