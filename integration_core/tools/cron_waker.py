"""Wake Odoo's cron workers after a commit, cheaply.

Odoo's `ir.cron._trigger()` wakes the workers with a NOTIFY sent through a brand-new
connection to the `postgres` database (Odoo never pools those), about 3 ms per call: more
than storing a webhook delivery. The workers LISTEN there, so the NOTIFY has to go there.
This keeps one autocommit connection per process and database for it (`_execute`).

A wake-up asked for now also makes the crons' trigger rows, after the commit that asked for
it, one per short window (see `notify_cron_workers_soon`): they are not written by every
webhook delivery's transaction."""

import heapq
import logging
import threading
import time

import psycopg2
from odoo import sql_db
from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION

_logger = logging.getLogger(__name__)
_lock = threading.Lock()
# Odoo's cron workers look at future triggers only when they wake up (at least every 60 s):
# a retry due in 5 s would wait up to a minute. Per database: every wake-up time asked for
# (a heap) and one timer for the earliest; when it fires, the next one is armed.
_due = {}
_timers = {}
MAX_DELAY = 55  # later than this, Odoo's own wake-up comes first anyway
LATE = 0.2  # seconds after the due time: the row is surely due when the workers look


def notify_cron_workers_at(dbname, when):
    """NOTIFY at `when` (time.time() seconds) from this process, best effort: the trigger row
    is already stored, so a process that exits first only costs the usual delay."""
    delay = when - time.time()
    if delay <= 0:
        notify_cron_workers(dbname)
        return
    if delay > MAX_DELAY:
        return
    with _lock:
        heapq.heappush(_due.setdefault(dbname, []), when)
        _arm(dbname)


def _arm(dbname):
    """Keep one timer per database, set for the earliest wake-up asked for (under _lock)."""
    pending = _due.get(dbname)
    if not pending:
        return
    earliest = pending[0]
    current = _timers.get(dbname)
    if current and current.is_alive() and current.when <= earliest:
        return
    if current:
        current.cancel()
    timer = threading.Timer(max(0.0, earliest - time.time()) + LATE, _fire, args=(dbname,))
    timer.daemon = True
    timer.when = earliest
    _timers[dbname] = timer
    timer.start()


def _fire(dbname):
    with _lock:
        _timers.pop(dbname, None)
        pending = _due.get(dbname, [])
        now = time.time()
        while pending and pending[0] <= now:
            heapq.heappop(pending)
        _arm(dbname)  # the later wake-ups still wait their turn
    try:
        notify_cron_workers(dbname)
    except Exception:  # noqa: BLE001 - the 60 s wake-up still picks the trigger up
        _logger.info("delayed cron wake-up for %s failed", dbname, exc_info=True)


# Wake-ups asked for "now", made by one thread: every request asked before it runs shares its
# trigger rows and its NOTIFY, which come after each of them was asked, so after their commits.
# Under a burst of deliveries that is one wake-up per short window instead of one per delivery,
# and no delivery waits for it before answering its vendor.
_soon = {}  # database -> ids of the crons to wake there
_soon_asked = threading.Condition()
_sender = None
WINDOW = 0.05  # seconds between two wake-ups: every commit of a window shares one
TRIGGER_SQL = """
    INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, write_uid, create_date, write_date)
    SELECT id, now() AT TIME ZONE 'UTC', 1, 1, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
      FROM unnest(%s) AS id
"""


def notify_cron_workers_soon(dbname, cron_ids=()):
    """Wake these crons of `dbname` from the sender thread as soon as it can: a due trigger row
    for each (what makes Odoo run a cron before its next call), then a NOTIFY. Called after a
    commit, so the rows are made after it: a worker that deletes them (Odoo does at the start
    of a run) starts its run after the commit and finds what it stored. A process killed
    between the commit and the wake-up leaves its rows to the cron's next regular call."""
    global _sender
    with _soon_asked:
        _soon.setdefault(dbname, set()).update(cron_ids)
        if _sender is None or not _sender.is_alive():
            _sender = threading.Thread(target=_send_soon, name="integration.cron_waker", daemon=True)
            _sender.start()
        _soon_asked.notify()


def _send_soon():
    while True:
        with _soon_asked:
            while not _soon:
                _soon_asked.wait()
            asked = sorted(_soon.items())
            _soon.clear()
        for dbname, cron_ids in asked:
            try:
                if cron_ids:
                    insert_due_triggers(dbname, sorted(cron_ids))
                notify_cron_workers(dbname)
            except Exception:  # noqa: BLE001 - the sender must not die; the cron's next call still runs
                _logger.warning("cron wake-up for %s failed", dbname, exc_info=True)
        time.sleep(WINDOW)


def insert_due_triggers(dbname, cron_ids):
    """One due `ir.cron.trigger` row per cron, committed at once."""
    _execute(dbname, TRIGGER_SQL, [cron_ids])


def notify_cron_workers(dbname):
    _execute("postgres", f"SELECT {ODOO_NOTIFY_FUNCTION}('cron_trigger', %s)", [dbname])


_connections = {}  # database -> this process's own autocommit connection to it


def _execute(dbname, query, params):
    """One statement on this process's own autocommit connection to `dbname`: not one of
    Odoo's pool, whose lock, and the reset of every connection it lends, every request shares
    (and Odoo opens a new connection for each NOTIFY). A connection the database closed is
    replaced once."""
    with _lock:
        for attempt in (1, 2):
            connection = _connections.get(dbname)
            try:
                if connection is None or connection.closed:
                    _name, dsn = sql_db.connection_info_for(dbname)
                    connection = _connections[dbname] = psycopg2.connect(**dsn)
                    connection.autocommit = True
                    with connection.cursor() as cr:
                        cr.execute("SET lock_timeout = '5s'")  # never a waker stuck behind a lock
                with connection.cursor() as cr:
                    cr.execute(query, params)
                return
            except psycopg2.OperationalError as exc:
                _connections.pop(dbname, None)
                if attempt == 2:
                    raise
                _logger.info("cron waker connection to %s lost (%s); using a fresh one", dbname, exc)
