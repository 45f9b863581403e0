"""A refund delivered before the payment or order it refunds, over HTTP (Stripe, Shopify): it
waits (no failure, no attempt spent), then books once, as soon as what it needs has arrived."""

import copy
import json
import time
import uuid
from decimal import Decimal
from pathlib import Path

import requests
from fault_tools import hmac_b64, record, stripe_signature, wait_until

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
SECRET = "faults-refund-secret"


def _event(admin, backend_id, external_id):
    rows = admin.call(
        "integration.event",
        "search_read",
        [("backend_id", "=", backend_id), ("external_event_id", "=", external_id)],
        ["state", "error_class", "attempts", "error_message", "result_model", "result_res_id"],
    )
    return rows[0] if rows else None


def _settled(admin, backend_id, external_id, timeout=120):
    return wait_until(
        lambda: (row := _event(admin, backend_id, external_id))
        and row["state"] not in ("pending", "processing")
        and row,
        timeout,
        what=f"event {external_id} processed",
    )


def _waiting(admin, backend_id, external_id):
    row = _settled(admin, backend_id, external_id)
    assert (row["state"], row["error_class"]) == ("retry", "waiting"), row
    return row


def _stripe_post(base_url, url, payload):
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "Stripe-Signature": stripe_signature(SECRET, body)}
    return requests.post(base_url + url, data=body, headers=headers, timeout=30)


def _stripe_event(obj, event_type, event_id, created):
    envelope = json.loads((FIXTURES / "stripe" / "object_event.json").read_text())
    envelope.update(id=event_id, type=event_type, created=created, data={"object": obj}, livemode=False)
    return envelope


def _move(admin, move_type, partner, currency, amount):
    line = {"name": "Subscription", "quantity": 1, "price_unit": amount, "tax_ids": []}
    values = {
        "move_type": move_type,
        "partner_id": partner,
        "currency_id": currency,
        "invoice_line_ids": [(0, 0, line)],
    }
    move = admin.call("account.move", "create", values)
    admin.call("account.move", "action_post", [move])
    [read] = admin.call("account.move", "read", [move], ["name"])
    return move, read["name"]


def test_stripe_refund_before_its_charge(server, admin):
    base_url = server.url
    usd = admin.call("res.currency", "search", [("name", "=", "USD")], context={"active_test": False})
    admin.call("res.currency", "write", usd, {"active": True})
    journal = admin.call(
        "account.journal", "create", {"name": "Stripe faults", "type": "bank", "code": "STFL"}
    )
    backend_id = admin.call(
        "integration.backend",
        "create",
        {"name": "Faults Stripe", "kind": "stripe", "state": "active", "webhook_secret": SECRET,
         "stripe_journal_ids": [(6, 0, [journal])]},
    )  # fmt: skip
    [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
    url = f"/integration/webhook/{backend['webhook_uuid']}"
    partner = admin.call("res.partner", "create", {"name": "Refund First Ltd"})
    _invoice, invoice_name = _move(admin, "out_invoice", partner, usd[0], 49.00)
    # Finance's credit note for the refund (not a reversal of the invoice: posting one while the
    # invoice is open reconciles the two, and the refund would find no open credit note)
    _move(admin, "out_refund", partner, usd[0], 20.00)

    now = int(time.time())
    charge_id = "ch_faults_refund_first"
    refund = json.loads((FIXTURES / "stripe" / "object_refund.json").read_text())
    refund.update(id="re_faults_first", amount=2000, charge=charge_id, currency="usd", payment_intent=None)
    charge = json.loads((FIXTURES / "stripe" / "object_charge.json").read_text())
    charge.update(id=charge_id, amount=4900, amount_captured=4900, captured=True, currency="usd",
                  metadata={"odoo_invoice": invoice_name}, balance_transaction=None, payment_intent=None,
                  customer=None, invoice=None)  # fmt: skip
    charge["refunds"]["url"] = f"/v1/charges/{charge_id}/refunds"

    # The refund comes first (Stripe delivers out of order), its charge a moment later.
    assert (
        _stripe_post(
            base_url, url, _stripe_event(refund, "refund.created", "evt_faults_refund", now)
        ).status_code
        == 200
    )
    waiting = _waiting(admin, backend_id, "evt_faults_refund")
    time.sleep(3)  # a few backoff periods: it keeps waiting and spends no attempt
    still = _event(admin, backend_id, "evt_faults_refund")
    assert (still["state"], still["attempts"]) == ("retry", 0), still
    arrived = time.monotonic()
    charge_event = _stripe_event(charge, "charge.succeeded", "evt_faults_charge", now - 60)
    assert _stripe_post(base_url, url, charge_event).status_code == 200
    paid = _settled(admin, backend_id, "evt_faults_charge")
    assert paid["state"] == "done", paid["error_message"]
    booked = _settled(admin, backend_id, "evt_faults_refund")
    took = time.monotonic() - arrived
    credit_notes = admin.call(
        "account.move",
        "search_read",
        [("move_type", "=", "out_refund"), ("partner_id", "=", partner)],
        ["state", "payment_state", "amount_residual", "currency_id", "commercial_partner_id", "company_id"],
    )
    assert booked["state"] == "done", (booked["error_message"], credit_notes)
    # A copy of the refund (Stripe retries) books nothing more.
    assert _stripe_post(
        base_url, url, _stripe_event(refund, "refund.created", "evt_faults_refund", now)
    ).json() == {"status": "duplicate"}
    payments = admin.call(
        "account.payment", "search_read", [("journal_id", "=", journal)], ["payment_type", "amount"]
    )
    record(
        "refund before order: Stripe",
        refund_while_waiting=f"{waiting['state']}/{waiting['error_class']}, {still['attempts']} attempts",
        booked_after_the_charge_s=round(took, 1),
        payments=sorted((p["payment_type"], p["amount"]) for p in payments),
    )
    assert sorted((p["payment_type"], p["amount"]) for p in payments) == [
        ("inbound", 49.0),
        ("outbound", 20.0),
    ]


def _shopify_post(base_url, url, topic, payload, webhook_id):
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": hmac_b64(SECRET, body),
        "X-Shopify-Webhook-Id": webhook_id,
    }
    return requests.post(base_url + url, data=body, headers=headers, timeout=30)


