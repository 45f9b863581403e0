import hashlib
import hmac
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

import dbtools  # on the path through conftest.py

# The running e2e server's process id, for the tests that watch its memory.
SERVER = {}


def server_rss_mb():
    """Resident memory of the e2e Odoo server, in MB (from /proc)."""
    status = Path(f"/proc/{SERVER['pid']}/status").read_text()
    return round(
        int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024
    )


def sign(secret, body):
    """X-Signature of the generic signed-webhook kind: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@contextmanager
def odoo_serving(name, modules):
    """A fresh database with `modules` installed and an Odoo server on it (one cron thread);
    yields (server, db), then stops the server and drops the database."""
    dbtools.load_env()
    db = f"integration_{name}_{os.getpid()}"
    log = dbtools.LOCAL / "log" / f"{name}-odoo.log"
    dbtools.fresh_db(db)
    install = subprocess.run(
        dbtools.ODOO + ["-d", db, "-i", modules, "--stop-after-init", "--logfile", str(log)]
    )
    if install.returncode != 0:
        pytest.fail(f"installing {modules} failed, see {log}")
    try:
        server = dbtools.OdooServer(db, log, "--max-cron-threads", "1")
    except RuntimeError as exc:
        pytest.fail(str(exc))
    SERVER["pid"] = server.process.pid
    try:
        yield server, db
    finally:
        server.stop()
        dbtools.drop_db(db)
