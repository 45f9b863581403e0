"""Shopify part of `make demo`: the sample deliveries of Shopify's own API fixtures, signed
with the demo app secret, sent over HTTP to the demo Shopify backend
(integration_shopify/demo/integration_backend_demo.xml). The orders become confirmed,
delivered, invoiced and paid sale orders; an unknown SKU is fixed and replayed; a partial
refund with restock becomes a credit note, a refund payment and a return.

`show(admin, base_url)` returns (what, result) rows for the demo's table."""

import copy
import json
import time
import uuid
from decimal import Decimal
from pathlib import Path

import requests

from toolkit import hmac_sha256

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "shopify" / "python"
WEBHOOK_KEY = "demo-shopify"
SECRET = "demo-shopify-app-secret"
SHOP = "demo-store.myshopify.com"


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def balanced(order):
    """The fixture's totals do not add up (3 lines of 199.00, total_price 409.94): recompute."""
    lines = sum((Decimal(i["price"]) * i["quantity"] for i in order["line_items"]), Decimal(0))
    discounts = Decimal(order.get("total_discounts") or 0)
    shipping = sum((Decimal(s["price"]) for s in order["shipping_lines"]), Decimal(0))
    taxes = sum((Decimal(t["price"]) for t in order["tax_lines"]), Decimal(0))
    order.update(
        total_line_items_price=f"{lines:.2f}",
        subtotal_price=f"{lines - discounts:.2f}",
        total_tax=f"{taxes:.2f}",
        total_price=f"{lines - discounts + shipping + taxes:.2f}",
    )
    return order


def deliver(base_url, topic, payload, webhook_id=None, secret=SECRET):
    body = json.dumps(payload).encode()
    signature = hmac_sha256(secret, body, "base64")
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-API-Version": "2025-07",
    }
    return requests.post(
        f"{base_url}/integration/webhook/{WEBHOOK_KEY}", data=body, headers=headers, timeout=30
    )