def test_shopify_refund_before_its_order(server, admin):
    base_url = server.url
    goods = {"type": "consu", "invoice_policy": "order"}
    for sku in ("IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"):
        if not admin.call("product.product", "search", [("default_code", "=", sku)]):
            admin.call("product.product", "create", {"name": sku, "default_code": sku, **goods})
    service = {"type": "service", "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
    shipping, discount, tax = (
        admin.call("product.product", "create", {"name": f"Faults Shopify {name}", **service})
        for name in ("shipping", "discount", "tax")
    )
    backend_id = admin.call(
        "integration.backend",
        "create",
        {"name": "Faults Shopify", "kind": "shopify", "state": "active", "webhook_secret": SECRET,
         "shopify_shipping_product_id": shipping, "shopify_discount_product_id": discount,
         "shopify_tax_product_id": tax},
    )  # fmt: skip
    [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
    url = f"/integration/webhook/{backend['webhook_uuid']}"

    order = copy.deepcopy(json.loads((FIXTURES / "shopify" / "python" / "order.json").read_text())["order"])
    lines = sum((Decimal(i["price"]) * i["quantity"] for i in order["line_items"]), Decimal(0))
    taxes = sum((Decimal(t["price"]) for t in order["tax_lines"]), Decimal(0))
    order["total_price"] = f"{lines + taxes:.2f}"
    order.update(id=7_700_001, name="#F1", order_number=9901)
    refund = copy.deepcopy(
        json.loads((FIXTURES / "shopify" / "python" / "refund.json").read_text())["refund"]
    )
    refund.update(id=7_700_901, order_id=order["id"], order_adjustments=[])
    # the green iPod (199.00 and its tax), not yet shipped; the money back matches it
    refund["refund_line_items"] = [
        item for item in refund["refund_line_items"] if item["line_item_id"] == 466157049
    ]
    refund["refund_line_items"][0]["restock_type"] = "cancel"
    refund["transactions"][0].update(amount="202.98", order_id=order["id"])

    refund_id = str(uuid.uuid4())
    assert _shopify_post(base_url, url, "refunds/create", refund, refund_id).status_code == 200
    waiting = _waiting(admin, backend_id, refund_id)
    arrived = time.monotonic()
    created_id, paid_id = str(uuid.uuid4()), str(uuid.uuid4())
    assert _shopify_post(base_url, url, "orders/create", order, created_id).status_code == 200
    paid = dict(order, financial_status="paid", updated_at="2008-01-10T11:05:00-05:00")
    assert _shopify_post(base_url, url, "orders/paid", paid, paid_id).status_code == 200
    for webhook_id in (created_id, paid_id):
        row = _settled(admin, backend_id, webhook_id)
        assert row["state"] == "done", row["error_message"]
    booked = _settled(admin, backend_id, refund_id)
    took = time.monotonic() - arrived
    assert booked["state"] == "done", booked["error_message"]
    assert _shopify_post(base_url, url, "refunds/create", refund, refund_id).json() == {"status": "duplicate"}
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
    [sale] = admin.call("sale.order", "read", [binding["res_id"]], ["invoice_ids"])
    credit_notes = admin.call(
        "account.move",
        "search_count",
        [("reversed_entry_id", "in", sale["invoice_ids"]), ("move_type", "=", "out_refund")],
    )
    record(
        "refund before order: Shopify",
        refund_while_waiting=f"{waiting['state']}/{waiting['error_class']}, {waiting['attempts']} attempts",
        booked_after_the_order_s=round(took, 1),
        credit_notes=credit_notes,
    )
    assert credit_notes == 1, "the refund booked once"
