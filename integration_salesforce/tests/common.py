"""Salesforce test helpers: Outbound Messages built from the shared fixture, and a small
Salesforce org answered through `responses` (SOQL by object and id, OAuth, Collections)."""

import copy
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import responses
from lxml import etree
from odoo import Command
from odoo.addons.integration_core.tests.common import IntegrationCaseMixin, VendorHostsMixin

from ..lib import soap

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "salesforce"
INSTANCE = "https://acme.my.salesforce.com"
DATA = f"{INSTANCE}/services/data/v62.0"
ORG_18 = "00DQ0000000EB93MAQ"  # the fixture's 15-character org id, in its 18-character form
INTEGRATION_USER = "005Q000000Integ1AAA"
OPP = "006Q0000009N3gfIAC"
ACCOUNT = "001Q000000SvOoGIAV"
QUOTE = "a0xQ00000012345AAA"
LIMIT_HEADERS = {"Sforce-Limit-Info": "api-usage=120/15000"}


def fixture_message():
    return (FIXTURES / "outbound_message_opportunity.xml").read_bytes()


def outbound_message(notifications, org_id="00DQ0000000EB93"):
    """The shared fixture with its Notification replaced by `notifications`:
    a list of (notification id, sObject type, {field: value})."""
    root = etree.fromstring(fixture_message())
    ns = {"o": soap.OUTBOUND_NS}
    container = root.find(".//o:notifications", ns)
    container.find("o:OrganizationId", ns).text = org_id
    template = container.find("o:Notification", ns)
    container.remove(template)
    sf = "urn:sobject.enterprise.soap.sforce.com"
    for notification_id, sobject_type, values in notifications:
        item = etree.SubElement(container, f"{{{soap.OUTBOUND_NS}}}Notification")
        etree.SubElement(item, f"{{{soap.OUTBOUND_NS}}}Id").text = notification_id
        sobject = etree.SubElement(item, f"{{{soap.OUTBOUND_NS}}}sObject", nsmap={"sf": sf})
        sobject.set(f"{{{soap.XSI_NS}}}type", f"sf:{sobject_type}")
        for name, value in values.items():
            etree.SubElement(sobject, f"{{{sf}}}{name}").text = str(value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def quote_line(line_id, number, code, qty, net_total, net_price=None, **extra):
    return {
        "attributes": {"type": "SBQQ__QuoteLine__c"},
        "Id": line_id,
        "SBQQ__Number__c": number,
        "SBQQ__Product__r": {"ProductCode": code, "Name": f"Product {code}"},
        "SBQQ__Quantity__c": qty,
        "SBQQ__NetPrice__c": net_price if net_price is not None else (net_total / qty if qty else 0),
        "SBQQ__NetTotal__c": net_total,
        **extra,
    }


class FakeOrg:
    """What the tests' Salesforce org holds; `responses` answers SOQL from it."""

    def __init__(self):
        self.records = {"Opportunity": {}, "SBQQ__Quote__c": {}, "Account": {}, "Contact": {}, "Contract": {}}
        self.patches = []
        self.patch_errors = {}  # opportunity id -> errorCode

    def put(self, sobject, record):
        self.records[sobject][record["Id"]] = {"attributes": {"type": sobject}, **record}

    def query(self, request):
        soql = parse_qs(urlsplit(request.url).query)["q"][0]
        sobject = re.search(r"\bFROM (\w+)(?: WHERE| ORDER|$)", soql).group(1)
        wanted = re.search(r"WHERE Id = '(\w+)'", soql)
        found = list(self.records[sobject].values())
        if wanted:
            found = [r for r in found if r["Id"][:15] == wanted.group(1)[:15]]
        if "IsWon = true" in soql:
            found = [r for r in found if r.get("IsWon")]
        body = {"totalSize": len(found), "done": True, "records": copy.deepcopy(found)}
        return 200, LIMIT_HEADERS, json.dumps(body)

    def collections(self, request):
        body = json.loads(request.body)
        self.patches.append(body["records"])
        results = []
        for record in body["records"]:
            code = self.patch_errors.get(record["Id"])
            if code:
                results.append(
                    {
                        "id": record["Id"],
                        "success": False,
                        "errors": [{"statusCode": code, "errorCode": code, "message": "refused"}],
                    }
                )
            else:
                results.append({"id": record["Id"], "success": True, "errors": []})
        return 200, LIMIT_HEADERS, json.dumps(results)

    def mock(self, rsps):
        rsps.add_callback(responses.GET, re.compile(rf"{re.escape(DATA)}/query\?.*"), callback=self.query)
        rsps.add_callback(responses.GET, re.compile(rf"{re.escape(DATA)}/queryAll\?.*"), callback=self.query)
        rsps.add_callback(responses.PATCH, f"{DATA}/composite/sobjects", callback=self.collections)


class SalesforceCaseMixin(VendorHostsMixin, IntegrationCaseMixin):
    VENDOR_HOSTS = ("acme.my.salesforce.com", "login.salesforce.com")

    def _mock_org(self):
        """The stand-in org's REST API, through `responses`, for this test."""
        self.rsps = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.rsps.start()
        self.addCleanup(self.rsps.stop)
        self.addCleanup(self.rsps.reset)
        self.org.mock(self.rsps)

    def _process(self, events):
        """Run the processing cron; the events as it left them."""
        self._process_events()
        events.invalidate_recordset()
        return events

    @classmethod
    def _setup_salesforce(cls, **values):
        env = cls.env
        service = {"type": "service", "taxes_id": [Command.clear()], "invoice_policy": "order"}
        cls.products = {
            code: env["product.product"].create({"name": f"Product {code}", "default_code": code, **service})
            for code in ("LIC", "BUNDLE", "LAPTOP", "DOCK", "SUPPORT", "ADDON")
        }
        cls.backend = env["integration.backend"].create(
            {
                "name": "Test Salesforce",
                "kind": "salesforce",
                "state": "active",
                "salesforce_instance_url": INSTANCE,
                "salesforce_org_id": ORG_18,
                "salesforce_auth_flow": "client_credentials",
                "salesforce_consumer_key": "3MVG9-key",
                "salesforce_consumer_secret": "consumer-secret",
                "salesforce_access_token": "cached-token",
                "salesforce_integration_user_id": INTEGRATION_USER,
                "salesforce_cpq": True,
                **values,
            }
        )

    def setUp(self):
        super().setUp()
        self.org = FakeOrg()
        self.org.put(
            "Account",
            {
                "Id": ACCOUNT,
                "Name": "United Oil & Gas Corp.",
                "BillingStreet": "1 Market St",
                "BillingCity": "San Francisco",
                "BillingPostalCode": "94105",
                "BillingCountry": "US",
                "ShippingStreet": "2 Harbor Rd",
                "ShippingCity": "Oakland",
                "ShippingCountry": "US",
                "SystemModstamp": "2026-11-01T08:00:00.000+0000",
                "LastModifiedById": "005Q000000Human1AAA",
            },
        )

    def _won_opportunity(self, lines, net_amount, modstamp="2026-11-30T10:00:00.000+0000", **values):
        self.org.put(
            "SBQQ__Quote__c",
            {
                "Id": QUOTE,
                "Name": "Q-00042",
                "SBQQ__Primary__c": True,
                "SBQQ__Status__c": "Approved",
                "SBQQ__Type__c": "Quote",
                "SBQQ__Opportunity2__c": OPP,
                "SBQQ__Account__c": ACCOUNT,
                "SBQQ__NetAmount__c": net_amount,
                "SystemModstamp": modstamp,
                "SBQQ__LineItems__r": {"totalSize": len(lines), "done": True, "records": lines},
                **values.pop("quote", {}),
            },
        )
        self.org.put(
            "Opportunity",
            {
                "Id": OPP,
                "Name": "United Oil - 120 seats",
                "AccountId": ACCOUNT,
                "StageName": "Closed Won",
                "IsWon": True,
                "IsClosed": True,
                "Amount": net_amount,
                "SBQQ__PrimaryQuote__c": QUOTE,
                "SystemModstamp": modstamp,
                "LastModifiedById": "005Q000000Human1AAA",
                **values,
            },
        )

    def _deliver_soap(self, notifications, rsps=None):
        """Store an Outbound Message as the route does (parse, one event per notification)."""
        from odoo.addons.integration_core.lib.delivery import Delivery

        delivery = Delivery(
            headers={"Content-Type": "text/xml"},
            body=outbound_message(notifications),
            query={},
            remote_addr="127.0.0.1",
        )
        self.backend._webhook_verify(delivery)
        events = self.env["integration.event"]
        ids = [
            events._ingest(self.backend, envelope, envelope.payload, {}, "test-correlation")[0]
            for envelope in self.backend._webhook_parse(delivery)
        ]
        return events.browse(ids)

    def _opp_notification(self, notification_id, modstamp="2026-11-30T10:00:00.000+0000", **values):
        return (
            notification_id,
            "Opportunity",
            {"Id": OPP, "AccountId": ACCOUNT, "SystemModstamp": modstamp, **values},
        )

    def _order(self):
        return self.env["sale.order"].search([("salesforce_opportunity_id", "=", OPP)])

    def _why(self, event):
        """What went wrong with an event, for a failing assertion."""
        return f"{event.error_message}\n{event.error_traceback or ''}"
