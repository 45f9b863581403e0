"""A real Odoo server on a free port, against a fresh database, driven over HTTP only."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

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
    port = dbtools.free_port()
    server = subprocess.Popen(
        dbtools.ODOO
        + ["-d", db, "--db-filter", f"^{db}$", "--http-port", str(port),
           "--gevent-port", str(dbtools.free_port()), "--max-cron-threads", "1", "--logfile", str(log)]
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{base_url}/web/login", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Odoo did not start, see {log}")
            time.sleep(0.3)
        yield base_url, db
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        dbtools.drop_db(db)


@pytest.fixture(scope="session")
def admin(odoo_server):
    base_url, db = odoo_server
    return OdooClient(base_url, db).login("admin", "admin")


@pytest.fixture(scope="session")
def base_url(odoo_server):
    return odoo_server[0]
