"""Change Data Capture through the Pub/Sub API: the scheduled action that reads each
channel, stores its events and its position together, and the handling of what only CDC
has (gap and overflow events, a position older than the retention, echoes by origin).

Each record of a change event becomes one integration event (in order: commit time, then
the place in the transaction) handled by the same handlers as Outbound Messages and the
pull: the handler reads the record's current values over REST."""

import base64
import json
import logging
import time
from datetime import UTC, datetime, timedelta

import psycopg2
from odoo import api, fields, models
from odoo.addons.integration_core.exceptions import PayloadError, PermanentError, VendorUnavailable
from odoo.addons.integration_core.lib.envelope import Envelope
from odoo.tools import SQL

from ..const import ACCOUNT, CONTACT, OPPORTUNITY, QUOTE
from ..lib import cdc, pubsub
from .integration_backend import _entity_key, _summary

_logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "api.pubsub.salesforce.com:7443"
RETENTION = timedelta(hours=72)
MIN_RUN_SECONDS = 3  # below this a stream is not worth opening
CLOSE_MARGIN = 5  # seconds left to Odoo's budget when the stream is closed
CHANNEL_LOCK = 0x53464344  # "SFCD": first key of the channels' advisory locks
OVERFLOW = "cdc.overflow"
UNREADABLE = "cdc.unreadable"
HANDLED = (ACCOUNT, CONTACT, OPPORTUNITY, QUOTE)
# A schema id is a fingerprint: its schema never changes, so one cache serves the process.
_SCHEMAS = {}


