"""Restart the cron threads Odoo's threaded server loses when PostgreSQL restarts.

Odoo's `ThreadedServer.cron_thread` connects to the `postgres` database at the top of its
loop; when that connection fails (the database is restarting) the exception ends the thread
and nothing starts it again: events wait until a person restarts Odoo. This watchdog, a
daemon thread started by the first queue run of the process, starts a new thread in place
of each one that died. Prefork servers (`--workers`) are left to Odoo's own master and to
the supervisor (README, Deployment), as are servers without cron threads."""

import logging
import threading
import time

from odoo.service import server as odoo_server
from odoo.tools import config

from . import cron_waker

_logger = logging.getLogger(__name__)
_started = threading.Event()
CHECK_SECONDS = 15


def ensure_started():
    """Start the watchdog once per process, in a threaded server with cron threads."""
    if _started.is_set() or not isinstance(odoo_server.server, odoo_server.ThreadedServer):
        return
    if not config["max_cron_threads"]:
        return
    _started.set()
    threading.Thread(target=_watch, name="integration.cron_watchdog", daemon=True).start()


def _watch():
    while True:
        time.sleep(CHECK_SECONDS)
        try:
            if restart_dead_cron_threads():
                # A new thread first sleeps up to a minute unless notified: notify it.
                time.sleep(2)
                for dbname in odoo_server.cron_database_list():
                    cron_waker.notify_cron_workers(dbname)
        except Exception:  # noqa: BLE001 - the watchdog itself must never die
            _logger.warning("integration cron watchdog failed", exc_info=True)


def restart_dead_cron_threads(server=None):
    """Start a cron thread for each number whose thread is gone; returns the numbers."""
    server = server or odoo_server.server
    alive = {thread.name for thread in threading.enumerate() if thread.is_alive()}
    restarted = []
    for number in range(config["max_cron_threads"]):
        name = f"odoo.service.cron.cron{number}"
        if name in alive:
            continue
        thread = threading.Thread(target=server.cron_thread, args=(number,), name=name, daemon=True)
        thread.type = "cron"
        thread.start()
        restarted.append(number)
        _logger.warning("integration: cron thread %s had stopped (database restart?); started again", number)
    return restarted
