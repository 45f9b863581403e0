"""Contract management end to end, over HTTP only: a quotation waits *Awaiting signature*, the
shared DocuSign Connect XML (signed with X-DocuSign-Signature-1) confirms it, its first
milestone is invoiced, and the same delivery again changes nothing."""

import base64
import hashlib
import hmac
from pathlib import Path

import pytest
import requests

KEY = "e2e-docusign-connect-key"
FIXTURE = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "docusign"
ENVELOPE_ID = "08740f95-2187-4b01-9a69-452ae3140752"


def signed_xml(order_ref):
    xml = (FIXTURE / "connect_envelope_completed.xml").read_text()
    field = f"<CustomField><Name>odoo_order</Name><Value>{order_ref}</Value></CustomField>"
    return xml.replace(
        "<CustomFields>\n         <CustomField>", f"<CustomFields>{field}<CustomField>", 1
    ).encode()


def post(base_url, url, body, key=KEY):
    signature = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
    headers = {"Content-Type": "text/xml", "X-DocuSign-Signature-1": signature}
    return requests.post(base_url + url, data=body, headers=headers, timeout=30)


@pytest.fixture
def docusign_backend(admin):
    """An active DocuSign backend whose rule holds every quotation, paused afterwards: the
    e2e database is shared, and the other connectors' orders must not wait for a contract."""
    backend_id = admin.call(
        "integration.backend",
        "create",
        {
            "name": "E2E DocuSign",
            "kind": "docusign",
            "state": "active",
            "webhook_secret": KEY,
            "clm_contract_rule": "always",
        },
    )
    yield backend_id
    admin.call("integration.backend", "write", [backend_id], {"state": "paused"})


def test_quotation_waits_then_a_signed_envelope_confirms_it_and_bills_the_first_milestone(
    admin, base_url, docusign_backend
):
    backend_id = docusign_backend
    [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
    url = f"/integration/webhook/{backend['webhook_uuid']}"
    product = admin.call(
        "product.product",
        "create",
        {
            "name": "Implementation",
            "default_code": "E2E-IMPL",
            "type": "service",
            "service_policy": "delivered_milestones",
            "service_tracking": "project_only",
            "taxes_id": [(5, 0, 0)],
        },
    )
    partner = admin.call(
        "res.partner", "create", {"name": "World Wide Corp", "email": "larry.kluger@example.com"}
    )
    order_id = admin.call(
        "sale.order",
        "create",
        {
            "partner_id": partner,
            "order_line": [(0, 0, {"product_id": product, "product_uom_qty": 1, "price_unit": 2000})],
        },
    )
    [order] = admin.call("sale.order", "read", [order_id], ["name", "clm_awaiting_signature", "state"])
    assert order["clm_awaiting_signature"] is True
    with pytest.raises(AssertionError, match="signed contract is required"):
        admin.call("sale.order", "action_confirm", [order_id])

    # the agreement as legal operations drafted it: bound to the envelope, two milestones
    contract_id = admin.call(
        "integration.contract",
        "create",
        {
            "name": "Implementation agreement",
            "backend_id": backend_id,
            "external_id": ENVELOPE_ID,
            "order_id": order_id,
            "partner_id": partner,
            "amount_untaxed": 2000,
            "billing_method": "milestones",
            "billing_line_ids": [
                (0, 0, {"name": "Design signed off", "kind": "milestone", "percentage": 25}),
                (0, 0, {"name": "Go-live", "kind": "milestone", "percentage": 75}),
            ],
        },
    )

    body = signed_xml(order["name"])
    response = post(base_url, url, body)
    assert response.status_code == 200, response.text
    admin.wait_for("sale.order", [("id", "=", order_id), ("state", "=", "sale")])
    [contract] = admin.call("integration.contract", "read", [contract_id], ["state", "billing_line_ids"])
    assert contract["state"] == "signed"
    steps = admin.call(
        "integration.contract.billing.line", "read", contract["billing_line_ids"], ["milestone_id"]
    )
    first_milestone = steps[0]["milestone_id"][0]

    admin.call("project.milestone", "write", [first_milestone], {"is_reached": True})
    admin.wait_for(
        "account.move", [("invoice_origin", "=", order["name"]), ("move_type", "=", "out_invoice")]
    )
    [invoice] = admin.call(
        "account.move", "search_read", [("invoice_origin", "=", order["name"])], ["amount_untaxed"]
    )
    assert invoice["amount_untaxed"] == 500.0  # 25 % of 2,000.00

    # the same delivery again: answered, stored once, nothing changes
    messages = admin.call(
        "mail.message", "search_count", [("model", "=", "sale.order"), ("res_id", "=", order_id)]
    )
    again = post(base_url, url, body)
    assert again.status_code == 200
    assert admin.call("integration.event", "search_count", [("backend_id", "=", backend_id)]) == 1
    admin.call("integration.contract", "action_invoice_due", [contract_id])
    assert admin.call("account.move", "search_count", [("invoice_origin", "=", order["name"])]) == 1
    assert (
        admin.call("mail.message", "search_count", [("model", "=", "sale.order"), ("res_id", "=", order_id)])
        == messages
    )

    # a forged copy is refused
    assert post(base_url, url, body, key="not-the-key").status_code == 401