def _commit_time(milliseconds):
    """Naive UTC, as Odoo stores datetimes."""
    return datetime.fromtimestamp(milliseconds / 1000, UTC).replace(tzinfo=None) if milliseconds else None


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    salesforce_pubsub_endpoint = fields.Char(
        string="Pub/Sub API Endpoint", default=DEFAULT_ENDPOINT, help="host:port of Salesforce's Pub/Sub API."
    )
    salesforce_pubsub_tls = fields.Boolean(
        string="Pub/Sub over TLS", default=True, help="Off only for a local test server."
    )
    salesforce_call_client = fields.Char(
        string="API Client Name",
        default="OdooIntegration",
        help="The client= name the integration's calls carry (Sforce-Call-Options): a change whose "
        "changeOrigin names it and that touches only Odoo-owned fields is Odoo's own echo.",
    )
    salesforce_cdc_batch = fields.Integer(
        string="Events per Request", default=100, help="Flow control: events asked for at a time (1-100)."
    )
    salesforce_cdc_seconds = fields.Integer(
        string="Seconds per Run", default=50, help="A run reads at most this long (within Odoo's cron limit)."
    )
    salesforce_channel_ids = fields.One2many(
        "integration.salesforce.channel", "backend_id", string="Change Data Capture Channels"
    )
    salesforce_cdc_lag_seconds = fields.Integer(
        string="CDC Lag (s)", compute="_compute_salesforce_cdc_lag", help="The largest lag of its channels."
    )

    @api.depends("salesforce_channel_ids.lag_seconds")
    def _compute_salesforce_cdc_lag(self):
        for backend in self:
            backend.salesforce_cdc_lag_seconds = max(
                backend.salesforce_channel_ids.mapped("lag_seconds") or [0]
            )

    # ---------------------------------------------------------------- the run
    @api.model
    def _cron_salesforce_cdc(self):
        """Scheduled action "Salesforce: receive change events": every active backend's
        channels, within Odoo's time budget for the run."""
        cron = self.env["ir.cron"]
        backends = self.search(
            [
                ("kind", "=", "salesforce"),
                ("state", "in", ("active", "degraded")),
                ("salesforce_channel_ids", "!=", False),
            ]
        )
        for backend in backends:
            time_left = cron._commit_progress(0)
            if time_left < MIN_RUN_SECONDS + CLOSE_MARGIN:
                cron._commit_progress(remaining=1)  # more to do: Odoo runs the job again soon
                return
            try:
                backend._salesforce_cdc_receive(time_left - CLOSE_MARGIN)
            except Exception as exc:  # noqa: BLE001 - one backend failing does not stop the others
                self.env.cr.rollback()
                error = str(exc)[:250]
                channels = backend.salesforce_channel_ids.filtered("active")
                if any(channel.last_error != error for channel in channels):  # said once, not every minute
                    _logger.warning(
                        "integration: change events of backend %s failed", backend.id, exc_info=True
                    )
                    backend.message_post(body=self.env._("Receiving change events failed: %s", exc))
                channels.write({"last_error": error, "last_run_at": fields.Datetime.now()})
            cron._commit_progress(1)

    def _salesforce_cdc_receive(self, seconds=None):
        """Read every active channel of this backend for at most `seconds` in all."""
        self.ensure_one()
        budget = min(self.salesforce_cdc_seconds or 50, seconds if seconds is not None else float("inf"))
        end = time.monotonic() + budget
        received = 0
        client = self._salesforce_pubsub_client()
        try:
            for channel in self.salesforce_channel_ids.filtered("active"):
                left = end - time.monotonic()
                if left < MIN_RUN_SECONDS:
                    break
                received += self._salesforce_cdc_channel(channel, client, left)
        finally:
            client.close()
        return received

    def _salesforce_pubsub_client(self, force_refresh=False):
        if not self.salesforce_org_id or not self.salesforce_instance_url:
            raise PermanentError(
                self.env._("Set the My Domain URL and the Organization ID of backend %s.", self.name)
            )
        try:
            return pubsub.PubSubClient(
                self.salesforce_pubsub_endpoint or DEFAULT_ENDPOINT,
                self._salesforce_token(force_refresh),
                self.salesforce_instance_url,
                self.salesforce_org_id,
                secure=self.salesforce_pubsub_tls,
            )
        except pubsub.StubsMissing as exc:
            raise PermanentError(str(exc)) from None

    def _salesforce_cdc_channel(self, channel, client, seconds):
        """One channel, by one reader at a time (a session lock: it outlives the batch
        commits and dies with the connection if the worker is killed)."""
        cr = self.env.cr
        cr.execute(SQL("SELECT pg_try_advisory_lock(%s, %s)", CHANNEL_LOCK, channel.id))
        if not cr.fetchone()[0]:
            _logger.info("integration: channel %s is being read by another worker", channel.topic)
            return 0
        try:
            return self._salesforce_cdc_channel_locked(channel, client, seconds)
        finally:
            unlock = SQL("SELECT pg_advisory_unlock(%s, %s)", CHANNEL_LOCK, channel.id)
            try:
                cr.execute(unlock)
            except psycopg2.Error:  # the failed batch aborted the transaction: it is lost anyway
                cr.rollback()
                cr.execute(unlock)

    def _salesforce_cdc_channel_locked(self, channel, client, seconds):
        """Resume after the channel's replay id; a refused (expired) replay id restarts from
        the earliest retained event after re-reading the window; an expired token is
        renewed once."""
        try:
            return self._salesforce_cdc_stream(channel, client, seconds)
        except pubsub.AuthRefused:
            client.close()
            client = self._salesforce_pubsub_client(force_refresh=True)
            try:
                return self._salesforce_cdc_stream(channel, client, seconds)
            finally:
                client.close()
        except pubsub.ReplayIdRefused as exc:
            if (
                channel.caught_up
                and channel.last_run_at
                and channel.last_run_at > fields.Datetime.now() - RETENTION
            ):
                # A quiet channel: its last event aged out, but a run since then read up to the
                # tip, so whatever came after it is still retained. Nothing was missed.
                channel.write({"replay_id": False, "last_error": str(exc)[:250]})
            else:
                self._salesforce_cdc_replay_lost(channel, exc)
            return self._salesforce_cdc_stream(channel, client, seconds, start="earliest")
        except pubsub.PubSubError as exc:
            self.env.cr.rollback()  # what was stored before the error is committed already
            error = str(exc)[:250]
            repeated = channel.last_error == error
            channel.write({"last_error": error, "last_run_at": fields.Datetime.now()})
            self.env["ir.cron"]._commit_progress(0)
            if not exc.transient and not repeated:  # said once on the backend, not every minute
                self.message_post(
                    body=self.env._("Channel %(topic)s: %(error)s", topic=channel.topic, error=exc)
                )
            return 0

    def _salesforce_cdc_stream(self, channel, client, seconds, start=None):
        """Read batches; each batch's events and the channel's new replay id are committed
        together, so a crash between two commits replays that batch and nothing else."""
        schemas = cdc.SchemaCache(client.get_schema, store=_SCHEMAS.setdefault(self.env.cr.dbname, {}))
        replay_id = None if start else (bytes.fromhex(channel.replay_id) if channel.replay_id else None)
        count = 0
        batches = client.subscribe(
            channel.topic,
            replay_id,
            earliest=(start or channel.start_from) == "earliest",
            batch_size=self.salesforce_cdc_batch or pubsub.MAX_REQUESTED,
            seconds=seconds,
        )
        received_any = False
        for batch in batches:
            received_any = True
            now = fields.Datetime.now()
            values = {"last_run_at": now, "last_error": False}
            if batch.events:
                events = [self._salesforce_cdc_read(channel, item, schemas) for item in batch.events]
                self._salesforce_cdc_store(events)
                last_time = max((e.order[0] for e in events if isinstance(e, cdc.ChangeEvent)), default=0)
                values.update(
                    replay_id=batch.events[-1].replay_id.hex(),
                    last_received_at=now,
                    event_count=channel.event_count + len(batch.events),
                    caught_up=False,
                )
                if last_time:
                    values["last_event_at"] = _commit_time(last_time)
                    values["lag_seconds"] = max(int((now - values["last_event_at"]).total_seconds()), 0)
                count += len(batch.events)
            else:
                # Caught up. The latest replay id is kept so that a quiet channel's position
                # never ages out of the retention.
                values.update(caught_up=True, lag_seconds=0)
                if batch.latest_replay_id:
                    values["replay_id"] = batch.latest_replay_id.hex()
            channel.write(values)
            self._salesforce_cdc_commit(len(batch.events))
        if not received_any:
            # The whole run passed without a response: the server had nothing to send.
            channel.write(
                {
                    "last_run_at": fields.Datetime.now(),
                    "last_error": False,
                    "caught_up": True,
                    "lag_seconds": 0,
                }
            )
            self._salesforce_cdc_commit(0)
        return count

    def _salesforce_cdc_commit(self, count):
        """The events of a batch and the channel's position become durable together."""
        self.env["ir.cron"]._commit_progress(count)

    # ---------------------------------------------------------------- reading
    def _salesforce_cdc_read(self, channel, item, schemas):
        """A received event decoded; an unreadable one is kept as it came (nothing lost)."""
        try:
            return cdc.read_event(
                channel.topic, item.replay_id, item.event_id, item.schema_id, item.payload, schemas
            )
        except (cdc.CdcError, pubsub.PubSubError) as exc:
            return {
                "topic": channel.topic,
                "replay_id": item.replay_id.hex(),
                "event_id": item.event_id,
                "schema_id": item.schema_id,
                "avro_base64": base64.b64encode(item.payload).decode(),
                "error": str(exc),
            }

    def _salesforce_cdc_store(self, events):
        """Store the events of a batch in commit order: one integration event per record."""
        ingest = self.env["integration.event"]._ingest
        readable = sorted((e for e in events if isinstance(e, cdc.ChangeEvent)), key=lambda e: e.order)
        envelopes = [env for event in readable for env in self._salesforce_cdc_envelopes(event)]
        for raw in (e for e in events if not isinstance(e, cdc.ChangeEvent)):
            envelopes.append(
                Envelope(
                    external_event_id=f"cdc:{raw['event_id']}",
                    event_type=UNREADABLE,
                    entity_key="",
                    occurred_at=None,
                    payload=json.dumps({"values": {}, "cdc": raw}, sort_keys=True),
                    summary=self.env._("Unreadable change event from %s", raw["topic"])[:255],
                )
            )
        correlation = self.env["integration.event"]._new_correlation_id
        for index, envelope in enumerate(envelopes):
            ingest(
                self,
                envelope,
                envelope.payload,
                {},
                correlation(),
                "cdc",
                trigger=index == len(envelopes) - 1,
            )

    def _salesforce_cdc_envelopes(self, event):
        header = event.header
        facts = {
            "topic": event.topic,
            "replay_id": event.replay_hex,
            "event_id": event.event_id,
            "schema_id": event.schema_id,
        }
        if header is None:  # a platform event: stored, handled if a handler knows its type
            name = event.topic.rsplit("/", 1)[-1]
            payload = {"sobject": name, "values": cdc.flat_values(event.values), "cdc": facts}
            return [
                Envelope(
                    external_event_id=f"cdc:{event.event_id}",
                    event_type=name,
                    entity_key="",
                    occurred_at=None,
                    payload=json.dumps(payload, sort_keys=True, default=str),
                    summary=f"{name} {event.event_id}"[:255],
                )
            ]
        facts["header"] = header.model_dump(by_alias=True)
        occurred = _commit_time(header.commit_timestamp)
        entity = header.entity_name
        if header.is_overflow:
            payload = {"sobject": entity, "values": {}, "cdc": facts}
            return [
                Envelope(
                    external_event_id=f"cdc:{event.event_id}",
                    event_type=OVERFLOW,
                    entity_key=f"{entity}:overflow",
                    occurred_at=occurred,
                    payload=json.dumps(payload, sort_keys=True),
                    summary=self.env._("%s: more than 100,000 changes in one transaction", entity)[:255],
                )
            ]
        changed = cdc.flat_values(event.values)
        envelopes = []
        for index, record_id in enumerate(header.record_ids):
            values = {"Id": record_id}
            if entity == QUOTE and changed.get("SBQQ__Opportunity2__c"):
                values["SBQQ__Opportunity2__c"] = changed["SBQQ__Opportunity2__c"]
            payload = {
                "sobject": entity,
                "values": values,
                "cdc": {**facts, "record_index": index, "record_count": len(header.record_ids)},
            }
            envelopes.append(
                Envelope(
                    external_event_id=f"cdc:{event.event_id}:{record_id}",
                    event_type=entity,
                    entity_key=_entity_key(entity, values),
                    occurred_at=occurred,
                    payload=json.dumps(payload, sort_keys=True),
                    summary=f"{header.change_type.title()} {_summary(entity, values)}"[:255],
                )
            )
        return envelopes

    # ---------------------------------------------------------------- handling
    def _salesforce_event_handlers(self):
        handlers = super()._salesforce_event_handlers()
        handlers.update(
            {OVERFLOW: self._salesforce_cdc_overflow_event, UNREADABLE: self._salesforce_cdc_unreadable_event}
        )
        return handlers

    def _handle_event(self, event):
        """A change event is handled as the record's notification is (read over REST now),
        except Odoo's own echo and deletions."""
        if self.kind != "salesforce" or event.source != "cdc" or event.event_type in (OVERFLOW, UNREADABLE):
            return super()._handle_event(event)
        payload = event._payload_json()
        header_values = ((payload or {}).get("cdc") or {}).get("header")
        if not header_values:
            return super()._handle_event(event)
        header = cdc.ChangeHeader.model_validate(header_values)
        owned = self._salesforce_odoo_owned_fields() if header.entity_name == OPPORTUNITY else []
        if cdc.is_echo(header, self.salesforce_integration_user_id, self.salesforce_call_client, owned):
            event._note_result(
                self.env._(
                    "Echo of Odoo's own change (%s): nothing to apply.",
                    header.change_origin or header.commit_user,
                )
            )
            return None
        if header.change_type in ("DELETE", "GAP_DELETE"):
            event._note_result(self.env._("Deleted in Salesforce: the Odoo record is kept as it is."))
            return None
        result = super()._handle_event(event)
        if header.is_gap:
            event._note_result(
                self.env._("Gap event (%s): the record was read again from Salesforce.", header.change_type)
            )
        return result

    def _salesforce_cdc_overflow_event(self, event, payload):
        """GAP_OVERFLOW: the change events of that transaction were not sent. Every record of
        the entity changed since the transaction (less the pull overlap) is pulled again."""
        entity = payload.get("sobject")
        header = cdc.ChangeHeader.model_validate(payload["cdc"]["header"])
        if entity not in HANDLED:
            event._note_result(self.env._("%s is not synchronised: nothing to re-read.", entity))
            return None
        since = (
            (_commit_time(header.commit_timestamp) or fields.Datetime.now())
            - timedelta(minutes=self.salesforce_pull_overlap_minutes or 0)
            - timedelta(seconds=1)
        )
        count = self._salesforce_pull_entity(entity, since)
        event._note_result(
            self.env._(
                "Overflow: %(count)s %(entity)s records re-read through the pull.", count=count, entity=entity
            )
        )
        return None

    def _salesforce_pull_entity(self, entity, since):
        client = self._salesforce_client()
        count = 0
        for sobject, soql in self._salesforce_pull_queries(since):
            if sobject == entity:
                for record in client.query_all(soql, include_deleted=sobject in (ACCOUNT, CONTACT)):
                    count += self._salesforce_ingest_pulled(sobject, record)
        return count

    def _salesforce_cdc_unreadable_event(self, event, payload):
        """An event that could not be decoded when received: decoded again now (the schema
        may have been unavailable); still unreadable, a clear failure to look at."""
        raw = payload.get("cdc") or {}
        client = self._salesforce_pubsub_client()
        try:
            schemas = cdc.SchemaCache(client.get_schema, store=_SCHEMAS.setdefault(self.env.cr.dbname, {}))
            decoded = cdc.read_event(
                raw.get("topic", ""),
                bytes.fromhex(raw.get("replay_id", "")),
                raw.get("event_id", ""),
                raw.get("schema_id", ""),
                base64.b64decode(raw.get("avro_base64", "")),
                schemas,
            )
        except (cdc.CdcError, ValueError) as exc:
            raise PayloadError(
                self.env._(
                    "The change event %(id)s from %(topic)s cannot be read (%(error)s). Nothing was applied; "
                    "the records it names are re-read by the next pull.",
                    id=raw.get("event_id"),
                    topic=raw.get("topic"),
                    error=exc,
                )
            ) from None
        except pubsub.PubSubError as exc:
            raise VendorUnavailable(str(exc)) from None
        finally:
            client.close()
        self._salesforce_cdc_store([decoded])
        event._note_result(self.env._("Decoded now: its records were queued as change events."))
        return None

    # ---------------------------------------------------------------- position lost
    def _salesforce_cdc_replay_lost(self, channel, error):
        """The stored position is older than the retention: events between it and the
        earliest retained one are gone. The window is re-read through the pull and
        reconciled, and a business exception says so until a manager acknowledges it."""
        now = fields.Datetime.now()
        since = (channel.last_event_at or channel.last_received_at or now - RETENTION) - timedelta(
            minutes=self.salesforce_pull_overlap_minutes or 0
        )
        count = 0
        for entity in HANDLED:
            if entity != QUOTE or self.salesforce_cpq:
                count += self._salesforce_pull_entity(entity, since)
        note = self.env._(
            "Salesforce no longer holds the events after %(since)s (older than its 72-hour retention): the "
            "channel restarted from the earliest retained event; %(count)s records changed since then were "
            "re-read and the period was reconciled.",
            since=fields.Datetime.to_string(since),
            count=count,
        )
        channel.write(
            {
                "replay_lost_at": now,
                "replay_lost_note": note[:250],
                "replay_id": False,
                "last_error": str(error)[:250],
            }
        )
        if self._reconcile_supported():
            run = (
                self.env["integration.reconciliation.run"]
                .sudo()
                .create({"backend_id": self.id, "date_from": since, "date_to": now, "started_at": now})
            )
            run._execute()
        self.message_post(body=note)
        self._salesforce_cdc_commit(0)

    def _business_exceptions(self):
        result = super()._business_exceptions()
        if self.kind != "salesforce":
            return result
        channels = self.env["integration.salesforce.channel"].sudo()
        lost = [("backend_id", "=", self.id), ("replay_lost_at", "!=", False)]
        return result + [
            {
                "code": "salesforce_cdc_position_lost",
                "label": self.env._(
                    "Change Data Capture channels that lost their position (Odoo was away longer than "
                    "Salesforce's 72-hour retention): the period was re-read and reconciled, check it"
                ),
                "count": channels.search_count(lost),
                "threshold": 0,
                "action": {"res_model": channels._name, "domain": lost},
            }
        ]

    # ---------------------------------------------------------------- metrics
    def _prometheus_metrics(self):
        metrics = super()._prometheus_metrics()
        channels = self.env["integration.salesforce.channel"].search([("backend_id.kind", "=", "salesforce")])
        if not channels:
            return metrics

        def labels(channel):
            return {"backend": channel.backend_id.name, "kind": "salesforce", "channel": channel.topic}

        metrics.append(
            {
                "name": "integration_salesforce_cdc_lag_seconds",
                "type": "gauge",
                "help": "How far Odoo is behind a Change Data Capture channel (0: caught up when last read).",
                "samples": [(labels(channel), channel.lag_seconds) for channel in channels],
            }
        )
        metrics.append(
            {
                "name": "integration_salesforce_cdc_last_event_timestamp_seconds",
                "type": "gauge",
                "help": "Unix time (commit time in Salesforce) of the last change event stored.",
                "samples": [
                    (
                        labels(channel),
                        channel.last_event_at.replace(tzinfo=UTC).timestamp() if channel.last_event_at else 0,
                    )
                    for channel in channels
                ],
            }
        )
        return metrics
