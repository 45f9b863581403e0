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


def money_set(shop, presentment):
    return {
        "shop_money": {"amount": shop, "currency_code": "USD"},
        "presentment_money": {"amount": presentment, "currency_code": "EUR"},
    }


def find_or_create(admin, model, domain, values):
    found = admin.call(model, "search", domain, limit=1)
    return found[0] if found else admin.call(model, "create", values)


def test_multi_currency_order_paid_by_gift_card_and_card_then_partly_refunded(admin, base_url):
    """Issue 15: a EUR order in a USD shop, paid 100.00 EUR by gift card and the rest by card,
    over HTTP -> one sale order, one EUR invoice worth Shopify's USD amount, two payments; a
    refund of the black iPod before it shipped -> a credit note of Shopify's refund, and the
    delivery no longer ships it."""
    goods = {"type": "consu", "is_storable": True, "invoice_policy": "order"}
    for sku in ("IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"):
        find_or_create(
            admin,
            "product.product",
            [("default_code", "=", sku)],
            {"name": sku, "default_code": sku, **goods},
        )
    black = admin.call("product.product", "search", [("default_code", "=", "IPOD2008BLACK")])[0]
    service = {"type": "service", "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
    shipping, discount, tax = (
        admin.call("product.product", "create", {"name": f"Shopify EUR {name}", **service})
        for name in ("shipping", "discount", "tax")
    )
    [eur] = admin.call("res.currency", "search", [("name", "=", "EUR"), ("active", "in", [True, False])])
    admin.call("res.currency", "write", [eur], {"active": True})
    admin.call("res.currency.rate", "create", {"currency_id": eur, "rate": 0.9, "name": "2008-01-01"})
    pricelist = admin.call("product.pricelist", "create", {"name": "E2E EUR", "currency_id": eur})
    card_journal = admin.call(
        "account.journal", "create", {"name": "E2E Shopify Payments", "type": "bank", "code": "E2SP"}
    )
    gift_journal = admin.call(
        "account.journal", "create", {"name": "E2E gift cards", "type": "bank", "code": "E2GC"}
    )
    gift_account = admin.call(
        "account.account",
        "create",
        {
            "name": "E2E gift cards sold",
            "code": "215950",
            "account_type": "liability_current",
            "reconcile": True,
        },
    )
    backend_id = admin.call(
        "integration.backend",
        "create",
        {
            "name": "E2E Shopify EUR",
            "kind": "shopify",
            "state": "active",
            "webhook_secret": SECRET,
            "shopify_shipping_product_id": shipping,
            "shopify_discount_product_id": discount,
            "shopify_tax_product_id": tax,
            "shopify_pricelist_ids": [(4, pricelist)],
            "shopify_gift_card_account_id": gift_account,
            "shopify_gateway_ids": [
                (0, 0, {"gateway": "shopify_payments", "journal_id": card_journal}),
                (0, 0, {"gateway": "gift_card", "journal_id": gift_journal}),
            ],
        },
    )
    [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
    url = f"/integration/webhook/{backend['webhook_uuid']}"

    order = copy.deepcopy(json.loads((FIXTURES / "order.json").read_text())["order"])
    order.update(id=450789501, name="#1501", presentment_currency="EUR", financial_status="paid")
    for item in order["line_items"]:
        item.update(price="200.00", price_set=money_set("200.00", "160.00"))
    order["tax_lines"] = [
        {"price": "12.00", "rate": 0.02, "title": "State Tax", "price_set": money_set("12.00", "9.60")}
    ]
    order["shipping_lines"][0]["price_set"] = money_set("0.00", "0.00")
    order.update(total_price="612.00", total_tax="12.00", total_discounts="0.00")
    order.update(total_price_set=money_set("612.00", "489.60"), total_tax_set=money_set("12.00", "9.60"))
    sale_of = {"kind": "sale", "status": "success", "currency": "EUR"}
    order["transactions"] = [
        {"id": 31, "gateway": "gift_card", "amount": "100.00", **sale_of},
        {"id": 32, "gateway": "shopify_payments", "amount": "389.60", **sale_of},
    ]
    paid_id = str(uuid.uuid4())
    assert post(base_url, url, "orders/paid", order, paid_id).status_code == 200
    event = wait_event(admin, paid_id)
    assert event["state"] == "done", event["error_message"]

    [binding] = admin.call(
        "integration.external.id",
        "search_read",
        [("backend_id", "=", backend_id), ("model", "=", "sale.order"), ("external_id", "=", "450789501")],
        ["res_id"],
    )
    [sale] = admin.call(
        "sale.order", "read", [binding["res_id"]], ["currency_id", "amount_total", "invoice_ids"]
    )
    assert admin.call("sale.order", "search_count", [("client_order_ref", "=", "#1501")]) == 1
    assert (sale["currency_id"][0], sale["amount_total"]) == (eur, 489.60)
    [invoice] = admin.call(
        "account.move",
        "read",
        sale["invoice_ids"],
        ["currency_id", "amount_total", "amount_total_signed", "amount_residual", "name"],
    )
    assert (invoice["currency_id"][0], invoice["amount_total"]) == (eur, 489.60)
    assert invoice["amount_total_signed"] == 612.00, "worth Shopify's shop_money in USD"
    assert invoice["amount_residual"] == 0.0
    payments = admin.call(
        "account.payment", "search_read", [("memo", "=", invoice["name"])], ["amount", "journal_id"]
    )
    assert sorted((p["amount"], p["journal_id"][0]) for p in payments) == [
        (100.0, gift_journal),
        (389.60, card_journal),
    ]

    refund = copy.deepcopy(json.loads((FIXTURES / "refund.json").read_text())["refund"])
    refund.update(id=509562999, order_id=450789501)
    refund["refund_line_items"] = refund["refund_line_items"][:1]  # the black iPod, never shipped
    refund["refund_line_items"][0].update(
        restock_type="cancel",
        subtotal_set=money_set("200.00", "160.00"),
        total_tax_set=money_set("4.00", "3.20"),
    )
    refund["transactions"][0].update(amount="163.20", currency="EUR", gateway="shopify_payments")
    refund_id = str(uuid.uuid4())
    assert post(base_url, url, "refunds/create", refund, refund_id).status_code == 200
    event = wait_event(admin, refund_id)
    assert event["state"] == "done", event["error_message"]
    credit_notes = admin.call(
        "account.move",
        "search_read",
        [("reversed_entry_id", "in", sale["invoice_ids"]), ("move_type", "=", "out_refund")],
        ["amount_total", "currency_id", "state"],
    )
    assert [(c["amount_total"], c["currency_id"][0], c["state"]) for c in credit_notes] == [
        (163.20, eur, "posted")
    ]
    moves = admin.call(
        "stock.move",
        "search_read",
        [
            ("sale_line_id.order_id", "=", sale["id"]),
            ("picking_code", "=", "outgoing"),
            ("state", "not in", ("done", "cancel")),
        ],
        ["product_id", "product_uom_qty"],
    )
    open_quantities = {m["product_id"][0]: m["product_uom_qty"] for m in moves}
    assert black not in open_quantities, "the refunded line no longer ships"
    assert len(open_quantities) == 2, "the other two lines still ship"
