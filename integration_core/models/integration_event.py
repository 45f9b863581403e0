"""Inbound events: stored before they are acknowledged, processed once, in order per entity.

Ingest is one INSERT ... ON CONFLICT DO NOTHING (a duplicate delivery changes nothing).
The cron claims batches with FOR UPDATE SKIP LOCKED and a lease, so any number of Odoo
workers can process side by side; each event runs in its own savepoint and its outcome is
committed before the next one starts."""

import hashlib
import json
import logging
import uuid
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from werkzeug.datastructures import Headers

from ..const import (
    EVENT_SOURCES,
    EVENT_STATES,
)
from ..exceptions import BackendChanged, PayloadError
from ..lib.delivery import FORM_TYPES, Delivery, storable_text, unreadable_reason
from ..lib.envelope import Envelope
from ..lib.jsontext import pretty

_logger = logging.getLogger(__name__)
# The type of the event a signed delivery the connector could not read is stored as.
UNREADABLE = "unreadable delivery"
# The backend row is still the version the delivery was checked against (ctid, xmin).
BACKEND_IS_VERSION = (
    "SELECT FROM integration_backend WHERE id = %s AND ctid = %s::tid AND xmin = %s::xid AND active"
)
# The ingest's one statement (see `_ingest`). No user sends a delivery, so it has no creator:
# that also spares two foreign-key checks per delivery, which PostgreSQL plans again on every
# request because Odoo resets each connection it takes from its pool (DISCARD ALL). With a
# backend row version (ctid, xmin), the row is stored only if the backend is still that
# version: a delivery checked against what the process remembered of it.
INSERT_EVENT = f"""
    INSERT INTO integration_event (
        backend_id, company_id, external_event_id, event_type, entity_key, summary,
        occurred_at, received_at, order_at, source, payload, headers, correlation_id,
        state, is_exception, attempts, next_attempt_at, create_date, write_date)
    SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', false, 0, %s, %s, %s
     WHERE %s::text IS NULL OR EXISTS ({BACKEND_IS_VERSION})
    ON CONFLICT (backend_id, external_event_id) DO NOTHING
    RETURNING id
"""


