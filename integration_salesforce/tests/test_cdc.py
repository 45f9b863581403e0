"""Change Data Capture through the Pub/Sub API against a local gRPC server built from the
same .proto (loopback): events stored with their replay ids, a restart resumes exactly
after the last stored one, a kill between storing and committing loses nothing, gap and
overflow recovery, a replay id older than the retention, echoes, one event naming three
records."""

import base64
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import TransactionCase, tagged

from ..lib.pubsub_standin import (
    ACCOUNT_FIELDS,
    OPPORTUNITY_FIELDS,
    PubSubStandIn,
    bitmap,
    change_event_schema,
    change_record,
)
from ..models.integration_backend_cdc import IntegrationBackend as CdcBackend
from .common import ACCOUNT, INSTANCE, INTEGRATION_USER, OPP, ORG_18, SalesforceCaseMixin

ACCOUNT_TOPIC = "/data/AccountChangeEvent"
OPPORTUNITY_TOPIC = "/data/OpportunityChangeEvent"
ACCOUNT_SCHEMA_ID = "a01VpgrsZNJdn-7KStJcxQ"
OPPORTUNITY_SCHEMA_ID = "b02OppSchemaFingerprint"
COMMIT_MS = int(datetime(2026, 12, 1, 10, 40, tzinfo=UTC).timestamp() * 1000)


class Killed(BaseException):
    """The worker dies (SIGKILL, OOM): nothing after this line runs, nothing is caught."""


