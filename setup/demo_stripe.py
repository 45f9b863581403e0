"""Stripe part of `make demo`: signed sample deliveries to the demo Stripe backend that pay,
refund and pay out demo invoices, leaving the Stripe journal at zero (reconciled).

`show(admin, base_url)` is called by setup/demo.py with the server running and an admin
OdooClient; it returns (what, result) rows to print. Payloads are built from the shared
Stripe fixtures (../shared/fixtures/stripe); balance transactions are expanded in them, so
the demo makes no call to Stripe."""

import json
import os
import time
from pathlib import Path

import requests

from toolkit import hmac_sha256, signed_message

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("INTEGRATION_FIXTURES") or ROOT.parent / "shared" / "fixtures") / "stripe"
WEBHOOK_KEY = "demo-stripe"  # integration_stripe/demo/integration_backend_demo.xml
SECRET = "whsec_demo_stripe"


def _fixture(name):
    return json.loads((FIXTURES / name).read_text())


def _sign(secret, timestamp, body):
    digest = hmac_sha256(secret, signed_message(body, timestamp))
    return f"t={timestamp},v1={digest}"


def deliver(base_url, payload, secret=SECRET):
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "Stripe-Signature": _sign(secret, int(time.time()), body)}
    return requests.post(
        f"{base_url}/integration/webhook/{WEBHOOK_KEY}", data=body, headers=headers, timeout=30
    )


def _event(obj, event_type, event_id, created):
    envelope = _fixture("object_event.json")
    envelope.update(id=event_id, type=event_type, created=created, data={"object": obj})
    return envelope


def _txn(txn_id, amount, fee, source, created):
    # No shared fixture for balance transactions: the fields the connector reads.
    return {"id": txn_id, "object": "balance_transaction", "amount": amount, "fee": fee, "net": amount - fee,
            "currency": "usd", "type": "charge", "source": source, "created": created}  # fmt: skip


def _charge(charge_id, amount, metadata, fee, created, email=None):
    charge = _fixture("object_charge.json")
    charge.update(id=charge_id, amount=amount, amount_captured=amount, captured=True, metadata=metadata,
                  created=created, payment_intent=None)  # fmt: skip
    charge["billing_details"] = {**charge["billing_details"], "email": email}
    charge["balance_transaction"] = _txn(f"txn_{charge_id}", amount, fee, charge_id, created)
    return charge


def _invoice(admin, partner_id, amount, move_type="out_invoice", reversed_entry_id=False):
    line = {"name": "Stripe demo subscription", "quantity": 1, "price_unit": amount, "tax_ids": []}
    values = {"move_type": move_type, "partner_id": partner_id, "invoice_line_ids": [(0, 0, line)]}
    if reversed_entry_id:
        values["reversed_entry_id"] = reversed_entry_id
    move_id = admin.call("account.move", "create", values)
    admin.call("account.move", "action_post", [move_id])
    [move] = admin.call("account.move", "read", [move_id], ["name"])
    return move_id, move["name"]


def _wait(admin, external_ids, timeout=60):
    domain = [("external_event_id", "in", external_ids), ("state", "not in", ("pending", "processing"))]
    admin.wait_for("integration.event", domain, count=len(set(external_ids)), timeout=timeout)


def _state(admin, external_event_id):
    [event] = admin.call(
        "integration.event",
        "search_read",
        [("external_event_id", "=", external_event_id)],
        ["state", "error_message", "result_note"],
    )
    detail = event["error_message"] or event["result_note"] or ""
    return f"{event['state']}" + (f": {detail[:90]}" if detail else "")


def _payment_state(admin, move_id):
    [move] = admin.call("account.move", "read", [move_id], ["name", "payment_state"])
    return f"{move['name']} {move['payment_state']}"


def _journal_balance(admin):
    [backend] = admin.call(
        "integration.backend", "search_read", [("webhook_uuid", "=", WEBHOOK_KEY)], ["stripe_journal_ids"]
    )
    [journal] = admin.call(
        "account.journal", "read", backend["stripe_journal_ids"][:1], ["default_account_id"]
    )
    lines = admin.call(
        "account.move.line",
        "search_read",
        [("account_id", "=", journal["default_account_id"][0]), ("parent_state", "=", "posted")],
        ["balance"],
    )
    return round(sum(line["balance"] for line in lines), 2)


