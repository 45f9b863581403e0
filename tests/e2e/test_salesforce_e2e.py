"""Salesforce end to end: an Outbound Message (the shared fixture, pointed at a won deal)
over HTTP to a real Odoo server is acknowledged in SOAP, becomes one sale order whose
untaxed total is the CPQ quote's net amount, and its status reaches a local stand-in for
the Salesforce org; the same message again changes nothing."""

import time
from pathlib import Path

import requests
from demo_salesforce_org import DemoSalesforceOrg, won_deal_with_cpq_quote
from lxml import etree

FIXTURE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "fixtures"
    / "salesforce"
    / "outbound_message_opportunity.xml"
)
SF = "urn:sobject.enterprise.soap.sforce.com"
OUTBOUND = "http://soap.sforce.com/2005/09/outbound"


def message_for(opportunity_id, account_id):
    """The shared fixture, its sObject turned into the demo org's won opportunity."""
    root = etree.fromstring(FIXTURE.read_bytes())
    sobject = root.find(f".//{{{OUTBOUND}}}sObject")
    sobject.find(f"{{{SF}}}Id").text = opportunity_id
    sobject.find(f"{{{SF}}}AccountId").text = account_id
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def wait_for(check, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_outbound_message_becomes_one_order_and_its_status_goes_back(admin, base_url):
    org = DemoSalesforceOrg()
    try:
        deal = won_deal_with_cpq_quote(org)
        service = {"type": "service", "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
        for code in deal["product_codes"]:
            admin.call("product.product", "create", {"name": code, "default_code": code, **service})
        backend_id = admin.call(
            "integration.backend",
            "create",
            {
                "name": "E2E Salesforce",
                "kind": "salesforce",
                "state": "active",
                "salesforce_instance_url": org.url,
                "salesforce_org_id": "00DQ0000000EB93MAQ",
                "salesforce_auth_flow": "client_credentials",
                "salesforce_consumer_key": "key",
                "salesforce_consumer_secret": "secret",
                "salesforce_cpq": True,
            },
        )
        [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
        url = f"{base_url}/integration/webhook/{backend['webhook_uuid']}"
        body = message_for(deal["opportunity"], deal["account"])

        answer = requests.post(
            url, data=body, headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        assert "<Ack>true</Ack>" in answer.text and "notificationsResponse" in answer.text

        def order():
            found = admin.call(
                "sale.order",
                "search_read",
                [("salesforce_opportunity_id", "=", deal["opportunity"])],
                ["state", "amount_untaxed", "name"],
            )
            return found if found and found[0]["state"] == "sale" else None

        [sale] = wait_for(order)
        assert sale["amount_untaxed"] == deal["net_amount"]
        written = wait_for(lambda: org.patches)
        [record] = written[0]
        assert record["Id"] == deal["opportunity"]
        assert record["Odoo_Order_Number__c"] == sale["name"]
        assert record["Odoo_Status__c"] == "confirmed"

        again = requests.post(url, data=body, headers={"Content-Type": "text/xml"}, timeout=30)
        assert again.status_code == 200 and "<Ack>true</Ack>" in again.text
        time.sleep(2)
        events = admin.call(
            "integration.event", "search_read", [("backend_id", "=", backend_id)], ["state", "source"]
        )
        # one webhook event; the scheduled pull may have read the same records too (done, no change)
        assert [e["state"] for e in events if e["source"] == "webhook"] == ["done"]
        assert {e["state"] for e in events} == {"done"}
        orders = admin.call(
            "sale.order", "search_count", [("salesforce_opportunity_id", "=", deal["opportunity"])]
        )
        assert orders == 1
        assert len(org.patches) == 1
    finally:
        org.stop()
