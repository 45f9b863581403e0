"""An account's entitlements as one vendor-neutral document (pure Python).

What a support platform needs to know about a customer: who it is, and for each contract in
force what it may use (products and quantities) and for how long. Each document is a full
snapshot with a version that only grows, so a receiver keeps the highest version it has
seen and a late or repeated delivery changes nothing.

No amounts: an entitlement says what and how long, not what it cost. The commercial terms
stay in Odoo and the CRM; a support platform does not need them to serve the customer."""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

SNAPSHOT_TYPE = "entitlements.snapshot"
# Fields that change with every snapshot; the rest says what the customer is entitled to.
VOLATILE = frozenset({"version", "generated_at"})


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    quantity: Decimal
    unit: str = ""


@dataclass(frozen=True)
class Entitlement:
    contract: str  # the contract's reference (its name)
    contract_id: int
    contract_version: int
    provider: str  # the contract tool: docusign, dropbox_sign, pandadoc
    envelope_id: str
    start: date | None
    end: date | None
    sale_order: str
    deal: str  # the deal's correlation id ("" when none)
    products: tuple[Product, ...] = ()
    state: str = "active"


@dataclass(frozen=True)
class Account:
    odoo_id: int
    name: str
    vat: str = ""
    email: str = ""
    external_ids: tuple[tuple[str, str], ...] = field(default=())  # (system, id)


def term_months(start: date | None, end: date | None) -> int | None:
    """Months from `start` to `end` inclusive; a part month counts as one. 2026-01-01 to
    2026-12-31 -> 12; unknown dates -> None."""
    if not start or not end or end < start:
        return None
    span = relativedelta(end + timedelta(days=1), start)
    return span.years * 12 + span.months + (1 if span.days else 0)


def quantity_text(quantity: Decimal) -> str:
    """Decimal('10.000') -> '10', Decimal('2.50') -> '2.5': exact, as text (never a float)."""
    text = format(Decimal(quantity).normalize(), "f")
    return "0" if text in ("-0", "") else text


def snapshot(account: Account, entitlements, version: int, generated_at: datetime) -> dict:
    """The document pushed to a support platform (JSON-ready; dates ISO 8601, times UTC)."""
    items = []
    for item in sorted(entitlements, key=lambda e: (e.start or date.min, e.contract_id)):
        products = sorted(item.products, key=lambda p: (p.sku, p.name))
        items.append(
            {
                **{k: v for k, v in asdict(item).items() if k not in ("products", "start", "end")},
                "start": item.start.isoformat() if item.start else None,
                "end": item.end.isoformat() if item.end else None,
                "term_months": term_months(item.start, item.end),
                "products": [
                    {"sku": p.sku, "name": p.name, "quantity": quantity_text(p.quantity), "unit": p.unit}
                    for p in products
                ],
            }
        )
    return {
        "type": SNAPSHOT_TYPE,
        "version": version,
        "generated_at": generated_at.replace(microsecond=0).isoformat() + "Z",
        "account": {
            "odoo_id": account.odoo_id,
            "name": account.name,
            "vat": account.vat or None,
            "email": account.email or None,
            "external_ids": [{"system": s, "id": i} for s, i in sorted(account.external_ids)],
        },
        "entitlements": items,
    }


def same_entitlements(first: dict | None, second: dict | None) -> bool:
    """Do two snapshots say the same thing (whatever their version and time)?"""
    if first is None or second is None:
        return False
    return {k: v for k, v in first.items() if k not in VOLATILE} == {
        k: v for k, v in second.items() if k not in VOLATILE
    }
