"""What the inbound event queue and the outbound queue share: states, claiming with
FOR UPDATE SKIP LOCKED and a lease, per-entity ordering, the failure contract (savepoint,
one classification of every outcome, backoff, dead-letter), and the cron workers.

Each queue supplies only its handler (`_run_handler`) and what "done" writes
(`_done_values`), plus optional hooks around them (`_postponed`, `_after_outcome`)."""

import logging
import math
import random
import time
import traceback
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.tools import SQL, mute_logger
from psycopg2.errors import LockNotAvailable, SerializationFailure

from ..const import (
    CLAIMABLE_STATES,
    DEFAULTS,
    ERROR_CLASSES,
    EVENT_STATES,
    EXCEPTION_STATES,
    SETTINGS_PREFIX,
    SETTLED_STATES,
)
from ..exceptions import (
    IntegrationError,
    MappingError,
    PayloadError,
    RetryableError,
    VendorUnavailable,
    WaitingFor,
)
from ..lib.backoff import retry_delay
from ..lib.http_client import TransientHttpError, VendorHttpError
from ..tools import cron_watchdog
from ..tools.cron_waker import notify_cron_workers_at, notify_cron_workers_soon

_logger = logging.getLogger(__name__)
MAX_LEASE_EXPIRIES = 2  # a row whose worker died twice while running it goes dead
# Calls that change nothing at the vendor: a crash that makes a group run again repeats them
# harmlessly, so they do not end a commit group (a Salesforce event reads its opportunity).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A group whose rows read from vendors is committed after this long at the latest: the
# records its rows changed stay locked until its commit.
GROUP_SECONDS = 2.0


