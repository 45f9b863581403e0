"""A real Odoo server on a free port, against a fresh database, driven over HTTP only."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "setup"))
from integration_helpers import odoo_serving  # noqa: E402
from odoo_client import OdooClient  # noqa: E402


@pytest.fixture(scope="session")
def odoo_server():
    with odoo_serving("e2e", "integration_suite") as (server, db):
        yield server.url, db


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