def show(admin, base_url):
    """Pay two invoices (one by metadata, one by customer + amount), refund part of one
    against its credit note, pay everything out; a duplicate and a payment without invoice."""
    now = int(time.time())
    run = str(now)[-6:]  # the demo may run twice on one database: fresh Stripe ids each time
    partner_id = admin.call(
        "res.partner", "create", {"name": "Jenny Rosen", "email": f"jenny{run}@example.com"}
    )
    first_id, first_name = _invoice(admin, partner_id, 120.00)
    second_id, _second_name = _invoice(admin, partner_id, 80.00)

    by_metadata = _charge(f"ch_demo{run}a", 12000, {"odoo_invoice": first_name}, 378, now - 300)
    intent = _fixture("object_payment_intent.json")
    by_customer = _charge(f"ch_demo{run}b", 8000, {}, 262, now - 240, email=f"jenny{run}@example.com")
    by_customer["payment_intent"] = f"pi_demo{run}b"
    intent.update(id=f"pi_demo{run}b", amount=8000, amount_received=8000, status="succeeded",
                  latest_charge=by_customer, created=now - 240)  # fmt: skip
    orphan = _charge(f"ch_demo{run}c", 4242, {}, 153, now - 200)
    refund = _fixture("object_refund.json")
    refund.update(id=f"re_demo{run}", amount=2000, charge=by_metadata["id"], created=now - 100)
    payout = {"id": f"po_demo{run}", "object": "payout", "amount": 12000 - 378 + 8000 - 262 - 2000,
              "currency": "usd", "arrival_date": now, "status": "paid"}  # fmt: skip

    pay_a = _event(by_metadata, "charge.succeeded", f"evt_demo{run}_1", now - 300)
    pay_b = _event(intent, "payment_intent.succeeded", f"evt_demo{run}_2", now - 240)
    pay_c = _event(orphan, "charge.succeeded", f"evt_demo{run}_3", now - 200)
    rows = []
    deliveries = [
        ("charge with odoo_invoice metadata", pay_a),
        ("payment intent, matched by customer", pay_b),
        ("duplicate delivery of the first charge", pay_a),
        ("payment without invoice", pay_c),
    ]
    for what, payload in deliveries:
        rows.append((what, f"HTTP {deliver(base_url, payload).status_code}"))
    rows.append(("forged signature", f"HTTP {deliver(base_url, pay_a, secret='whsec_forged').status_code}"))
    _wait(admin, [pay_a["id"], pay_b["id"], pay_c["id"]])
    rows += [
        ("charge -> payment reconciled, fee booked", _state(admin, pay_a["id"])),
        ("payment intent -> payment reconciled", _state(admin, pay_b["id"])),
        ("payment without invoice", _state(admin, pay_c["id"])),
        ("the two invoices", f"{_payment_state(admin, first_id)}, {_payment_state(admin, second_id)}"),
    ]

    _invoice(admin, partner_id, 20.00, move_type="out_refund", reversed_entry_id=first_id)
    refunded = _event(refund, "refund.created", f"evt_demo{run}_4", now - 100)
    paid_out = _event(payout, "payout.paid", f"evt_demo{run}_5", now - 50)
    deliver(base_url, refunded)
    deliver(base_url, paid_out)
    _wait(admin, [refunded["id"], paid_out["id"]])
    rows += [
        ("partial refund 20.00 on its credit note", _state(admin, refunded["id"])),
        ("payout 173.60", _state(admin, paid_out["id"])),
        ("Stripe journal balance after the payout", f"{_journal_balance(admin):.2f}"),
    ]
    return rows


if __name__ == "__main__":  # python setup/demo_stripe.py <base_url> <db> (admin/admin)
    import sys

    from odoo_client import OdooClient

    client = OdooClient(sys.argv[1], sys.argv[2]).login("admin", "admin")
    for what, result in show(client, sys.argv[1]):
        print(f"{what:55} {result}")