class IntegrationQueueMixin(models.AbstractModel):
    _name = "integration.queue.mixin"
    _description = "Integration Queue"

    # The scheduled action that runs the queue, and its code (copies are extra workers).
    _queue_primary_cron = None
    _queue_cron_code = None

    backend_id = fields.Many2one(
        "integration.backend", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True, precompute=True)
    entity_key = fields.Char(
        string="Document Key",
        default="",
        readonly=True,
        help="The vendor's id of the document the row is about (its entity key): rows of one "
        "document are processed in order.",
    )
    order_at = fields.Datetime(
        required=True,
        readonly=True,
        default=fields.Datetime.now,
        help="When the change happened (or arrival when unknown): the processing order.",
    )
    correlation_id = fields.Char(readonly=True, index=True)
    state = fields.Selection(EVENT_STATES, default="pending", required=True, readonly=True)
    is_exception = fields.Boolean(compute="_compute_is_exception", store=True, precompute=True)
    attempts = fields.Integer(readonly=True, default=0, aggregator=False)  # no sum in group rows
    lease_expiries = fields.Integer(
        readonly=True,
        default=0,
        help="Times the row's worker stopped before it finished (its lease ran out).",
    )
    next_attempt_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    lease_until = fields.Datetime(readonly=True)
    waiting_for = fields.Char(
        readonly=True, help="The entity whose record this row waits for (e.g. the order of a refund)."
    )
    error_class = fields.Selection(
        ERROR_CLASSES, string="Kind of Problem", readonly=True, help="How the engine classified the failure."
    )
    error_message = fields.Text(string="Problem", readonly=True)
    error_traceback = fields.Text(readonly=True)
    done_at = fields.Datetime(readonly=True)

    # What the claim query walks: queued rows in order, and unsettled rows per entity.
    _claim_idx = models.Index("(order_at, id) WHERE state IN ('pending', 'retry', 'processing')")
    _waiting_idx = models.Index("(backend_id, waiting_for) WHERE waiting_for IS NOT NULL")
    _entity_idx = models.Index(
        "(backend_id, entity_key, order_at, id) WHERE state NOT IN ('done', 'ignored')"
    )

    @api.model
    def _selection_models(self):
        """Models a queue row can point to (its document)."""
        return [(m.model, m.name) for m in self.env["ir.model"].sudo().search([])]

    @api.depends("state")
    def _compute_is_exception(self):
        for row in self:
            row.is_exception = row.state in EXCEPTION_STATES

    # ------------------------------------------------------------------ settings
    @api.model
    def _engine_settings(self):
        params = self.env["ir.config_parameter"].sudo()
        return {
            key: int(params.get_param(SETTINGS_PREFIX + key, default) or default)
            for key, default in DEFAULTS.items()
        }

    @api.model
    def _trigger_processing(self, at=None):
        """Wake every worker of this queue (see `_set_parallel_workers`) once this transaction
        commits; at a later time when `at` is given.

        Same effect as `ir.cron._trigger()` (a trigger row per worker cron, then a NOTIFY).
        Now: the process's waker thread makes the rows and the NOTIFY after the commit, one
        wake-up for every commit of its short window (ingest stays fast). Later: the rows are
        made in this transaction, and the waker sends the NOTIFY when they are due."""
        now = fields.Datetime.now()
        dbname = self.env.cr.dbname
        crons = self._worker_cron_ids()
        if not at or at <= now:
            self.env.cr.postcommit.add(lambda: notify_cron_workers_soon(dbname, crons))
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, write_uid, create_date, write_date)
                SELECT id, %(at)s, %(uid)s, %(uid)s, %(now)s, %(now)s FROM unnest(%(crons)s) AS id
                """,
                at=at,
                now=now,
                uid=self.env.uid or api.SUPERUSER_ID,
                crons=list(crons),
            )
        )
        when = time.time() + (at - now).total_seconds()
        self.env.cr.postcommit.add(lambda: notify_cron_workers_at(dbname, when))

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
                [("model_id.model", "=", self._name), ("code", "=", self._queue_cron_code)],
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
        primary = self.env.ref(self._queue_primary_cron).sudo()
        for index in range(len(crons), count):
            crons |= primary.copy({"name": f"{primary.name} (worker {index + 1})", "active": True})
        for index, cron in enumerate(crons):
            cron.active = index < count
        self.env.registry.clear_cache()

    # ------------------------------------------------------------------ running
    @api.model
    def _run_queue(self):
        """Body of the queue's scheduled action: claim a batch, process it in commit groups
        (`_process_group`), repeat until the queue is empty or Odoo's time budget for the run
        is spent. The batch in hand is always finished; then Odoo calls again (or reschedules
        the job at once) because we report work remaining."""
        cron_watchdog.ensure_started()
        settings = self._engine_settings()
        cron = self.env["ir.cron"]
        while True:
            batch = self._claim_batch_or_retry(settings)
            if not batch:
                cron._commit_progress(remaining=0)
                return
            cron._commit_progress(remaining=len(batch))  # the leases must be visible to others
            time_left = 1
            row_ids = batch.ids
            while row_ids:
                # A group on its own: the cache is cleared at every commit, and records
                # prefetching the whole batch would reload all of it each time.
                settled = self.browse(row_ids[: settings["commit_group"]])._process_group(settings)
                row_ids = row_ids[settled:]
                time_left = cron._commit_progress(settled)
            if not time_left:
                # There may be more. Odoo reschedules a partially done job but only wakes
                # a sleeping cron worker within a minute: wake the workers now.
                self._trigger_processing()
                cron._commit_progress(remaining=1)
                return

    def _process_group(self, settings):
        """Process these claimed rows in one transaction, each in its own savepoint, and
        return how many of them are settled (the caller commits them together).

        One commit per group instead of per row is most of the engine's throughput. It keeps
        every guarantee because a crash before the commit only means the whole group is
        claimed again when its leases run out, which is safe as long as nothing outside the
        database changed in it: the group ends right after a row that sent a vendor anything
        but a read (a read repeated after a crash is harmless), and after GROUP_SECONDS."""
        audit_lines = []  # written once, with the group's outcomes
        rows = self.with_context(integration_audit_lines=audit_lines)
        count = 0
        deadline = time.monotonic() + GROUP_SECONDS
        for count, row in enumerate(rows, 1):
            try:
                changed_outside = row._process(settings)
            except Exception as exc:
                # Recording this row's outcome failed and took the transaction with it: redo
                # the rows before it one per transaction, then record this one's failure.
                tb = traceback.format_exc()
                _logger.exception("integration: %s %s could not record its outcome", self._name, row.id)
                self.env.cr.rollback()  # raises too when the database is gone: the leases cover that
                self.invalidate_model()
                for earlier in self[: count - 1]:
                    earlier._process_group(settings)
                    self.env["ir.cron"]._commit_progress()  # commits; the caller counts the rows
                self.browse(row.id)._record_failure(settings, exc, tb, unexpected=True)
                return count
            if changed_outside or time.monotonic() > deadline:
                break
        settled = rows[:count]
        settled.filtered(lambda r: r.state == "done")._wake_waiting()
        self.env["integration.audit"]._write_lines(audit_lines)
        return count

    # ------------------------------------------------------------------ one row
    def _run_handler(self):
        """Do the row's work (hook of each queue); return what `_done_values` records."""
        raise NotImplementedError

    def _done_values(self, result):
        """What a done row writes besides its state (hook of each queue)."""
        return {}

    def _postponed(self):
        """True when the row was rescheduled before its handler ran (hook: the outbound
        queue waits for the rate limit or an open circuit without spending an attempt)."""
        return False

    def _after_outcome(self, result, error, duration_ms):
        """Called once the outcome is written, in the same transaction (hook)."""

    def _call_audit_values(self):
        """What the audit lines of the row's outside calls carry besides the call (hook)."""
        return {}

    def _process(self, settings):
        """Run the handler of one claimed row inside a savepoint and record the outcome (the
        rows waiting for it are woken by `_process_group`). True when it sent the vendor
        anything but a read (see READ_METHODS)."""
        self.ensure_one()
        if self.lease_expiries >= MAX_LEASE_EXPIRIES:
            # Claimed again after its lease ran out, again: its worker died while running it.
            # Stop here rather than take down another worker.
            self._fail(
                "unexpected",
                self.env._("The worker processing it stopped before it finished, twice."),
                dead=True,
            )
            return False
        if self._postponed():
            return False
        started = time.monotonic()
        calls = []  # the audit lines of outside calls, kept even when the savepoint rolls back
        result, error = None, None
        try:
            with self.env.cr.savepoint():
                result = self.with_context(integration_call_log=calls)._run_handler()
        except Exception as exc:  # noqa: BLE001 - every outcome is classified in one place
            error = exc
            self._record_failure(settings, exc, traceback.format_exc())
        else:
            self.write(
                {
                    "state": "done",
                    "done_at": fields.Datetime.now(),
                    "lease_until": False,
                    "error_class": False,
                    "error_message": False,
                    "error_traceback": False,
                    "waiting_for": False,
                    **self._done_values(result),
                }
            )
        self.env["integration.audit"]._log_calls(calls, **self._call_audit_values())
        self._after_outcome(result, error, int((time.monotonic() - started) * 1000))
        return any(call["method"] not in READ_METHODS for call in calls)

    def _record_failure(self, settings, exc, tb, unexpected=False):
        """The one classification of a failed attempt, for both queues (docs/connectors.md)."""
        if isinstance(exc, WaitingFor):
            self._wait_for(settings, exc)
        elif isinstance(exc, VendorUnavailable | TransientHttpError):
            message = exc.message if isinstance(exc, VendorUnavailable) else self.env._(
                "%(backend)s did not answer: %(error)s", backend=self.backend_id.name, error=exc
            )  # fmt: skip
            # An outage is waited out up to the horizon, however many attempts it takes.
            horizon = self.create_date + timedelta(hours=self.backend_id._retry_horizon_hours())
            self._schedule_retry(settings, "retryable", message, retry_after=exc.retry_after, until=horizon)
        elif isinstance(exc, RetryableError):
            self._schedule_retry(settings, "retryable", exc.message, retry_after=exc.retry_after)
        elif isinstance(exc, VendorHttpError):
            message = self.env._(
                "%(backend)s refused the request (HTTP %(status)s): %(body)s",
                backend=self.backend_id.name,
                status=exc.status,
                body=exc.body,
            )
            self._fail("permanent", message)
        elif isinstance(exc, MappingError):
            self._fail("mapping", exc.message)
        elif isinstance(exc, PayloadError):
            self._fail("payload", exc.message)
        elif isinstance(exc, IntegrationError):
            self._fail("permanent", exc.message)
        elif isinstance(exc, LockNotAvailable | SerializationFailure):
            message = self.env._("The record was being changed by someone else at the same time.")
            self._schedule_retry(settings, "retryable", message)
        else:
            message = self.env._("Unexpected error: %s", exc)
            if unexpected or self.attempts >= settings["unexpected_retries"]:
                self._fail("unexpected", message, tb=tb, dead=self.attempts >= settings["max_attempts"])
            else:
                self._schedule_retry(settings, "unexpected", message, tb=tb)

    # ------------------------------------------------------------------ claiming
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
        """Lock and lease up to `limit` ready rows, oldest first (the caller commits).

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
        table = SQL.identifier(self._table)
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
                """(SELECT e.id FROM %s e WHERE %s ORDER BY e.order_at, e.id LIMIT %s)
                   AS candidates JOIN %s e ON e.id = candidates.id""",
                table,
                due,
                window,
                table,
            )
        else:
            scope = SQL("%s e WHERE %s", table, due)
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
                             FROM %(table)s older
                            WHERE older.backend_id = e.backend_id
                              AND older.entity_key = e.entity_key
                              AND older.state NOT IN %(settled)s
                              AND (older.order_at, older.id) < (e.order_at, e.id)
                            LIMIT 1) IS NULL)
                     ORDER BY e.order_at, e.id
                     LIMIT %(limit)s
                       FOR UPDATE OF e SKIP LOCKED
                )
                UPDATE %(table)s ev
                   SET state = 'processing', lease_until = %(lease)s,
                       attempts = COALESCE(ev.attempts, 0) + 1, write_date = %(now)s,
                       lease_expiries = COALESCE(ev.lease_expiries, 0) + (ev.state = 'processing')::int
                  FROM ready
                 WHERE ev.id = ready.id
             RETURNING ev.id
                """,
                table=table,
                scope=scope,
                where=SQL("WHERE") if window else SQL("AND"),
                settled=SETTLED_STATES,
                now=now,
                lease=now + timedelta(seconds=lease_seconds),
                limit=limit,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    # ------------------------------------------------------------------ outcomes
    def _schedule_retry(self, settings, error_class, message, retry_after=None, tb=None, until=None):
        """Retry with backoff; dead at `max_attempts`, or, when `until` is given, once that
        time has passed (whatever the attempts)."""
        now = fields.Datetime.now()
        if (now >= until) if until else self.attempts >= settings["max_attempts"]:
            self._fail(error_class, message, tb=tb, dead=True)
            return
        delay = retry_delay(self.attempts, settings["backoff_base"], settings["backoff_cap"], retry_after)
        # Whole seconds, rounded up: the claim compares with Odoo's now(), which has none, so a
        # wake-up at the exact due time must find the row due.
        due = now + timedelta(seconds=math.ceil(delay))
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

    def _wait_for(self, settings, exc):
        """Wait for what the handler needs (see WaitingFor) without spending an attempt:
        checked again on a slowly growing interval, and at once when an event of that entity
        is done; dead once the retry horizon has passed."""
        now = fields.Datetime.now()
        horizon = self.create_date + timedelta(hours=self.backend_id._retry_horizon_hours())
        if now >= horizon:
            self._fail("waiting", exc.message, dead=True)
            return
        waited = (now - self.create_date).total_seconds()
        delay = min(settings["backoff_cap"], max(settings["backoff_base"], waited / 2))
        due = now + timedelta(seconds=math.ceil(delay))
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET attempts = GREATEST(attempts - 1, 0) WHERE id = %s",
                SQL.identifier(self._table),
                self.id,
            )
        )
        self.invalidate_recordset(["attempts"])
        self.write(
            {
                "state": "retry",
                "next_attempt_at": due,
                "lease_until": False,
                "waiting_for": exc.entity_key,
                "error_class": "waiting",
                "error_message": exc.message,
                "error_traceback": False,
            }
        )
        self._trigger_processing(due)

    def _wake_waiting(self):
        """Rows waiting for the entities of these rows (same backend) are due now."""
        entities = {(row.backend_id.id, row.entity_key) for row in self if row.entity_key}
        if not entities:
            return
        backend_ids, entity_keys = zip(*entities, strict=True)
        self.env.cr.execute(
            SQL(
                """UPDATE %s AS waiting SET next_attempt_at = %s
                     FROM unnest(%s::int[], %s::varchar[]) AS done(backend_id, entity_key)
                    WHERE waiting.waiting_for = done.entity_key AND waiting.backend_id = done.backend_id
                      AND waiting.state = 'retry'
                RETURNING waiting.id""",
                SQL.identifier(self._table),
                fields.Datetime.now(),
                list(backend_ids),
                list(entity_keys),
            )
        )
        if self.env.cr.fetchall():
            self.invalidate_model(["next_attempt_at"])
            self._trigger_processing()

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