def _wait_event(admin, webhook_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [event] = admin.call(
            "integration.event",
            "search_read",
            [("external_event_id", "=", webhook_id)],
            ["state", "error_message", "result_note"],
        )
        if event["state"] not in ("pending", "processing", "retry"):
            return event
        time.sleep(0.3)
    raise AssertionError(f"event {webhook_id} not processed in {timeout} s")


def _send(admin, base_url, topic, payload):
    webhook_id = str(uuid.uuid4())
    response = deliver(base_url, topic, payload, webhook_id)
    response.raise_for_status()
    return _wait_event(admin, webhook_id), webhook_id


def _sale(admin, order_id):
    bindings = admin.call(
        "integration.external.id",
        "search_read",
        [("model", "=", "sale.order"), ("external_id", "=", str(order_id))],
        ["res_id"],
    )
    if not bindings:
        return None
    [sale] = admin.call(
        "sale.order",
        "read",
        [bindings[0]["res_id"]],
        ["name", "state", "amount_total", "currency_id", "invoice_ids", "picking_ids", "delivery_status"],
    )
    return sale


def _stock(admin, skus, quantity):
    location = admin.call("stock.warehouse", "search_read", [], ["lot_stock_id"], limit=1)[0]["lot_stock_id"][
        0
    ]
    products = admin.call("product.product", "search", [("default_code", "in", skus)])
    quants = [
        admin.call(
            "stock.quant",
            "create",
            {"product_id": product, "location_id": location, "inventory_quantity": quantity},
        )
        for product in products
    ]
    admin.call("stock.quant", "action_apply_inventory", quants)


def _validate_delivery(admin, sale):
    pickings = admin.call(
        "stock.picking", "search", [("id", "in", sale["picking_ids"]), ("state", "=", "assigned")]
    )
    for picking in pickings:
        admin.call("stock.picking", "write", [picking], {"shopify_tracking_company": "UPS",
                                                        "shopify_tracking_number": "1Z2345"})  # fmt: skip
        # skip_sms: no text message to the customer from a demo
        admin.call("stock.picking", "button_validate", [picking], context={"skip_sms": True})
    return pickings


def _invoice_text(admin, sale):
    invoices = admin.call(
        "account.move",
        "read",
        sale["invoice_ids"],
        ["name", "move_type", "state", "payment_state", "amount_total"],
    )
    return ", ".join(
        f"{i['name']} {i['amount_total']:.2f} {i['state']}/{i['payment_state']}" for i in invoices
    )


def _outbound_state(admin, timeout=20):
    """The fulfilment message once the sender tried it (the demo store has no access token:
    the message fails and says so, as it would with a real store not configured)."""
    deadline = time.monotonic() + timeout
    domain = [("operation", "=", "fulfillment.create")]
    while time.monotonic() < deadline:
        messages = admin.call(
            "integration.outbound", "search_read", domain, ["state", "error_message"], limit=1
        )
        if messages and messages[0]["state"] not in ("pending", "processing"):
            break
        time.sleep(0.5)
    if not messages:
        return "not queued"
    return f"queued, {messages[0]['state']}: {messages[0]['error_message'] or ''}".rstrip(": ")


def show(admin, base_url):
    rows = []
    _stock(admin, ["IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"], 20)

    event, _ = _send(admin, base_url, "customers/create", fixture("customer.json")["customer"])
    rows.append(("customers/create Bob Norman", event["state"]))
    event, _ = _send(admin, base_url, "products/create", fixture("product.json")["product"])
    rows.append(("products/create iPod Nano (one product per variant)", event["state"]))

    order = balanced(copy.deepcopy(fixture("order.json")["order"]))
    first_id = str(uuid.uuid4())
    deliver(base_url, "orders/create", order, first_id)
    duplicate = deliver(base_url, "orders/create", order, first_id)
    rows.append(("orders/create #1001 delivered twice", duplicate.json().get("status", "")))
    _wait_event(admin, first_id)
    forged = deliver(base_url, "orders/create", order, secret="forged")
    rows.append(("orders/create with a forged HMAC", f"HTTP {forged.status_code}"))
    paid = dict(order, financial_status="paid", updated_at="2008-01-10T11:05:00-05:00")
    event, _ = _send(admin, base_url, "orders/paid", paid)
    sale = _sale(admin, order["id"])
    rows.append(
        (
            "orders/paid #1001",
            f"{sale['name']} {sale['state']} {sale['amount_total']:.2f} {sale['currency_id'][1]}; "
            f"{_invoice_text(admin, sale)}",
        )
    )
    pickings = _validate_delivery(admin, sale)
    sale = _sale(admin, order["id"])
    rows.append((f"delivery of #1001 validated ({len(pickings)})", f"delivery {sale['delivery_status']}"))
    rows.append(("fulfillment to Shopify", _outbound_state(admin)))

    second = balanced(copy.deepcopy(fixture("order.json")["order"]))
    second.update(id=450789470, name="#1002", number=2, order_number=1002, financial_status="paid")
    second["line_items"][1].update(sku="IPOD2008SILVER", variant_id=None)
    event, webhook_id = _send(admin, base_url, "orders/paid", second)
    rows.append(("orders/paid #1002 with an unknown SKU", f"{event['state']}: {event['error_message']}"))
    admin.call(
        "product.product",
        "create",
        {
            "name": "iPod Nano 8GB silver",
            "default_code": "IPOD2008SILVER",
            "type": "consu",
            "is_storable": True,
        },
    )
    [event_id] = admin.call("integration.event", "search", [("external_event_id", "=", webhook_id)])
    admin.call("integration.event", "action_replay", [event_id])
    event = _wait_event(admin, webhook_id)
    sale = _sale(admin, second["id"])
    rows.append(
        (
            "product IPOD2008SILVER created, event replayed",
            f"{event['state']}: {sale['name']} {sale['state']}; {_invoice_text(admin, sale)}",
        )
    )

    refund = copy.deepcopy(fixture("refund.json")["refund"])
    refund["refund_line_items"] = refund["refund_line_items"][:1]
    refund["transactions"][0]["amount"] = "202.98"  # 199.00 + 3.98 tax
    event, _ = _send(admin, base_url, "refunds/create", refund)
    sale = _sale(admin, order["id"])
    returns = admin.call(
        "stock.picking",
        "search_count",
        [("id", "in", sale["picking_ids"]), ("picking_type_code", "=", "incoming")],
    )
    rows.append(
        (
            "refunds/create: black iPod, restocked",
            f"{event['state']}; {_invoice_text(admin, sale)}; {returns} return picking",
        )
    )
    return rows


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from odoo_client import OdooClient

    url, db = sys.argv[1], sys.argv[2]
    for what, result in show(OdooClient(url, db).login("admin", "admin"), url):
        print(f"  {what:55} {result}")