class IntegrationEvent(models.Model):
    _name = "integration.event"
    _inherit = ["integration.queue.mixin"]
    _description = "Integration Event"
    _order = "id desc"
    _queue_primary_cron = "integration_core.cron_process_events"
    _queue_cron_code = "model._cron_process_events()"

    # Every row is inserted, claimed and settled, and each of those writes all its indexes: the
    # dedup key (backend_id, external_event_id) already serves lookups by backend, and nothing
    # searches events by company alone (about a fifth of the database's work per event).
    backend_id = fields.Many2one(index=False)
    company_id = fields.Many2one(index=False)
    kind = fields.Selection(related="backend_id.kind")
    external_event_id = fields.Char(string="Vendor Event ID", required=True, readonly=True)
    event_type = fields.Char(required=True, readonly=True, index=True)
    summary = fields.Char(
        string="About", readonly=True, help="What the event is about, in the vendor's business words."
    )
    occurred_at = fields.Datetime(readonly=True, help="When the vendor says the change happened.")
    received_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    source = fields.Selection(EVENT_SOURCES, default="webhook", required=True, readonly=True)
    payload = fields.Text(help="The delivery as received (or as last edited by a manager).")
    payload_original = fields.Text(
        readonly=True, help="The payload as first received, kept when a manager edits it."
    )
    payload_pretty = fields.Text(compute="_compute_payload_pretty", string="Payload (formatted)")
    headers = fields.Text(readonly=True, help="Request headers, secrets masked.")
    source_url = fields.Char(compute="_compute_source_url", string="Open in Vendor")
    ignore_reason = fields.Char(readonly=True)
    result_model = fields.Char(readonly=True)
    result_res_id = fields.Many2oneReference(model_field="result_model", readonly=True)
    result_ref = fields.Reference(
        selection="_selection_models", compute="_compute_result_ref", string="Document"
    )
    result_note = fields.Char(readonly=True)
    audit_ids = fields.One2many("integration.audit", "event_id", string="History")
    fix_code = fields.Char(
        string="Business Action",
        readonly=True,
        help="Technical code of the business action that fixes this failure (set by the connector).",
    )
    fix_facts = fields.Json(readonly=True, help="What the business action's picker needs to know.")
    choices = fields.Json(
        readonly=True, help="Choices people made to fix this event, read by the handler when it runs again."
    )
    deal_id = fields.Many2one("integration.deal", readonly=True, index="btree_not_null", ondelete="set null")

    _external_event_unique = models.UniqueIndex("(backend_id, external_event_id)")
    # The dashboard's and the metrics' figures: a few index lookups per backend at any volume.
    _received_idx = models.Index("(backend_id, received_at)")
    _done_idx = models.Index("(backend_id, done_at) WHERE done_at IS NOT NULL")
    # the documents' "Vendor events" smart button
    _result_idx = models.Index("(result_model, result_res_id) WHERE result_res_id IS NOT NULL")
    # An event joins the deal of an earlier event of the same entity (integration.deal._for_event).
    _deal_entity_idx = models.Index("(backend_id, entity_key) WHERE deal_id IS NOT NULL")

    @api.depends("payload")
    def _compute_payload_pretty(self):
        for event in self:
            event.payload_pretty = pretty(event.payload)

    @api.depends("backend_id.kind", "payload")
    def _compute_source_url(self):
        for event in self:
            event.source_url = event.backend_id._source_url(event) if event.backend_id else False

    @api.depends("event_type", "external_event_id", "summary")
    def _compute_display_name(self):
        for event in self:
            event.display_name = event.summary or f"{event.event_type} {event.external_event_id}"

    @api.depends("result_model", "result_res_id")
    def _compute_result_ref(self):
        for event in self:
            known = event.result_model in self.env and event.result_res_id
            event.result_ref = f"{event.result_model},{event.result_res_id}" if known else False

    def _payload_json(self):
        self.ensure_one()
        try:
            return json.loads(self.payload or "null")
        except json.JSONDecodeError as exc:
            raise PayloadError(self.env._("The payload is not valid JSON: %s", exc)) from None

    # ------------------------------------------------------------------ ingest
    @api.model
    def _ingest(
        self,
        backend,
        envelope,
        payload_text,
        headers,
        correlation_id,
        source="webhook",
        trigger=True,
        backend_version=None,
    ):
        """Store one delivery unless its (backend, event id) is known. Returns (id, is_new).

        Plain SQL: one statement, no ORM read-back, so that the vendor gets its answer fast
        and 50 concurrent copies of one delivery still make one row. With `backend_version`
        (see `integration.backend._for_webhook_remembered`): raises BackendChanged, storing
        nothing, when the backend row is no longer that version."""
        now = fields.Datetime.now()
        ctid, xmin = backend_version or (None, None)
        # log_exceptions=False: when concurrent copies collide, Odoo would log the statement
        # with its parameters (the whole payload: customer data, card numbers) at ERROR level.
        self.env.cr.execute(
            INSERT_EVENT,
            (
                backend.id,
                backend.company_id.id,
                envelope.external_event_id,
                envelope.event_type,
                envelope.entity_key or "",
                envelope.summary or None,
                envelope.occurred_at,
                now,
                envelope.occurred_at or now,
                source,
                payload_text,
                json.dumps(headers, sort_keys=True),
                correlation_id,
                now,
                now,
                now,
                ctid,
                backend.id,
                ctid,
                xmin,
            ),
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        if row:
            if trigger:
                self._trigger_processing()
            return row[0], True
        if backend_version and not self._backend_is_version(backend, backend_version):
            raise BackendChanged()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM integration_event WHERE backend_id = %s AND external_event_id = %s",
                backend.id,
                envelope.external_event_id,
            )
        )
        return self.env.cr.fetchone()[0], False

    def _backend_is_version(self, backend, version):
        ctid, xmin = version
        self.env.cr.execute(BACKEND_IS_VERSION, (backend.id, ctid, xmin))
        return bool(self.env.cr.fetchone())

    @api.model
    def _ingest_unreadable(self, backend, delivery, error, headers, correlation_id, backend_version=None):
        """Store a signed delivery the connector could not read as one failed event, with the
        reason in words and the body as received (text a text column can hold): nothing is
        lost, a person sees it in Exceptions, and the vendor gets its acknowledgement instead
        of retrying the same body for days. Copies of one body make one event.
        Returns (id, is_new)."""
        raw = delivery.body or json.dumps(dict(delivery.form), sort_keys=True).encode()
        text = storable_text(raw)
        kind = self._kind_label(backend)
        summary = self.env._("Unreadable %(kind)s delivery (%(size)s bytes)", kind=kind, size=len(raw))
        envelope = Envelope(
            external_event_id=f"unreadable:{hashlib.sha256(raw).hexdigest()}",
            event_type=UNREADABLE,
            summary=summary[:255],
            payload=text,
        )
        event_id, is_new = self._ingest(
            backend, envelope, text, headers, correlation_id, trigger=False, backend_version=backend_version
        )
        if is_new:
            self.browse(event_id)._fail("payload", self._unreadable_message(kind, unreadable_reason(error)))
        return event_id, is_new

    def _kind_label(self, backend):
        return dict(backend._fields["kind"]._description_selection(self.env)).get(backend.kind, backend.kind)

    def _unreadable_message(self, kind, reason):
        return self.env._(
            "A delivery from %(kind)s (its sender checked) cannot be read: %(reason)s. Nothing was "
            "booked. The delivery is kept here as received (bytes that are not text shown as \\xNN). "
            "Correct the payload and resubmit it (Edit payload), or Ignore it once the change it "
            "carried has been made by hand or sent again.",
            kind=kind,
            reason=reason,
        )

    def _read_unreadable(self):
        """An unreadable delivery sent back to the queue (after its payload was corrected): the
        connector reads it again; when it can, its events are stored as new events."""
        headers = json.loads(self.headers or "{}")
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip()
        form = {}
        if content_type in FORM_TYPES:  # a form body was stored as its fields in JSON
            try:
                form = json.loads(self.payload or "{}")
            except ValueError:
                form = {}
            form = form if isinstance(form, dict) else {}
        delivery = Delivery(
            headers=Headers(headers),
            body=b"" if form else (self.payload or "").encode(),
            content_type=content_type,
            form=form,
        )
        try:
            envelopes = self.backend_id._webhook_parse(delivery)
            for envelope in envelopes:
                envelope.check_storable()
        except Exception as exc:  # noqa: BLE001 - whatever the connector cannot read, in words
            kind = self._kind_label(self.backend_id)
            raise PayloadError(self._unreadable_message(kind, unreadable_reason(exc))) from None
        stored = [
            self._ingest(self.backend_id, envelope, envelope.payload, headers, self.correlation_id, "replay")
            for envelope in envelopes
        ]
        self._note_result(self.env._("Read after the correction: stored as %s event(s).", len(stored)))

    # ------------------------------------------------------------------ processing
    @api.model
    def _cron_process_events(self):
        """Scheduled action "Process integration events"."""
        self._run_queue()

    def _process_group(self, settings):
        # Which of the group's backends have events on a deal at all: on the others an event
        # cannot join the deal of an earlier event of its entity, and the lookup
        # (integration.deal._for_event) is skipped. Safe for the whole group: no two rows of
        # a claimed batch are about the same entity.
        self.env.cr.execute(
            SQL(
                """SELECT b.id FROM unnest(%s::int[]) AS b(id)
                    WHERE EXISTS (SELECT 1 FROM integration_event e
                                   WHERE e.backend_id = b.id AND e.deal_id IS NOT NULL)""",
                list(set(self.backend_id.ids)),
            )
        )
        with_deals = frozenset(row[0] for row in self.env.cr.fetchall())
        return super(
            IntegrationEvent, self.with_context(integration_deal_backends=with_deals)
        )._process_group(settings)

    def _run_handler(self):
        if self.event_type == UNREADABLE:
            return self._read_unreadable()
        deal = self.env["integration.deal"]._for_event(self)
        if not deal:
            return self.backend_id._handle_event(self)
        if self.deal_id != deal:
            self.deal_id = deal
        # Documents the handler makes belong to the deal (integration.deal.mixin's default).
        event = self.with_context(integration_deal_id=deal.id)
        return event.backend_id._handle_event(event)

    def _call_audit_values(self):
        return {"deal_id": self.deal_id.id} if self.deal_id else {}  # its calls belong to its deal

    def _done_values(self, record):
        if not record:
            return {}
        self._post_on_document(record)
        return {"result_model": record._name, "result_res_id": record.id}

    def _record_failure(self, settings, exc, tb, unexpected=False):
        result = super()._record_failure(settings, exc, tb, unexpected=unexpected)
        fix = getattr(exc, "fix", None) if self.state in ("failed", "dead") else None
        if fix or self.fix_code:
            self.write({"fix_code": fix or False, "fix_facts": (exc.facts or False) if fix else False})
        return result

    def _after_outcome(self, result, error, duration_ms):
        self._join_deal(result)
        self.env["integration.audit"]._log_event(self, "processed", self._outcome_text(), duration_ms)

    def _join_deal(self, record):
        """The one place an event joins its deal (docs/connectors.md, "Deals"): through its
        document, its entity or the correlation id the vendor sent back; the connector's
        `_deal_opening` says whether an event that finds none starts one. The document
        then carries the deal, and so does what was queued about it."""
        deals = self.env["integration.deal"]
        record = record if isinstance(record, models.BaseModel) else None
        deal = self.deal_id or (record and deals._for_record(record.sudo())[:1])
        if not deal and (record or self.state != "done"):
            deal = deals._for_event(self)
            if not deal and self.backend_id._deal_opening(self):
                deal = deals._open(self)
        if not deal:
            return
        if self.deal_id != deal:
            self.deal_id = deal
            self.env.cr.execute(
                SQL(
                    "UPDATE integration_audit SET deal_id = %s WHERE event_id = %s AND deal_id IS NULL",
                    deal.id,
                    self.id,
                )
            )
        for document in record or ():
            deal._tag_document(document)

    def _outcome_text(self):
        label = dict(EVENT_STATES)[self.state]
        detail = self.error_message or self.result_note or ""
        return f"attempt {self.attempts}: {label}" + (f" - {detail}" if detail else "")

    def _note_result(self, note):
        self.result_note = note

    def _post_on_document(self, record):
        """Leave the correlation id in the document's chatter, so support can trace it.

        A log note, not a post: nobody is notified, which keeps it cheap on every event."""
        if hasattr(record, "_message_log") and len(record) == 1:
            record.sudo()._message_log(
                body=self.env._(
                    "Synchronised from %(backend)s: event %(event)s (correlation id %(corr)s).",
                    backend=self.backend_id.name,
                    event=self.display_name,
                    corr=self.correlation_id,
                ),
                message_type="notification",
            )

    # ------------------------------------------------------------------ manual actions
    def _check_manager(self):
        if not self.env.user.has_group("integration_core.group_integration_manager"):
            raise UserError(self.env._("Only Integration Managers can retry, ignore or edit events."))

    def action_retry(self):
        """Retry now: failed, dead or waiting events go back to the queue."""
        self._check_manager()
        todo = self.filtered(lambda e: e.state in ("failed", "dead", "retry", "pending"))
        return todo._requeue("retried by %s")

    def action_replay(self):
        """Replay: run events again, done ones included; effects stay exactly-once through
        the external IDs the handlers bind."""
        self._check_manager()
        todo = self.filtered(lambda e: e.state != "processing")
        return todo._requeue("replayed by %s")

    def _close_dead_alerts(self, why):
        for event in self.filtered(lambda e: e.state == "dead"):
            event.backend_id._close_alerts(event.backend_id._dead_summary(event), why)

    def _requeue(self, reason):
        self._close_dead_alerts(self.env._("Sent back to the queue by %s.", self.env.user.name))
        now = fields.Datetime.now()
        self.sudo().write(
            {
                "state": "pending",
                "next_attempt_at": now,
                "attempts": 0,
                "lease_expiries": 0,
                "lease_until": False,
                "ignore_reason": False,
            }
        )
        for event in self:
            self.env["integration.audit"]._log_event(event, "requeued", reason % self.env.user.name)
        self._trigger_processing()
        return True

    def _ignore(self, reason):
        self._check_manager()
        todo = self.filtered(lambda e: e.state not in ("done", "processing"))
        todo._close_dead_alerts(
            self.env._("Ignored by %(user)s: %(reason)s", user=self.env.user.name, reason=reason)
        )
        todo.sudo().write({"state": "ignored", "ignore_reason": reason, "lease_until": False})
        for event in todo:
            self.env["integration.audit"]._log_event(
                event, "ignored", f"ignored by {self.env.user.name}: {reason}"
            )
        return True

    def _edit_payload(self, new_payload):
        """Resubmit with a corrected payload; the original stays in `payload_original`."""
        self.ensure_one()
        self._check_manager()
        try:
            json.loads(new_payload)
        except json.JSONDecodeError as exc:
            raise UserError(self.env._("The corrected payload is not valid JSON: %s", exc)) from None
        self.sudo().write({"payload_original": self.payload_original or self.payload, "payload": new_payload})
        self.env["integration.audit"]._log_event(
            self, "payload_edited", f"payload edited by {self.env.user.name}"
        )
        return self._requeue("resubmitted by %s")

    def _choice(self, key):
        """What a person chose for `key` to fix this event (`_resubmit_with_choice`), or None."""
        return (self.choices or {}).get(key)

    def _resubmit_with_choice(self, key, value, description):
        """Run a failed event again with a person's choice (the invoice it pays, the customer
        to book it on, …), which its handler reads with `_choice(key)`. The payload stays as
        the vendor sent it; the choice and who made it are in the audit log. For the people
        who fix business data (Integration Users), not only for Integration Managers."""
        self.ensure_one()
        if not self.env.user.has_group("integration_core.group_integration_user"):
            raise UserError(self.env._("Only Integration Users can fix events."))
        if self.state not in ("failed", "dead"):
            raise UserError(self.env._("Only a failed event can be resubmitted with a choice."))
        self.sudo().write({"choices": {**(self.choices or {}), key: value}})
        self.env["integration.audit"]._log_event(
            self, "resolved", f"{description} (chosen by {self.env.user.name})"
        )
        return self.sudo()._requeue("resubmitted by %s with that choice")

    def action_open_ignore_wizard(self):
        return self._open_wizard("integration.event.ignore.wizard", self.env._("Ignore Events"))

    def action_open_edit_wizard(self):
        self.ensure_one()
        return self._open_wizard("integration.event.edit.wizard", self.env._("Edit payload and resubmit"))

    def _open_wizard(self, model, name):
        self._check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    # ------------------------------------------------------------------ helpers
    @api.model
    def _new_correlation_id(self, vendor_request_id=None):
        return (vendor_request_id or "").strip()[:64] or uuid.uuid4().hex

    # ------------------------------------------------------------------ retention
    @api.model
    def _cron_purge_payloads(self):
        """Clear the payload and headers of done events older than the retention period.

        The row, its outcome and its audit lines stay; failed and dead events are kept whole."""
        days = self._engine_settings()["retention_days"]
        limit = fields.Datetime.now() - timedelta(days=days)
        self.env.cr.execute(
            SQL(
                """
                UPDATE integration_event
                   SET payload = NULL, payload_original = NULL, headers = NULL
                 WHERE state IN ('done', 'ignored') AND COALESCE(done_at, write_date) < %s
                   AND payload IS NOT NULL
                """,
                limit,
            )
        )
        _logger.info("integration: cleared the payloads of %s old done events", self.env.cr.rowcount)
