"""Inbound events: stored before they are acknowledged, processed once, in order per entity.

Ingest is one INSERT ... ON CONFLICT DO NOTHING (a duplicate delivery changes nothing).
The cron claims batches with FOR UPDATE SKIP LOCKED and a lease, so any number of Odoo
workers can process side by side; each event runs in its own savepoint and its outcome is
committed before the next one starts."""

import json
import logging
import random
import time
import traceback
import uuid
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL, mute_logger
from psycopg2.errors import LockNotAvailable, SerializationFailure

from ..const import (
    CLAIMABLE_STATES,
    DEFAULTS,
    ERROR_CLASSES,
    EVENT_SOURCES,
    EVENT_STATES,
    EXCEPTION_STATES,
    SETTINGS_PREFIX,
    SETTLED_STATES,
)
from ..exceptions import MappingError, PayloadError, PermanentError, RetryableError
from ..lib.backoff import retry_delay
from ..tools.cron_waker import notify_cron_workers

_logger = logging.getLogger(__name__)
WORKER_CRON_CODE = "model._cron_process_events()"


class IntegrationEvent(models.Model):
    _name = "integration.event"
    _description = "Integration Event"
    _order = "id desc"

    backend_id = fields.Many2one(
        "integration.backend", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    kind = fields.Selection(related="backend_id.kind")
    external_event_id = fields.Char(string="Vendor Event ID", required=True, readonly=True)
    event_type = fields.Char(required=True, readonly=True, index=True)
    entity_key = fields.Char(default="", readonly=True, help="Events of one entity are processed in order.")
    occurred_at = fields.Datetime(readonly=True, help="When the vendor says the change happened.")
    received_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    order_at = fields.Datetime(
        required=True,
        readonly=True,
        default=fields.Datetime.now,
        help="Occurred time, or arrival when the vendor gives none: the processing order.",
    )
    source = fields.Selection(EVENT_SOURCES, default="webhook", required=True, readonly=True)
    payload = fields.Text(help="The delivery as received (or as last edited by a manager).")
    payload_original = fields.Text(
        readonly=True, help="The payload as first received, kept when a manager edits it."
    )
    payload_pretty = fields.Text(compute="_compute_payload_pretty", string="Payload (formatted)")
    headers = fields.Text(readonly=True, help="Request headers, secrets masked.")
    source_url = fields.Char(compute="_compute_source_url", string="Open in Vendor")
    correlation_id = fields.Char(readonly=True, index=True)
    state = fields.Selection(EVENT_STATES, default="pending", required=True, readonly=True)
    is_exception = fields.Boolean(compute="_compute_is_exception", store=True)
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    lease_until = fields.Datetime(readonly=True)
    error_class = fields.Selection(ERROR_CLASSES, readonly=True)
    error_message = fields.Text(string="Problem", readonly=True)
    error_traceback = fields.Text(readonly=True)
    ignore_reason = fields.Char(readonly=True)
    done_at = fields.Datetime(readonly=True)
    result_model = fields.Char(readonly=True)
    result_res_id = fields.Many2oneReference(model_field="result_model", readonly=True)
    result_ref = fields.Reference(
        selection="_selection_result_models", compute="_compute_result_ref", string="Document"
    )
    result_note = fields.Char(readonly=True)
    audit_ids = fields.One2many("integration.audit", "event_id", string="History")

    _external_event_unique = models.UniqueIndex("(backend_id, external_event_id)")
    _claim_idx = models.Index("(order_at, id) WHERE state IN ('pending', 'retry', 'processing')")
    _entity_idx = models.Index(
        "(backend_id, entity_key, order_at, id) WHERE state NOT IN ('done', 'ignored')"
    )

    @api.depends("state")
    def _compute_is_exception(self):
        for event in self:
            event.is_exception = event.state in EXCEPTION_STATES

    @api.depends("payload")
    def _compute_payload_pretty(self):
        for event in self:
            try:
                event.payload_pretty = json.dumps(json.loads(event.payload), indent=2, ensure_ascii=False)
            except (TypeError, ValueError):
                event.payload_pretty = event.payload

    @api.depends("backend_id.kind", "payload")
    def _compute_source_url(self):
        for event in self:
            event.source_url = event.backend_id._source_url(event) if event.backend_id else False

    @api.depends("event_type", "external_event_id")
    def _compute_display_name(self):
        for event in self:
            event.display_name = f"{event.event_type} {event.external_event_id}"

    @api.model
    def _selection_result_models(self):
        return [(m.model, m.name) for m in self.env["ir.model"].sudo().search([])]

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

    # ------------------------------------------------------------------ settings
    @api.model
    def _engine_settings(self):
        params = self.env["ir.config_parameter"].sudo()
        return {
            key: int(params.get_param(SETTINGS_PREFIX + key, default) or default)
            for key, default in DEFAULTS.items()
        }

    # ------------------------------------------------------------------ ingest
    @api.model
    def _ingest(self, backend, envelope, payload_text, headers, correlation_id, source="webhook"):
        """Store one delivery unless its (backend, event id) is known. Returns (id, is_new).

        Plain SQL: one statement, no ORM read-back, so that the vendor gets its answer fast
        and 50 concurrent copies of one delivery still make one row."""
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO integration_event (
                    backend_id, company_id, external_event_id, event_type, entity_key,
                    occurred_at, received_at, order_at, source, payload, headers, correlation_id,
                    state, is_exception, attempts, next_attempt_at,
                    create_uid, write_uid, create_date, write_date)
                VALUES (%(backend)s, %(company)s, %(ext)s, %(type)s, %(entity)s,
                        %(occurred)s, %(now)s, %(order)s, %(source)s, %(payload)s, %(headers)s,
                        %(corr)s, 'pending', false, 0, %(now)s,
                        %(uid)s, %(uid)s, %(now)s, %(now)s)
                ON CONFLICT (backend_id, external_event_id) DO NOTHING
                RETURNING id
                """,
                backend=backend.id,
                company=backend.company_id.id,
                ext=envelope.external_event_id,
                type=envelope.event_type,
                entity=envelope.entity_key or "",
                occurred=envelope.occurred_at,
                order=envelope.occurred_at or now,
                now=now,
                source=source,
                payload=payload_text,
                headers=json.dumps(headers, sort_keys=True),
                corr=correlation_id,
                uid=self.env.uid or 1,
            )
        )
        row = self.env.cr.fetchone()
        if row:
            self._trigger_processing()
            return row[0], True
        self.env.cr.execute(
            SQL(
                "SELECT id FROM integration_event WHERE backend_id = %s AND external_event_id = %s",
                backend.id,
                envelope.external_event_id,
            )
        )
        return self.env.cr.fetchone()[0], False

    @api.model
    def _trigger_processing(self, at=None):
        """Wake every processing worker (see `_set_parallel_workers`) once this transaction
        commits; at a later time when `at` is given.

        Same effect as `ir.cron._trigger()` (a trigger row per worker cron, then a NOTIFY),
        in one INSERT and through the process's waker connection: ingest stays fast."""
        now = fields.Datetime.now()
        at = at or now
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, write_uid, create_date, write_date)
                SELECT id, %(at)s, %(uid)s, %(uid)s, %(now)s, %(now)s FROM unnest(%(crons)s) AS id
                """,
                at=at,
                now=now,
                uid=self.env.uid or api.SUPERUSER_ID,
                crons=list(self._worker_cron_ids()),
            )
        )
        if at <= now:
            dbname = self.env.cr.dbname
            self.env.cr.postcommit.add(lambda: notify_cron_workers(dbname))

    @api.model
    @tools.ormcache()
    def _worker_cron_ids(self):
        return tuple(self._worker_crons().filtered("active").ids)

    @api.model
    def _worker_crons(self):
        return (
            self.env["ir.cron"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [("model_id.model", "=", self._name), ("code", "=", WORKER_CRON_CODE)],
                order="id",
            )
        )

    @api.model
    def _set_parallel_workers(self, count):
        """Keep `count` active copies of the processing cron.

        Odoo runs one cron job in one worker at a time; copies of the job let as many cron
        workers (or Odoo hosts) claim batches side by side. The claim query keeps them apart."""
        count = max(1, count)
        crons = self._worker_crons()
        primary = self.env.ref("integration_core.cron_process_events").sudo()
        for index in range(len(crons), count):
            crons |= primary.copy({"name": f"{primary.name} (worker {index + 1})", "active": True})
        for index, cron in enumerate(crons):
            cron.active = index < count
        self.env.registry.clear_cache()

    # ------------------------------------------------------------------ processing
    @api.model
    def _cron_process_events(self):
        """Scheduled action "Process integration events": claim a batch, process and commit
        each event, repeat until the queue is empty or Odoo's time budget for the run is
        spent. The batch in hand is always finished; then Odoo calls again (or reschedules
        the job at once) because we report work remaining."""
        settings = self._engine_settings()
        cron = self.env["ir.cron"]
        while True:
            batch = self._claim_batch_or_retry(settings)
            if not batch:
                cron._commit_progress(remaining=0)
                return
            cron._commit_progress(remaining=len(batch))  # the leases must be visible to others
            time_left = 1
            for event_id in batch.ids:
                # Each event on its own: the cache is cleared at every commit, and a record
                # prefetching its whole batch would reload all of it each time.
                self.browse(event_id)._process(settings)
                time_left = cron._commit_progress(1)
            if not time_left:
                # There may be more. Odoo reschedules a partially done job but only wakes
                # a sleeping cron worker within a minute: wake the workers now.
                self._trigger_processing()
                cron._commit_progress(remaining=1)
                return

    @api.model
    def _claim_batch_or_retry(self, settings, tries=5):
        """Claim, starting over when a concurrent worker's claim collides with ours.

        Odoo's transactions are REPEATABLE READ: locking a row that another worker changed
        after our snapshot raises a serialization failure instead of skipping it."""
        for attempt in range(tries):
            try:
                with mute_logger("odoo.sql_db"):
                    return self._claim_batch(settings["batch_size"], settings["lease_seconds"])
            except SerializationFailure:
                self.env.cr.rollback()
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
        return self.browse()

    @api.model
    def _claim_batch(self, limit, lease_seconds):
        """Lock and lease up to `limit` ready events, oldest first (the caller commits).

        An event is ready when it is due (or its lease expired: its worker died) and no older
        event of the same entity is still unsettled. Rows another worker holds are skipped.
        The first pass only looks at the oldest due events (a window read in index order),
        so a claim costs the same with ten thousand or a million events queued; when that
        window is mostly blocked by older unsettled events, a second pass looks further."""
        ids = self._claim_ids(limit, lease_seconds, window=max(4 * limit, 200))
        if len(ids) < limit:
            ids += self._claim_ids(limit - len(ids), lease_seconds)
        self.invalidate_model()
        return self.browse(ids).sorted(lambda e: (e.order_at, e.id))

    def _claim_ids(self, limit, lease_seconds, window=None):
        now = fields.Datetime.now()
        due = SQL(
            """e.state IN %(queued)s
               AND ((e.state IN %(claimable)s AND e.next_attempt_at <= %(now)s)
                    OR (e.state = 'processing' AND e.lease_until < %(now)s))""",
            queued=(*CLAIMABLE_STATES, "processing"),
            claimable=CLAIMABLE_STATES,
            now=now,
        )
        if window:
            scope = SQL(
                """(SELECT e.id FROM integration_event e WHERE %s ORDER BY e.order_at, e.id LIMIT %s)
                   AS candidates JOIN integration_event e ON e.id = candidates.id""",
                due,
                window,
            )
        else:
            scope = SQL("integration_event e WHERE %s", due)
        # The older-event check is a scalar subquery on purpose: evaluated per candidate
        # through the entity index, never turned into an anti-join over the whole queue.
        self.env.cr.execute(
            SQL(
                """
                WITH ready AS (
                    SELECT e.id
                      FROM %(scope)s
                     %(where)s (e.entity_key = '' OR (
                           SELECT 1
                             FROM integration_event older
                            WHERE older.backend_id = e.backend_id
                              AND older.entity_key = e.entity_key
                              AND older.state NOT IN %(settled)s
                              AND (older.order_at, older.id) < (e.order_at, e.id)
                            LIMIT 1) IS NULL)
                     ORDER BY e.order_at, e.id
                     LIMIT %(limit)s
                       FOR UPDATE OF e SKIP LOCKED
                )
                UPDATE integration_event ev
                   SET state = 'processing', lease_until = %(lease)s,
                       attempts = ev.attempts + 1, write_date = %(now)s
                  FROM ready
                 WHERE ev.id = ready.id
             RETURNING ev.id
                """,
                scope=scope,
                where=SQL("WHERE") if window else SQL("AND"),
                settled=SETTLED_STATES,
                now=now,
                lease=now + timedelta(seconds=lease_seconds),
                limit=limit,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _process(self, settings):
        """Run the handler of one claimed event inside a savepoint and record the outcome."""
        self.ensure_one()
        started = time.monotonic()
        try:
            with self.env.cr.savepoint():
                record = self.backend_id._handle_event(self)
        except RetryableError as exc:
            self._schedule_retry(settings, "retryable", exc.message, retry_after=exc.retry_after)
        except MappingError as exc:
            self._fail("mapping", exc.message)
        except PayloadError as exc:
            self._fail("payload", exc.message)
        except PermanentError as exc:
            self._fail("permanent", exc.message)
        except (LockNotAvailable, SerializationFailure):
            # Someone else is changing the same record right now: try again shortly.
            message = self.env._("The record was being changed by someone else at the same time.")
            self._schedule_retry(settings, "retryable", message)
        except Exception as exc:
            _logger.exception("integration event %s failed unexpectedly", self.id)
            message = self.env._("Unexpected error: %s", exc)
            if self.attempts < settings["unexpected_retries"]:
                self._schedule_retry(settings, "unexpected", message, tb=traceback.format_exc())
            else:
                self._fail("unexpected", message, tb=traceback.format_exc())
        else:
            self._mark_done(record)
        duration = int((time.monotonic() - started) * 1000)
        self.env["integration.audit"]._log_event(self, "processed", self._outcome_text(), duration)

    def _outcome_text(self):
        label = dict(EVENT_STATES)[self.state]
        detail = self.error_message or self.result_note or ""
        return f"attempt {self.attempts}: {label}" + (f" - {detail}" if detail else "")

    def _note_result(self, note):
        self.result_note = note

    def _mark_done(self, record):
        values = {
            "state": "done",
            "done_at": fields.Datetime.now(),
            "lease_until": False,
            "error_class": False,
            "error_message": False,
            "error_traceback": False,
        }
        if record:
            values.update(result_model=record._name, result_res_id=record.id)
            self._post_on_document(record)
        self.write(values)

    def _post_on_document(self, record):
        """Leave the correlation id in the document's chatter, so support can trace it."""
        if hasattr(record, "message_post") and len(record) == 1:
            record.sudo().message_post(
                body=self.env._(
                    "Synchronised from %(backend)s: event %(event)s (correlation id %(corr)s).",
                    backend=self.backend_id.name,
                    event=self.display_name,
                    corr=self.correlation_id,
                ),
                message_type="notification",
            )

    def _schedule_retry(self, settings, error_class, message, retry_after=None, tb=None):
        if self.attempts >= settings["max_attempts"]:
            self._fail(error_class, message, tb=tb, dead=True)
            return
        delay = retry_delay(self.attempts, settings["backoff_base"], settings["backoff_cap"], retry_after)
        due = fields.Datetime.now() + timedelta(seconds=delay)
        self.write(
            {
                "state": "retry",
                "next_attempt_at": due,
                "lease_until": False,
                "error_class": error_class,
                "error_message": message,
                "error_traceback": tb,
            }
        )
        self._trigger_processing(due)

    def _fail(self, error_class, message, tb=None, dead=False):
        if dead:
            message = self.env._(
                "Gave up after %(attempts)s attempt(s). Last error: %(error)s",
                attempts=self.attempts,
                error=message,
            )
        self.write(
            {
                "state": "dead" if dead else "failed",
                "lease_until": False,
                "error_class": error_class,
                "error_message": message,
                "error_traceback": tb,
            }
        )
        if dead:
            self.backend_id._notify_dead_event(self)

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

    def _requeue(self, reason):
        now = fields.Datetime.now()
        self.sudo().write(
            {
                "state": "pending",
                "next_attempt_at": now,
                "attempts": 0,
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

    def action_open_ignore_wizard(self):
        return self._open_wizard("integration.event.ignore.wizard", self.env._("Ignore Events"))

    def action_open_edit_wizard(self):
        self.ensure_one()
        return self._open_wizard("integration.event.edit.wizard", self.env._("Edit and Resubmit"))

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
