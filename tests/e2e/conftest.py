"""A real Odoo server on a free port, against a fresh database, driven over HTTP only."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "setup"))
import dbtools  # noqa: E402
from odoo_client import OdooClient  # noqa: E402


@pytest.fixture(scope="session")
def odoo_server():
    dbtools.load_env()
    db = f"integration_e2e_{os.getpid()}"
    log = dbtools.LOCAL / "log" / "e2e-odoo.log"
    dbtools.fresh_db(db)
    install = subprocess.run(
        dbtools.ODOO + ["-d", db, "-i", "integration_suite", "--stop-after-init", "--logfile", str(log)]
    )
    if install.returncode != 0:
        pytest.fail(f"installing integration_suite failed, see {log}")
    try:
        server = dbtools.OdooServer(db, log, "--max-cron-threads", "1")
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield server.url, db
    finally:
        server.stop()
        dbtools.drop_db(db)


@pytest.fixture(scope="session")
def admin(odoo_server):
    base_url, db = odoo_server
    return OdooClient(base_url, db).login("admin", "admin")


@pytest.fixture(scope="session")
def base_url(odoo_server):
    return odoo_server[0]


@pytest.fixture(scope="session")
def make_backend(admin):
    """A generic signed-webhook backend, created over JSON-RPC as an administrator would."""

    def make(name, secret):
        values = {"name": name, "kind": "generic_hmac", "state": "active", "webhook_secret": secret}
        backend_id = admin.call("integration.backend", "create", values)
        [record] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
        url = f"/integration/webhook/{record['webhook_uuid']}"
        return {"id": backend_id, "uuid": record["webhook_uuid"], "url": url}

    return make
