"""Wake Odoo's cron workers after a commit, cheaply.

Odoo's `ir.cron._trigger()` wakes the workers with a NOTIFY sent through a brand-new
connection to the `postgres` database (Odoo never pools those), about 3 ms per call: more
than storing a webhook delivery. The workers LISTEN there, so the NOTIFY has to go there.
This keeps one autocommit connection per process for it and falls back to Odoo's way
when that connection fails."""

import logging
import threading

import psycopg2
from odoo import sql_db
from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION

_logger = logging.getLogger(__name__)
_lock = threading.Lock()
_connection = None


def notify_cron_workers(dbname):
    global _connection
    with _lock:
        try:
            if _connection is None or _connection.closed:
                _name, params = sql_db.connection_info_for("postgres")
                _connection = psycopg2.connect(**params)
                _connection.autocommit = True
            with _connection.cursor() as cr:
                cr.execute(f"SELECT {ODOO_NOTIFY_FUNCTION}('cron_trigger', %s)", [dbname])
            return
        except psycopg2.Error as exc:
            _logger.info("cron waker connection lost (%s); using a fresh connection", exc)
            _connection = None
    with sql_db.db_connect("postgres").cursor() as cr:
        cr.execute(f"SELECT {ODOO_NOTIFY_FUNCTION}('cron_trigger', %s)", [dbname])
