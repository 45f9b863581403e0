"""The Salesforce part of `make demo`: a won opportunity with an approved CPQ quote (a bundle
and a subscription) in a local stand-in for the org; its Outbound Message over HTTP becomes
one confirmed sale order; the order's status is pushed back to the stand-in."""

import time

import requests
from demo_salesforce_org import DemoSalesforceOrg, outbound_message, won_deal_with_cpq_quote

ORG_ID = "00DQ0000000EB93MAQ"


def _wait(check, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    return None


def show(admin, base_url):
    rows = []
    org = DemoSalesforceOrg()  # lives as long as the demo process serves
    deal = won_deal_with_cpq_quote(org)
    service = {"type": "service", "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
    for code in deal["product_codes"]:
        if not admin.call("product.product", "search", [("default_code", "=", code)]):
            admin.call("product.product", "create", {"name": code, "default_code": code, **service})
    backend_id = admin.call(
        "integration.backend",
        "create",
        {
            "name": "Salesforce (local demo org)",
            "kind": "salesforce",
            "state": "active",
            "salesforce_instance_url": org.url,
            "salesforce_org_id": ORG_ID,
            "salesforce_auth_flow": "client_credentials",
            "salesforce_consumer_key": "demo-key",
            "salesforce_consumer_secret": "demo-secret",
            "salesforce_cpq": True,
        },
    )
    [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
    url = f"{base_url}/integration/webhook/{backend['webhook_uuid']}"
    body = outbound_message(ORG_ID, [("04lDEMO000000001", "Opportunity", {"Id": deal["opportunity"]})])
    answer = requests.post(url, data=body, headers={"Content-Type": "text/xml"}, timeout=30)
    rows.append(
        (
            "Outbound Message (won opportunity)",
            f"HTTP {answer.status_code}, Ack: {'<Ack>true' in answer.text}",
        )
    )
    forged = outbound_message(
        "00D000000000000", [("04lDEMO000000002", "Opportunity", {"Id": deal["opportunity"]})]
    )
    refused = requests.post(url, data=forged, headers={"Content-Type": "text/xml"}, timeout=30)
    rows.append(("Outbound Message from another org", f"HTTP {refused.status_code}"))

    def settled():
        """The order, once confirmed or held by the confirmation gate (a contract rule)."""
        found = admin.call(
            "sale.order",
            "search_read",
            [("salesforce_opportunity_id", "=", deal["opportunity"])],
            ["name", "state", "amount_untaxed", "clm_awaiting_signature"],
        )
        return (
            found[0]
            if found and (found[0]["state"] == "sale" or found[0]["clm_awaiting_signature"])
            else None
        )

    sale = _wait(settled)
    if sale:
        state = "awaiting signature (the contract rule)" if sale["clm_awaiting_signature"] else sale["state"]
        rows.append(
            (
                f"CPQ quote Q-00042 (net {deal['net_amount']:.2f})",
                f"{sale['name']} {state}, untaxed {sale['amount_untaxed']:.2f}",
            )
        )
    else:
        rows.append(("CPQ quote Q-00042", "no order (see Integrations > Exceptions)"))
    if sale and sale["clm_awaiting_signature"]:
        rows.append(
            ("status written back to the opportunity", "once signed and confirmed (see the Chain section)")
        )
        return rows
    pushed = _wait(lambda: org.patches, timeout=30)
    status = pushed[0][0] if pushed else {}
    rows.append(
        (
            "status written back to the opportunity",
            f"{status.get('Odoo_Order_Number__c')} {status.get('Odoo_Status__c')}" if status else "not sent",
        )
    )
    return rows
