"""Shopify end to end: signed deliveries over HTTP to a real Odoo server become a confirmed,
invoiced and paid sale order; duplicates and forged signatures change nothing."""

import base64
import copy
import hashlib
import hmac
import json
import time
import uuid
from decimal import Decimal
from pathlib import Path

import requests

SECRET = "e2e-shopify-secret"
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "shopify" / "python"


def order_payload():
    order = copy.deepcopy(json.loads((FIXTURES / "order.json").read_text())["order"])
    lines = sum((Decimal(i["price"]) * i["quantity"] for i in order["line_items"]), Decimal(0))
    taxes = sum((Decimal(t["price"]) for t in order["tax_lines"]), Decimal(0))
    order["total_price"] = f"{lines + taxes:.2f}"  # the fixture's own total does not add up
    return order


def post(base_url, url, topic, payload, webhook_id, secret=SECRET):
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Webhook-Id": webhook_id,
    }
    return requests.post(base_url + url, data=body, headers=headers, timeout=30)


def wait_event(admin, webhook_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = admin.call(
            "integration.event",
            "search_read",
            [("external_event_id", "=", webhook_id)],
            ["state", "error_message"],
        )
        if events and events[0]["state"] not in ("pending", "processing", "retry"):
            return events[0]
        time.sleep(0.3)
    raise AssertionError(f"event {webhook_id} not processed")


def test_signed_order_becomes_a_confirmed_invoiced_paid_sale_order(admin, base_url):
    goods = {"type": "consu", "is_storable": True, "invoice_policy": "order"}
    for sku in ("IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"):
        admin.call("product.product", "create", {"name": sku, "default_code": sku, **goods})
    service = {"type": "service", "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
    shipping, discount, tax = (
        admin.call("product.product", "create", {"name": f"Shopify {name}", **service})
        for name in ("shipping", "discount", "tax")
    )
    backend_id = admin.call(
        "integration.backend",
        "create",
        {
            "name": "E2E Shopify",
            "kind": "shopify",
            "state": "active",
            "webhook_secret": SECRET,
            "shopify_shipping_product_id": shipping,
            "shopify_discount_product_id": discount,
            "shopify_tax_product_id": tax,
        },
    )
    [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
    url = f"/integration/webhook/{backend['webhook_uuid']}"
    order = order_payload()

    forged = post(base_url, url, "orders/create", order, str(uuid.uuid4()), secret="forged")
    assert forged.status_code == 401

    webhook_id = str(uuid.uuid4())
    first = post(base_url, url, "orders/create", order, webhook_id)
    again = post(base_url, url, "orders/create", order, webhook_id)
    assert (first.status_code, first.json()["status"]) == (200, "accepted")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    event = wait_event(admin, webhook_id)
    assert event["state"] == "done", event["error_message"]

    paid_id = str(uuid.uuid4())
    paid = dict(order, financial_status="paid", updated_at="2008-01-10T11:05:00-05:00")
    assert post(base_url, url, "orders/paid", paid, paid_id).status_code == 200
    event = wait_event(admin, paid_id)
    assert event["state"] == "done", event["error_message"]

    [binding] = admin.call(
        "integration.external.id",
        "search_read",
        [
            ("backend_id", "=", backend_id),
            ("model", "=", "sale.order"),
            ("external_id", "=", str(order["id"])),
        ],
        ["res_id"],
    )
    [sale] = admin.call("sale.order", "read", [binding["res_id"]], ["state", "amount_total", "invoice_ids"])
    assert (sale["state"], sale["amount_total"]) == ("sale", 608.94)
    assert admin.call("sale.order", "search_count", [("client_order_ref", "=", "#1001")]) == 1
    [invoice] = admin.call(
        "account.move", "read", sale["invoice_ids"], ["state", "payment_state", "amount_total"]
    )
    assert (invoice["state"], invoice["amount_total"]) == ("posted", 608.94)
    assert invoice["payment_state"] in ("in_payment", "paid")
