"""Real SOAP over HTTP to the webhook route: what is acknowledged, refused and stored."""

from unittest.mock import patch

from odoo.addons.integration_core.models.integration_event import IntegrationEvent
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from ..lib import soap
from .common import SalesforceCaseMixin, fixture_message, outbound_message


@tagged("post_install", "-at_install")
class TestSalesforceWebhook(SalesforceCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_salesforce()

    def _post(self, body, content_type="text/xml; charset=utf-8"):
        return self.url_open(
            f"/integration/webhook/{self.backend.webhook_uuid}",
            data=body,
            headers={"Content-Type": content_type},
        )

    def _events(self):
        return self.env["integration.event"].search([("backend_id", "=", self.backend.id)], order="id")

    def _refusals(self):
        return self.env["integration.audit"].search(
            [("backend_id", "=", self.backend.id), ("action", "=", "refused")]
        )

    def test_shared_fixture_is_stored_then_acknowledged(self):
        response = self._post(fixture_message())
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.text, soap.ACK)
        self.assertTrue(response.headers["Content-Type"].startswith("text/xml"))
        self.assertRecordValues(
            self._events(),
            [
                {
                    "external_event_id": "04lV0000001ALshIAG",
                    "event_type": "Opportunity",
                    "entity_key": "deal:006Q0000009N3gf",
                    "state": "pending",
                    "source": "webhook",
                }
            ],
        )
        self.assertEqual(self._events().summary, "Opportunity 006Q0000009N3gf")
        payload = self._events()._payload_json()
        self.assertEqual(payload["values"]["AccountId"], "001Q000000SvOoG")
        self.assertEqual(payload["organization_id"], "00DQ0000000EB93")

    def test_wrong_organization_is_refused_with_an_audit_line_and_nothing_stored(self):
        response = self._post(
            outbound_message([self._opp_notification("04lQ00000001AAA")], org_id="00DQ0000000XXXX")
        )
        self.assertEqual(response.status_code, 401)
        self.assertNotIn("Ack", response.text)
        self.assertFalse(self._events())
        self.assertIn("OrganizationId 00DQ0000000XXXX", self._refusals().message)

    def test_organization_id_is_case_sensitive(self):
        response = self._post(
            outbound_message([self._opp_notification("04lQ00000001AAA")], org_id="00dq0000000eb93")
        )
        self.assertEqual(response.status_code, 401)

    def test_source_ip_allow_list(self):
        self.backend.salesforce_allowed_ips = "13.108.0.0/14, 96.43.144.0/20"
        response = self._post(fixture_message())
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self._events())
        self.backend.salesforce_allowed_ips = "13.108.0.0/14, 127.0.0.0/8"
        self.assertEqual(self._post(fixture_message()).status_code, 200)
        self.assertEqual(len(self._events()), 1)

    def test_hundred_notifications_make_hundred_events_and_one_ack(self):
        notifications = [
            (f"04lQ000000{i:05d}", "Opportunity", {"Id": f"006Q00000{i:06d}AAA"}) for i in range(100)
        ]
        response = self._post(outbound_message(notifications))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.text.count("<Ack>true</Ack>"), 1)
        self.assertEqual(len(self._events()), 100)

    def test_duplicate_message_changes_nothing(self):
        self.assertEqual(self._post(fixture_message()).status_code, 200)
        again = self._post(fixture_message())
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.text, soap.ACK)  # Salesforce must stop retrying it
        self.assertEqual(len(self._events()), 1)

    def test_no_ack_when_storing_fails(self):
        calls = []
        original = IntegrationEvent._ingest

        def failing_third(records, *args, **kwargs):
            calls.append(1)
            if len(calls) == 3:
                raise RuntimeError("disk full")
            return original(records, *args, **kwargs)

        notifications = [
            (f"04lQ000000{i:05d}", "Opportunity", {"Id": f"006Q00000{i:06d}AAA"}) for i in range(5)
        ]
        with patch.object(IntegrationEvent, "_ingest", failing_third), self.assertLogs("odoo.http", "ERROR"):
            response = self._post(outbound_message(notifications))
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn("Ack", response.text)
        self.assertFalse(self._events())  # one transaction: none of the five is kept
        self.assertEqual(self._post(outbound_message(notifications)).status_code, 200)  # Salesforce's retry
        self.assertEqual(len(self._events()), 5)

    def test_xxe_is_refused_and_reads_nothing(self):
        body = (
            fixture_message()
            .replace(
                b'<?xml version="1.0" encoding="UTF-8"?>',
                b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
            )
            .replace(b"Test email value", b"&xxe;")
        )
        response = self._post(body)
        self.assertEqual(response.status_code, 401)
        self.assertNotIn("root:", response.text)
        self.assertFalse(self._events())

    def test_unreadable_messages_are_refused_they_carry_no_organization_id_to_check(self):
        # Outbound Messages are not signed: the OrganizationId is the check, so a body it
        # cannot be read from is refused (401 + audit line), not stored.
        no_id = fixture_message().replace(b"<sf:Id>006Q0000009N3gf</sf:Id>", b"")
        for body in (b" ", b"<soapenv:Envelope", b"<a/>", no_id):
            self.assertEqual(self._post(body).status_code, 401, body[:40])
        self.assertEqual(self._post(b'{"a": 1}', content_type="application/json").status_code, 415)
        self.assertFalse(self._events())
        self.assertEqual(len(self._refusals()), 5)

    def test_a_message_of_this_org_that_cannot_be_read_is_stored_as_failed(self):
        # Issue 19: from this org (its OrganizationId checked) but unreadable: kept and acknowledged
        body = fixture_message().replace(
            b"<sf:AccountId>", b"<sf:SystemModstamp>yesterday</sf:SystemModstamp><sf:AccountId>"
        )
        response = self._post(body)
        self.assertEqual(response.status_code, 200)
        self.assertIn(b"<Ack>true</Ack>", response.content)
        event = self._events()
        self.assertEqual((event.event_type, event.state), ("unreadable delivery", "failed"))
        self.assertIn("A delivery from Salesforce (its sender checked)", event.error_message)
        self.assertIn("yesterday", event.error_message)

    def test_secrets_are_for_settings_administrators_only(self):
        manager = new_test_user(self.env, "sf_manager", groups="integration_core.group_integration_manager")
        backend = self.backend.with_user(manager)
        self.assertEqual(backend.salesforce_org_id, "00DQ0000000EB93MAQ")
        for field_name in (
            "salesforce_consumer_secret",
            "salesforce_private_key",
            "salesforce_access_token",
            "salesforce_consumer_key",
        ):
            with self.assertRaises(AccessError):
                backend.read([field_name])

    def test_ownership_defaults(self):
        lines = {
            line.domain: (line.system_of_record, line.other_side_update)
            for line in self.backend.ownership_ids
        }
        self.assertEqual(lines["customer"], ("remote", "apply"))
        self.assertEqual(lines["order"][0], "odoo")
        self.assertEqual(lines["invoice"][0], "odoo")
        self.assertEqual(lines["payment"][0], "odoo")
