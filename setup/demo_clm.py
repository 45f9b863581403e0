"""Contract part of `make demo`: a quotation above the demo DocuSign backend's threshold
waits *Awaiting signature* (Confirm refuses), the shared Connect XML fixture signed with the
demo Connect key confirms it, its first milestone is reached and invoiced, and the same
delivery again changes nothing.

`show(admin, base_url)` is called by setup/demo.py with the server running."""

import os
import time
from pathlib import Path

import requests

from toolkit import hmac_sha256

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("INTEGRATION_FIXTURES") or ROOT.parent / "shared" / "fixtures") / "docusign"
WEBHOOK_KEY = "demo-docusign"  # integration_clm/demo/clm_demo.xml
KEY = "demo-connect-hmac-key"
FIXTURE_ENVELOPE = "08740f95-2187-4b01-9a69-452ae3140752"


def _signed_xml(envelope_id, order_ref):
    xml = (FIXTURES / "connect_envelope_completed.xml").read_text().replace(FIXTURE_ENVELOPE, envelope_id)
    field = f"<CustomField><Name>odoo_order</Name><Value>{order_ref}</Value></CustomField>"
    return xml.replace(
        "<CustomFields>\n         <CustomField>", f"<CustomFields>{field}<CustomField>", 1
    ).encode()


def deliver(base_url, body, key=KEY):
    headers = {"Content-Type": "text/xml", "X-DocuSign-Signature-1": hmac_sha256(key, body, "base64")}
    return requests.post(
        f"{base_url}/integration/webhook/{WEBHOOK_KEY}", data=body, headers=headers, timeout=30
    )


def _order(admin, order_id):
    [order] = admin.call(
        "sale.order", "read", [order_id], ["name", "state", "clm_awaiting_signature", "amount_untaxed"]
    )
    return order


def show(admin, base_url):
    run = str(int(time.time()))[-6:]
    envelope_id = f"demo-envelope-{run}"
    [product] = admin.call("product.product", "search", [("default_code", "=", "CLM-IMPL")], limit=1)
    [backend] = admin.call("integration.backend", "search", [("webhook_uuid", "=", WEBHOOK_KEY)])
    partner = admin.call(
        "res.partner", "create", {"name": "World Wide Corp", "email": "larry.kluger@example.com"}
    )
    line = {"product_id": product, "product_uom_qty": 1, "price_unit": 12000}
    order_id = admin.call("sale.order", "create", {"partner_id": partner, "order_line": [(0, 0, line)]})
    order = _order(admin, order_id)
    rows = [
        (
            f"quotation {order['name']} ({order['amount_untaxed']:.2f})",
            "Awaiting signature" if order["clm_awaiting_signature"] else "not waiting",
        )
    ]
    try:
        admin.call("sale.order", "action_confirm", [order_id])
        rows.append(("Confirm before signature", "confirmed (unexpected)"))
    except AssertionError as exc:
        rows.append(("Confirm before signature", f"refused: {str(exc).splitlines()[-1][:70]}"))
    contract_id = admin.call(
        "integration.contract",
        "create",
        {
            "name": f"{order['name']} implementation agreement",
            "backend_id": backend,
            "external_id": envelope_id,
            "order_id": order_id,
            "partner_id": partner,
            "amount_untaxed": 12000,
            "billing_method": "milestones",
            "billing_line_ids": [
                (0, 0, {"name": "Design signed off", "kind": "milestone", "percentage": 30}),
                (0, 0, {"name": "Go-live", "kind": "milestone", "percentage": 70}),
            ],
        },
    )
    body = _signed_xml(envelope_id, order["name"])
    rows.append(("signed DocuSign Connect XML", f"HTTP {deliver(base_url, body).status_code}"))
    admin.wait_for("sale.order", [("id", "=", order_id), ("state", "=", "sale")])
    rows.append(("order after the signature", _order(admin, order_id)["state"]))
    [contract] = admin.call("integration.contract", "read", [contract_id], ["billing_line_ids"])
    [first] = admin.call(
        "integration.contract.billing.line", "read", contract["billing_line_ids"][:1], ["milestone_id"]
    )
    admin.call("project.milestone", "write", [first["milestone_id"][0]], {"is_reached": True})
    domain = [("invoice_origin", "=", order["name"]), ("move_type", "=", "out_invoice")]
    admin.wait_for("account.move", domain)
    [invoice] = admin.call("account.move", "search_read", domain, ["amount_untaxed"])
    rows.append(("first milestone reached -> invoice", f"{invoice['amount_untaxed']:.2f} (30 %)"))
    rows.append(("same delivery again", f"HTTP {deliver(base_url, body).status_code}"))
    count = admin.call("account.move", "search_count", domain)
    rows.append(("invoices after the duplicate", str(count)))
    rows.append(("forged signature", f"HTTP {deliver(base_url, body, key='forged').status_code}"))
    return rows


if __name__ == "__main__":  # python setup/demo_clm.py <base_url> <db> (admin/admin)
    import sys

    from odoo_client import OdooClient

    client = OdooClient(sys.argv[1], sys.argv[2]).login("admin", "admin")
    for what, result in show(client, sys.argv[1]):
        print(f"{what:55} {result}")