@tagged("post_install", "-at_install")
class TestSalesforceCdc(SalesforceCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = PubSubStandIn(access_token="cached-token", tenant_id=ORG_18).start()
        cls.addClassCleanup(cls.server.stop)
        cls.account_schema = change_event_schema("Account", ACCOUNT_FIELDS)
        cls.opportunity_schema = change_event_schema("Opportunity", OPPORTUNITY_FIELDS)
        cls.server.add_schema(ACCOUNT_SCHEMA_ID, cls.account_schema)
        cls.server.add_schema(OPPORTUNITY_SCHEMA_ID, cls.opportunity_schema)
        cls._setup_salesforce(
            salesforce_pubsub_endpoint=cls.server.endpoint,
            salesforce_pubsub_tls=False,
            salesforce_cdc_seconds=20,
        )
        cls.channel = cls.env["integration.salesforce.channel"].create(
            {"backend_id": cls.backend.id, "topic": ACCOUNT_TOPIC, "start_from": "earliest"}
        )

    def setUp(self):
        super().setUp()
        # The bus is the class's server: each test starts with empty topics.
        self.server.bus.clear()
        self.server.purged_through.clear()
        self.server.fetch_requests.clear()
        self.server.sent.clear()
        self._mock_org()

    # ------------------------------------------------------------ helpers
    def _account_change(self, record_ids, change_type="UPDATE", sequence=1, **values):
        header = {
            "entityName": "Account",
            "recordIds": record_ids,
            "changeType": change_type,
            "commitTimestamp": COMMIT_MS,
            "sequenceNumber": sequence,
            "changedFields": bitmap(self.account_schema, list(values) or ["Name"]),
        }
        return self.server.publish(
            ACCOUNT_TOPIC, ACCOUNT_SCHEMA_ID, change_record(self.account_schema, header, **values)
        )

    def _publish_accounts(self, count, start=0):
        return [
            self._account_change([f"001Q0000000A{index:03d}AAA"], Name=f"Acme {index}", sequence=index)
            for index in range(start, start + count)
        ]

    def _receive(self):
        self._run_cron("integration.backend", "_cron_salesforce_cdc")

    def _cdc_events(self):
        return self.env["integration.event"].search(
            [("backend_id", "=", self.backend.id), ("source", "=", "cdc")], order="id"
        )

    def _replay_ids(self, events):
        return [bytes.fromhex(event._payload_json()["cdc"]["replay_id"]) for event in events]

    def _numbers(self, replay_ids):
        return [int.from_bytes(replay_id, "big") for replay_id in replay_ids]

    def _put_account(self, record_id, name, modstamp="2026-12-01T10:40:00.000+0000"):
        self.org.put(
            "Account",
            {"Id": record_id, "Name": name, "BillingCity": "Houston", "SystemModstamp": modstamp},
        )

    def _partner(self, record_id):
        return self.env["integration.external.id"]._record_for(self.backend, "res.partner", record_id[:15])

    # ------------------------------------------------------------ storing and resuming
    def test_events_are_stored_with_their_replay_ids_and_the_position(self):
        replay_ids = self._publish_accounts(3)
        self._receive()
        events = self._cdc_events()
        self.assertEqual(self._replay_ids(events), replay_ids)
        self.assertEqual(events.mapped("event_type"), ["Account"] * 3)
        self.assertEqual(events.mapped("entity_key"), [f"Account:001Q0000000A{i:03d}" for i in range(3)])
        self.assertEqual(events[0].occurred_at.isoformat(), "2026-12-01T10:40:00")
        header = events[0]._payload_json()["cdc"]["header"]
        self.assertEqual(header["changedFields"], ["Name"])  # the bitmap, decoded
        self.channel.invalidate_recordset()
        self.assertEqual(self.channel.replay_id, replay_ids[-1].hex())
        self.assertTrue(self.channel.caught_up)
        self.assertEqual(self.channel.lag_seconds, 0)
        self.assertEqual(self.channel.last_event_at.isoformat(), "2026-12-01T10:40:00")
        self.assertEqual(self.channel.event_count, 3)

    def test_a_restart_resumes_exactly_after_the_last_stored_replay_id(self):
        self.backend.salesforce_cdc_batch = 2  # flow control: two at a time
        first = self._publish_accounts(5)
        self._receive()
        second = self._publish_accounts(3, start=5)
        self._receive()  # a new run: a new stream, from the stored position
        events = self._cdc_events()
        self.assertEqual(self._replay_ids(events), first + second)  # none twice, none missed
        self.assertEqual(self.server.sent, [(ACCOUNT_TOPIC, n) for n in self._numbers(first + second)])
        opens = [request for request in self.server.fetch_requests if request[1]]
        self.assertEqual([r[1] for r in opens], ["EARLIEST", "CUSTOM"])
        self.assertEqual(opens[1][2], self._numbers(first)[-1])
        self.assertLessEqual(max(request[3] for request in self.server.fetch_requests), 2)

    def test_a_kill_between_storing_and_committing_loses_nothing(self):
        self.backend.salesforce_cdc_batch = 2
        replay_ids = self._publish_accounts(5)
        calls = []
        original = CdcBackend._salesforce_cdc_commit

        def commit_then_die(backend, count):
            calls.append(count)
            if len(calls) == 2:  # the second batch is stored, the worker dies before the commit
                raise Killed()
            return original(backend, count)

        # Not assertRaises: Odoo's rolls the test's own transaction back to before the block.
        died = False
        with patch.object(CdcBackend, "_salesforce_cdc_commit", commit_then_die):
            try:
                self._receive()
            except Killed:
                died = True
        self.assertTrue(died)
        self.env.invalidate_all()
        self.assertEqual(self._replay_ids(self._cdc_events()), replay_ids[:2])  # the committed batch
        self.assertEqual(self.channel.replay_id, replay_ids[1].hex())  # and its position, together
        self._receive()
        self.assertEqual(self._replay_ids(self._cdc_events()), replay_ids)
        # the second run asked for what follows the committed position: events 3 to 5 again
        resumed = [request for request in self.server.fetch_requests if request[1] == "CUSTOM"]
        self.assertEqual(resumed[-1][2], self._numbers(replay_ids)[1])

    # ------------------------------------------------------------ handling
    def test_one_event_with_three_record_ids_updates_three_records(self):
        ids = ["001Q0000000B001AAA", "001Q0000000B002AAA", "001Q0000000B003AAA"]
        for index, record_id in enumerate(ids):
            self._put_account(record_id, f"Branch {index + 1}")
        self._account_change(ids, BillingAddress={"City": "Houston"})
        self._receive()
        events = self._cdc_events()
        self.assertEqual(len(events), 3)
        self.assertEqual([e._payload_json()["values"]["Id"] for e in events], ids)  # in order
        self._process_events()
        for event in events:
            self.assertEqual(event.state, "done", self._why(event))
        self.assertEqual(
            [self._partner(record_id).name for record_id in ids], ["Branch 1", "Branch 2", "Branch 3"]
        )
        self.assertEqual({self._partner(record_id).city for record_id in ids}, {"Houston"})

    def test_gap_event_rereads_the_record_over_rest(self):
        self._put_account(ACCOUNT, "United Oil (after the gap)")
        header = {
            "entityName": "Account",
            "recordIds": [ACCOUNT],
            "changeType": "GAP_UPDATE",
            "commitTimestamp": COMMIT_MS,
        }
        self.server.publish(ACCOUNT_TOPIC, ACCOUNT_SCHEMA_ID, change_record(self.account_schema, header))
        self._receive()
        [event] = self._cdc_events()
        self._process_events()
        self.assertEqual(event.state, "done", self._why(event))
        self.assertIn("Gap event (GAP_UPDATE)", event.result_note)
        self.assertEqual(self._partner(ACCOUNT).name, "United Oil (after the gap)")

    def test_overflow_resyncs_the_entity_through_the_pull(self):
        self._put_account("001Q0000000C001AAA", "Overflowed One")
        self._put_account("001Q0000000C002AAA", "Overflowed Two")
        header = {
            "entityName": "Account",
            "recordIds": [],
            "changeType": "GAP_OVERFLOW",
            "commitTimestamp": COMMIT_MS,
        }
        self.server.publish(ACCOUNT_TOPIC, ACCOUNT_SCHEMA_ID, change_record(self.account_schema, header))
        self._receive()
        [event] = self._cdc_events()
        self.assertEqual(event.event_type, "cdc.overflow")
        self._process_events()
        self.assertEqual(event.state, "done", self._why(event))
        self.assertIn("3 Account records re-read", event.result_note)  # the setUp account and these two
        pulled = self.env["integration.event"].search(
            [("backend_id", "=", self.backend.id), ("source", "=", "pull")]
        )
        self.assertEqual(len(pulled), 3)
        self._process_events()
        self.assertEqual(self._partner("001Q0000000C002AAA").name, "Overflowed Two")

    def test_expired_replay_id_restarts_from_earliest_rereads_and_says_so(self):
        early = self._publish_accounts(3)
        self._receive()
        later = self._publish_accounts(4, start=3)
        self.server.expire(ACCOUNT_TOPIC, keep_last=2)  # Odoo was away longer than the retention
        self.channel.last_run_at = fields.Datetime.now() - timedelta(days=4)
        self._receive()
        self.channel.invalidate_recordset()
        self.assertTrue(self.channel.replay_lost_at)
        self.assertIn("72-hour retention", self.channel.replay_lost_note)
        # restarted from the earliest retained event: the two still there are stored
        self.assertEqual(self._replay_ids(self._cdc_events()), early + later[2:])
        self.assertEqual(self.channel.replay_id, later[-1].hex())
        # the window was re-read through the pull and reconciled
        pulled = self.env["integration.event"].search(
            [("backend_id", "=", self.backend.id), ("source", "=", "pull")]
        )
        self.assertIn("Account", pulled.mapped("event_type"))
        runs = self.env["integration.reconciliation.run"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(runs.mapped("state"), ["done"])
        alerts = {item["code"]: item for item in self.backend._business_exceptions()}
        self.assertEqual(alerts["salesforce_cdc_position_lost"]["count"], 1)
        self.channel.action_acknowledge_replay_lost()
        alerts = {item["code"]: item for item in self.backend._business_exceptions()}
        self.assertEqual(alerts["salesforce_cdc_position_lost"]["count"], 0)

    def test_echo_of_odoos_status_write_back_is_not_applied(self):
        self.env["integration.salesforce.channel"].create(
            {"backend_id": self.backend.id, "topic": OPPORTUNITY_TOPIC, "start_from": "earliest"}
        )
        status_only = bitmap(self.opportunity_schema, ["Odoo_Status__c", "LastModifiedDate"])
        for origin, user in (
            ("com/salesforce/api/rest/62.0;client=OdooIntegration", "005Q000000Other1AAA"),
            ("com/salesforce/api/rest/62.0", INTEGRATION_USER),
        ):
            header = {
                "entityName": "Opportunity",
                "recordIds": [OPP],
                "changeType": "UPDATE",
                "changeOrigin": origin,
                "commitUser": user,
                "commitTimestamp": COMMIT_MS,
                "changedFields": status_only,
            }
            record = change_record(self.opportunity_schema, header, Odoo_Status__c="invoiced")
            self.server.publish(OPPORTUNITY_TOPIC, OPPORTUNITY_SCHEMA_ID, record)
        self._receive()
        events = self._cdc_events()
        self.assertEqual(len(events), 2)
        self._process_events()
        for event in events:
            self.assertEqual(event.state, "done", self._why(event))
            self.assertIn("Echo of Odoo's own change", event.result_note)
        # no REST read was made for them: the opportunity is not even in the stand-in org
        self.assertFalse(self._order())

    def test_unreadable_event_is_kept_as_a_failed_event_and_the_channel_goes_on(self):
        self.server.publish_raw(ACCOUNT_TOPIC, ACCOUNT_SCHEMA_ID, b"\x07 not avro")
        good = self._publish_accounts(1, start=9)
        self._receive()
        events = self._cdc_events()
        self.assertEqual(events.mapped("event_type"), ["Account", "cdc.unreadable"])
        unreadable = events.filtered(lambda e: e.event_type == "cdc.unreadable")
        raw = unreadable._payload_json()["cdc"]
        self.assertEqual(base64.b64decode(raw["avro_base64"]), b"\x07 not avro")  # kept as received
        self.channel.invalidate_recordset()
        self.assertEqual(self.channel.replay_id, good[0].hex())
        self._process_events()
        self.assertEqual(unreadable.state, "failed")
        self.assertIn("cannot be read", unreadable.error_message)

    def test_metrics_and_dashboard_show_the_lag(self):
        self._publish_accounts(1)
        self._receive()
        metrics = {metric["name"]: metric for metric in self.env["integration.backend"]._prometheus_metrics()}
        samples = metrics["integration_salesforce_cdc_lag_seconds"]["samples"]
        self.assertIn(
            ({"backend": self.backend.name, "kind": "salesforce", "channel": ACCOUNT_TOPIC}, 0), samples
        )
        stamp_metric = metrics["integration_salesforce_cdc_last_event_timestamp_seconds"]
        stamps = {labels["channel"]: value for labels, value in stamp_metric["samples"]}
        self.assertEqual(stamps[ACCOUNT_TOPIC], COMMIT_MS / 1000)
        self.assertEqual(self.backend.salesforce_cdc_lag_seconds, 0)

    def test_wrong_topic_is_refused(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.env["integration.salesforce.channel"].create(
                {"backend_id": self.backend.id, "topic": "AccountChangeEvent"}
            )

    def test_schema_is_fetched_once_per_schema_id(self):
        from ..models import integration_backend_cdc

        integration_backend_cdc._SCHEMAS.clear()
        self.server.schema_calls.clear()
        self._publish_accounts(3)
        self._receive()
        self._publish_accounts(2, start=3)
        self._receive()
        self.assertEqual(self.server.schema_calls, [ACCOUNT_SCHEMA_ID])
        self.assertEqual(len(self._cdc_events()), 5)

    def test_a_channel_is_read_by_one_worker_at_a_time(self):
        from odoo.sql_db import db_connect

        from ..models.integration_backend_cdc import CHANNEL_LOCK

        self._publish_accounts(2)
        with db_connect(self.env.cr.dbname).cursor() as other:  # another worker's connection
            other.execute("SELECT pg_advisory_lock(%s, %s)", (CHANNEL_LOCK, self.channel.id))
            self._receive()
            self.assertFalse(self._cdc_events())  # the other worker is reading it: skipped
            other.execute("SELECT pg_advisory_unlock(%s, %s)", (CHANNEL_LOCK, self.channel.id))
        self._receive()
        self.assertEqual(len(self._cdc_events()), 2)

    def test_quiet_channel_whose_last_event_aged_out_restarts_without_alarm(self):
        first = self._publish_accounts(2)
        self._receive()  # caught up, just now
        self.server.expire(ACCOUNT_TOPIC, keep_last=0)  # its last event is older than 72 h
        later = self._publish_accounts(1, start=2)
        self._receive()
        self.channel.invalidate_recordset()
        self.assertFalse(self.channel.replay_lost_at)  # a run since then read to the tip: nothing missed
        self.assertEqual(self._replay_ids(self._cdc_events()), first + later)
        self.assertFalse(self.env["integration.event"].search([("source", "=", "pull")]))
        alerts = {item["code"]: item for item in self.backend._business_exceptions()}
        self.assertEqual(alerts["salesforce_cdc_position_lost"]["count"], 0)

    def test_an_expired_token_is_renewed_once_and_the_stream_opened_again(self):
        token = self.rsps.post(
            f"{INSTANCE}/services/oauth2/token",
            json={"access_token": "fresh-token", "instance_url": INSTANCE},
        )
        self.server.access_token = "fresh-token"  # Salesforce no longer takes the cached one
        self.addCleanup(setattr, self.server, "access_token", "cached-token")
        replay_ids = self._publish_accounts(2)
        self._receive()
        self.assertEqual(token.call_count, 1)
        self.assertEqual(self._replay_ids(self._cdc_events()), replay_ids)
        self.assertEqual(self.backend.sudo().salesforce_access_token, "fresh-token")

    def test_a_refused_channel_is_said_once_on_the_backend(self):
        channel = self.env["integration.salesforce.channel"].create(
            {"backend_id": self.backend.id, "topic": "/data/LeadChangeEvent", "start_from": "earliest"}
        )
        self.server.refused_topics.add("/data/LeadChangeEvent")
        self.addCleanup(self.server.refused_topics.clear)
        before = len(self.backend.message_ids)
        self._receive()
        self._receive()
        channel.invalidate_recordset()
        self.assertIn("PERMISSION_DENIED", channel.last_error)
        self.backend.invalidate_recordset()
        self.assertEqual(len(self.backend.message_ids) - before, 1)

    def test_a_backend_without_credentials_says_so_once(self):
        self.backend.sudo().write({"salesforce_access_token": False, "salesforce_consumer_secret": False})
        self.rsps.post(f"{INSTANCE}/services/oauth2/token", status=400, json={"error": "invalid_client"})
        before = len(self.backend.message_ids)
        self._receive()
        self._receive()
        self.channel.invalidate_recordset()
        self.assertIn("invalid_client", self.channel.last_error)
        self.backend.invalidate_recordset()
        self.assertEqual(len(self.backend.message_ids) - before, 1)
