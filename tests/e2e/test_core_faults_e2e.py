"""Faults an operator meets: PostgreSQL restarting under a running server."""

import glob
import json
import os
import pwd
import shlex
import subprocess
import time

import pytest
import requests

import dbtools  # on the path through conftest.py
from integration_helpers import sign

SECRET = "e2e-faults-secret"


@pytest.fixture(scope="module")
def backend(make_backend):
    return make_backend("E2E faults", SECRET)


def restart_postgres(down_seconds=4):
    """Stop the project's private cluster (the bootstrap's, in .local/pg), leave it down for a
    while (long enough for Odoo's cron thread to fail to reconnect), start it again."""
    data = dbtools.LOCAL / "pg" / "data"
    if not data.is_dir():
        pytest.fail("the fault tests restart the project's private PostgreSQL cluster; none in .local/pg")
    pg_ctl = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
    # The server's own command line, to start it again with the same port and socket.
    options = shlex.split((data / "postmaster.opts").read_text())[1:]
    options = [opt for index, opt in enumerate(options) if opt != "-D" and options[index - 1] != "-D"]
    owner = pwd.getpwuid(data.stat().st_uid).pw_name
    as_owner = ["runuser", "-u", owner, "--"] if data.stat().st_uid != os.getuid() else []
    subprocess.run(
        [*as_owner, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], check=True, capture_output=True
    )
    time.sleep(down_seconds)
    subprocess.run(
        [*as_owner, pg_ctl, "-D", str(data), "-l", str(data.parent / "server.log"), "-w", "-t", "60",
         "start", "-o", shlex.join(options)],
        check=True, capture_output=True,
    )  # fmt: skip


def call_when_back(admin, *args, timeout=60):
    """A JSON-RPC call, tried again while the server's pooled connections reconnect."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return admin.call(*args)
        except Exception:  # any failure while the database comes back
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_processing_resumes_by_itself_after_postgresql_restarts(base_url, admin, backend):
    # Issue 19: the cron thread died when it could not reconnect; nothing moved until a restart.
    restart_postgres()
    session = requests.Session()
    for index in range(30):  # delivered once the database is back: the vendor retries 503s
        body = json.dumps(
            {
                "id": f"evt_pg_{index}",
                "type": "contact.updated",
                "data": {"id": f"PG-{index}", "name": "Restart"},
            }
        ).encode()
        headers = {"Content-Type": "application/json", "X-Signature": sign(SECRET, body)}
        deadline = time.monotonic() + 60
        while (
            session.post(base_url + backend["url"], data=body, headers=headers, timeout=30).status_code != 200
        ):
            assert time.monotonic() < deadline, "deliveries are not accepted after the restart"
            time.sleep(0.5)
    started = time.monotonic()
    domain = [("backend_id", "=", backend["id"]), ("state", "=", "done")]
    done = 0
    while time.monotonic() - started < 150:
        done = call_when_back(admin, "integration.event", "search_count", domain)
        if done == 30:
            break
        time.sleep(2)
    resumed_after = time.monotonic() - started
    print(f"\n[faults] PostgreSQL restarted: {done}/30 events done {resumed_after:.0f} s later")
    assert done == 30, f"only {done} of 30 events done {resumed_after:.0f} s after the restart"
    health = requests.get(base_url + "/integration/health", timeout=10)
    assert health.status_code == 200, health.text
