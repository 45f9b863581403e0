"""Restart the cron threads Odoo's threaded server loses when PostgreSQL restarts.

Odoo's `ThreadedServer.cron_thread` connects to the `postgres` database at the top of its
loop; when that connection fails (the database is restarting) the exception ends the thread
and nothing starts it again: events wait until a person restarts Odoo. This watchdog, a
daemon thread started when the server loads the addon, starts a new thread in place of each
one that died. Prefork servers (`--workers`) are left to Odoo's own master and to
the supervisor (README, Deployment), as are servers without cron threads."""

import logging
import threading
import time

from odoo.service import server as odoo_server
from odoo.tools import config

from . import cron_waker

_logger = logging.getLogger(__name__)
_started = threading.Event()
CHECK_SECONDS = 2  # cheap: a look at the thread list
MAX_RESTART_DELAY = 30
SPAWN_GRACE = 20  # seconds after the server started by which Odoo has started its cron threads


def ensure_started():
    """Start the watchdog once per process (from the addon's post_load, as a server-wide
    module, and from the first queue run or delivery otherwise); not in the test runner or a
    --stop-after-init process, which run no cron threads."""
    if _started.is_set() or config["stop_after_init"] or config["test_enable"]:
        return
    if not config["max_cron_threads"]:
        return
    _started.set()
    threading.Thread(target=_watch, name="integration.cron_watchdog", daemon=True).start()


def _watch():
    names = {f"odoo.service.cron.cron{number}" for number in range(config["max_cron_threads"])}
    seen = set()  # cron threads that ran in this process
    server_since = None
    delay, not_before = CHECK_SECONDS, 0.0  # while the database stays down, restart less often
    while True:
        time.sleep(CHECK_SECONDS)
        try:
            if not isinstance(odoo_server.server, odoo_server.ThreadedServer):
                continue  # not started yet, or prefork (its master respawns cron workers)
            server_since = server_since or time.monotonic()
            alive = names & {thread.name for thread in threading.enumerate() if thread.is_alive()}
            seen |= alive
            serving = seen or getattr(odoo_server.server, "httpd", None)  # not `odoo shell`
            if serving and time.monotonic() - server_since > SPAWN_GRACE:
                # By now Odoo has spawned every cron thread: one never seen died before we looked.
                seen = names
            if alive == seen:
                delay = CHECK_SECONDS
                continue
            if time.monotonic() < not_before:
                continue
            not_before, delay = time.monotonic() + delay, min(delay * 2, MAX_RESTART_DELAY)
            if restart_dead_cron_threads(seen - alive):
                # A new thread first sleeps up to a minute unless notified: notify it.
                time.sleep(2)
                for dbname in odoo_server.cron_database_list():
                    cron_waker.notify_cron_workers(dbname)
        except Exception:  # noqa: BLE001 - the watchdog itself must never die
            _logger.warning("integration cron watchdog failed", exc_info=True)


def restart_dead_cron_threads(dead, server=None):
    """Start a cron thread in place of each named one; returns their numbers."""
    server = server or odoo_server.server
    restarted = []
    for name in sorted(dead):
        number = int(name.rsplit("cron", 1)[1])
        thread = threading.Thread(target=server.cron_thread, args=(number,), name=name, daemon=True)
        thread.type = "cron"
        thread.start()
        restarted.append(number)
        _logger.warning("integration: cron thread %s had stopped (database restart?); started again", number)
    return restarted
