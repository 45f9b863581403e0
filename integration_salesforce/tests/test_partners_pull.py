"""Accounts and contacts, the merged account, the scheduled pull (pages followed) and the
nightly reconciliation of won opportunities."""

import json
import re

import responses
from freezegun import freeze_time
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from .common import ACCOUNT, DATA, FIXTURES, INSTANCE, LIMIT_HEADERS, OPP, SalesforceCaseMixin, quote_line


@tagged("post_install", "-at_install")
class TestSalesforcePartnersPull(SalesforceCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_salesforce()

    def setUp(self):
        super().setUp()
        self._mock_org()

    def _partner(self, record_id):
        return self.env["integration.external.id"]._record_for(self.backend, "res.partner", record_id[:15])

    def test_account_gives_a_company_with_a_delivery_address(self):
        [event] = self._deliver_soap([("04lQ0000000AC1A", "Account", {"Id": ACCOUNT})])
        self._process_events()
        self.assertEqual(event.state, "done", self._why(event))
        company = self._partner(ACCOUNT)
        self.assertRecordValues(
            company,
            [{"name": "United Oil & Gas Corp.", "is_company": True, "city": "San Francisco", "zip": "94105"}],
        )
        self.assertEqual(company.country_id.code, "US")
        delivery = company.child_ids.filtered(lambda child: child.type == "delivery")
        self.assertEqual(delivery.city, "Oakland")

    def test_contact_is_a_person_under_its_account(self):
        contact_id = "003Q000000Ct001AAA"
        self.org.put(
            "Contact",
            {
                "Id": contact_id,
                "AccountId": ACCOUNT,
                "FirstName": "Ada",
                "LastName": "Lovelace",
                "Email": "ada@unitedoil.example",
                "SystemModstamp": "2026-11-30T10:00:00.000+0000",
            },
        )
        [event] = self._deliver_soap([("04lQ0000000CT1A", "Contact", {"Id": contact_id})])
        self._process_events()
        self.assertEqual(event.state, "done", self._why(event))
        person = self._partner(contact_id)
        self.assertRecordValues(
            person, [{"name": "Ada Lovelace", "email": "ada@unitedoil.example", "is_company": False}]
        )
        self.assertEqual(person.parent_id, self._partner(ACCOUNT))

    def test_merged_account_rebinds_to_the_survivor(self):
        self._deliver_soap([("04lQ0000000AC1A", "Account", {"Id": ACCOUNT})])
        self._process_events()
        partner = self._partner(ACCOUNT)
        survivor = "001Q000000SURVIAAA"
        self.org.records["Account"][ACCOUNT].update(
            MasterRecordId=survivor, IsDeleted=True, SystemModstamp="2026-12-01T10:00:00.000+0000"
        )
        self._deliver_soap([("04lQ0000000AC2A", "Account", {"Id": ACCOUNT})])
        self._process_events()
        self.assertEqual(self._partner(survivor), partner)
        self.assertFalse(self._partner(ACCOUNT))

    @freeze_time("2026-12-01 12:00:00")
    def test_pull_follows_next_records_url_and_makes_pull_events(self):
        page_records = json.loads((FIXTURES / "query_invoices_with_account.json").read_text())["records"]
        accounts = [
            {
                "attributes": {"type": "Account"},
                "Id": record["Account__c"][:-3] + f"{i:03d}",
                "Name": record["Account__r"]["Name"],
                "SystemModstamp": f"2026-12-01T11:0{i}:00.000+0000",
            }
            for i, record in enumerate(page_records)
        ]
        self.rsps.remove(responses.GET, re.compile(rf"{re.escape(DATA)}/query\?.*"))
        self.rsps.remove(responses.GET, re.compile(rf"{re.escape(DATA)}/queryAll\?.*"))
        self.rsps.get(
            re.compile(rf"{re.escape(DATA)}/queryAll\?q=SELECT.*FROM%20Account%20.*"),
            json={
                "totalSize": 4,
                "done": False,
                "nextRecordsUrl": "/services/data/v62.0/query/01gQ-2000",
                "records": accounts[:2],
            },
            headers=LIMIT_HEADERS,
        )
        self.rsps.get(f"{DATA}/query/01gQ-2000", json={"totalSize": 4, "done": True, "records": accounts[2:]})
        for resource in ("query", "queryAll"):  # nothing else changed
            empty = {"totalSize": 0, "done": True, "records": []}
            self.rsps.get(re.compile(rf"{re.escape(DATA)}/{resource}\?.*"), json=empty)
        self.backend._pull_changes()
        events = self.env["integration.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(events), 4)
        self.assertEqual(set(events.mapped("source")), {"pull"})
        self.assertEqual(set(events.mapped("event_type")), {"Account"})
        self.assertEqual(str(self.backend.salesforce_last_pull_at), "2026-12-01 12:00:00")
        # the overlap reads the same versions again: nothing new
        self.backend._pull_changes()
        self.assertEqual(
            self.env["integration.event"].search_count([("backend_id", "=", self.backend.id)]), 4
        )
        self._process_events()
        self.assertEqual(set(events.mapped("state")), {"done"})

    def test_reconciliation_finds_missing_orders_amounts_and_status(self):
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 10, 12000.00)], 12000.00)
        self._deliver_soap([self._opp_notification("04lQ00000001AAA")])
        self._process_events()
        self.org.records["Opportunity"][OPP]["Odoo_Status__c"] = "confirmed"
        missing = "006Q000000MISSAAA"
        self.org.put(
            "Opportunity",
            {
                "Id": missing,
                "Name": "Never arrived",
                "IsWon": True,
                "Amount": 10.0,
                "AccountId": ACCOUNT,
                "SystemModstamp": "2026-11-30T10:00:00.000+0000",
            },
        )
        run = self.env["integration.reconciliation.run"].create(
            {
                "backend_id": self.backend.id,
                "date_from": "2026-11-01 00:00:00",
                "date_to": "2026-12-31 00:00:00",
            }
        )
        drifts = self.backend._reconcile_period(run)
        self.assertEqual([(d["issue"], d["external_id"]) for d in drifts], [("missing_odoo", missing[:15])])
        self.assertEqual(run.checked_count, 2)
        self.org.records["Opportunity"][OPP]["Amount"] = 12500.00
        drifts = self.backend._reconcile_period(run)
        self.assertIn(("differs", OPP[:15]), [(d["issue"], d["external_id"]) for d in drifts])

    def test_check_connection_gets_a_token_then_shows_the_daily_usage(self):
        token = self.rsps.post(f"{INSTANCE}/services/oauth2/token", json={"access_token": "new-token"})
        self.rsps.get(f"{DATA}/limits", json={"DailyApiRequests": {"Max": 15000, "Remaining": 14880}})
        action = self.backend.action_salesforce_check_connection()
        self.assertEqual(token.call_count, 1)
        self.assertIn("120 used, 14880 left", action["params"]["message"])
        self.assertEqual((self.backend.salesforce_api_used, self.backend.salesforce_api_max), (120, 15000))

    def test_refused_credentials_are_said_plainly(self):
        self.rsps.post(
            f"{INSTANCE}/services/oauth2/token",
            status=400,
            json={"error": "invalid_client", "error_description": "invalid client credentials"},
        )
        with self.assertRaisesRegex(UserError, "invalid_client: invalid client credentials"):
            self.backend.action_salesforce_check_connection()

    def test_import_accounts_and_contacts(self):
        self.org.put(
            "Contact",
            {
                "Id": "003Q000000Ct002AAA",
                "AccountId": ACCOUNT,
                "LastName": "Hopper",
                "SystemModstamp": "2026-11-30T10:00:00.000+0000",
            },
        )
        self.backend.action_salesforce_import_partners()
        self._process_events()
        self.assertEqual(self._partner("003Q000000Ct002AAA").parent_id, self._partner(ACCOUNT))

    def test_import_over_the_threshold_uses_bulk_api(self):
        self.backend.salesforce_bulk_threshold = 0  # the org's one account and one contact are "many"
        self.org.put("Contact", {"Id": "003Q000000Ct003AAA", "LastName": "Curie"})
        jobs = []

        def create_job(request):
            sobject = re.search(r"FROM (\w+)", json.loads(request.body)["query"]).group(1)
            jobs.append(sobject)
            return 200, {}, json.dumps({"id": f"750Q0000000{sobject[:3]}AAA"})

        self.rsps.add_callback(responses.POST, f"{DATA}/jobs/query", callback=create_job)
        for sobject, csv_text in (
            (
                "Account",
                '"Id","Name","SystemModstamp"\n'
                f'"{ACCOUNT}","United Oil & Gas Corp.","2026-11-01T08:00:00.000Z"\n',
            ),
            (
                "Contact",
                '"Id","AccountId","LastName","SystemModstamp"\n'
                f'"003Q000000Ct003AAA","{ACCOUNT}","Curie","2026-11-30T10:00:00.000Z"\n',
            ),
        ):
            job = f"750Q0000000{sobject[:3]}AAA"
            self.rsps.get(f"{DATA}/jobs/query/{job}", json={"id": job, "state": "JobComplete"})
            self.rsps.get(
                f"{DATA}/jobs/query/{job}/results", body=csv_text, headers={"Sforce-Locator": "null"}
            )
        self.backend.action_salesforce_import_partners()
        self._process_events()
        self.assertEqual(jobs, ["Account", "Contact"])
        events = self.env["integration.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(events.mapped("state"), ["done", "done"], [self._why(e) for e in events])
        self.assertEqual(self._partner("003Q000000Ct003AAA").name, "Curie")
        self.assertEqual(self._partner("003Q000000Ct003AAA").parent_id, self._partner(ACCOUNT))
