"""Salesforce Change Data Capture end to end: a local Pub/Sub API server (gRPC on loopback,
built from the project's .proto) and a real Odoo. A worker reading the channel is killed
(SIGKILL) in the middle of the stream: what it had committed is there with its replay id,
what it had not is not; the server's own scheduled action then resumes exactly after the
stored replay id and every change is stored once."""

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dbtools

ROOT = Path(__file__).resolve().parents[2]
ORG_ID = "00DQ0000000EB93MAQ"
TOPIC = "/data/AccountChangeEvent"
SCHEMA_ID = "e2eAccountSchema00001"
TOKEN = "e2e-cdc-token"
CHANGES = 100
BATCH = 5


def salesforce_lib():
    """The connector's pure-Python lib/, loaded by path (its addon package imports Odoo)."""
    if "salesforce_lib_e2e" not in sys.modules:
        lib = ROOT / "integration_salesforce" / "lib"
        spec = importlib.util.spec_from_file_location(
            "salesforce_lib_e2e", lib / "__init__.py", submodule_search_locations=[str(lib)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules["salesforce_lib_e2e"] = module
        spec.loader.exec_module(module)
    return importlib.import_module("salesforce_lib_e2e.pubsub_standin")


@pytest.fixture
def standin():
    stand = salesforce_lib()
    server = stand.PubSubStandIn(access_token=TOKEN, tenant_id=ORG_ID).start()
    schema = stand.change_event_schema("Account", stand.ACCOUNT_FIELDS)
    server.add_schema(SCHEMA_ID, schema)
    yield server, stand, schema
    server.stop()


def stored(db):
    rows = dbtools.psql(
        "SELECT payload::json->'cdc'->>'replay_id' FROM integration_event WHERE source = 'cdc' ORDER BY id",
        db=db,
    )
    return [bytes.fromhex(row) for row in rows.splitlines() if row]


def wait_for(check, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


READER = """
backend = env["integration.backend"].browse({backend_id})
backend._salesforce_cdc_receive(300)
"""


def test_killed_reader_loses_nothing_and_the_cron_resumes_after_the_stored_replay_id(
    admin, odoo_server, standin
):
    server, stand, schema = standin
    _url, db = odoo_server
    published = []
    for index in range(CHANGES):
        header = {
            "entityName": "Account",
            "recordIds": [f"001E2E{index:012d}"],
            "changeType": "UPDATE",
            "changedFields": stand.bitmap(schema, ["Name"]),
        }
        published.append(
            server.publish(TOPIC, SCHEMA_ID, stand.change_record(schema, header, Name=f"E2E {index}"))
        )
    # Paused while the worker below reads: the server's cron must not read the channel too.
    backend_id = admin.call(
        "integration.backend",
        "create",
        {
            "name": "E2E Salesforce CDC",
            "kind": "salesforce",
            "state": "paused",
            "salesforce_instance_url": "https://e2e.my.salesforce.com",
            "salesforce_org_id": ORG_ID,
            "salesforce_auth_flow": "client_credentials",
            "salesforce_access_token": TOKEN,
            "salesforce_pubsub_endpoint": server.endpoint,
            "salesforce_pubsub_tls": False,
            "salesforce_cdc_batch": BATCH,
            "salesforce_cdc_seconds": 300,
            "salesforce_channel_ids": [(0, 0, {"topic": TOPIC, "start_from": "earliest"})],
        },
    )
    server.response_delay = 0.3  # a slow link: the worker is caught in the middle of the stream
    shell = [
        sys.executable,
        f"{os.environ['ODOO_DIR']}/odoo-bin",
        "shell",
        "-c",
        os.environ["ODOO_RC"],
        "-d",
        db,
        "--no-http",
        "--logfile",
        str(dbtools.LOCAL / "log" / "e2e-cdc-reader.log"),
    ]
    reader = subprocess.Popen(shell, stdin=subprocess.PIPE, start_new_session=True)
    reader.stdin.write(READER.format(backend_id=backend_id).encode())
    reader.stdin.close()
    wait_for(lambda: len(stored(db)) >= 3 * BATCH)
    os.killpg(reader.pid, signal.SIGKILL)  # no cleanup, no rollback handler: the process is gone
    reader.wait(timeout=30)

    before = stored(db)
    [channel] = admin.call(
        "integration.salesforce.channel", "search_read", [("backend_id", "=", backend_id)], ["replay_id"]
    )
    assert 0 < len(before) < CHANGES
    assert len(before) % BATCH == 0  # whole batches only: each committed with its position
    assert before == published[: len(before)]  # in order, none twice
    assert channel["replay_id"] == before[-1].hex()  # the position of the last stored event

    # The real scheduled action of the running server resumes the channel.
    server.response_delay = 0.0
    admin.call("integration.backend", "write", [backend_id], {"state": "active"})
    [cron_id] = admin.call("ir.cron", "search", [("code", "=", "model._cron_salesforce_cdc()")])
    try:
        admin.call("ir.cron", "method_direct_trigger", [cron_id])
    except Exception:  # noqa: BLE001 - the cron thread is running it right now: it does the same
        pass
    after = wait_for(lambda: len(stored(db)) == CHANGES and stored(db), timeout=180)
    assert after == published  # none missed, none twice
    resumed = [stream for stream in server.streams if stream][-1]  # the cron's subscription
    last_kept = int.from_bytes(before[-1], "big")
    # exactly after the stored replay id: the killed worker's uncommitted batch again, then the rest
    assert resumed == [int.from_bytes(r, "big") for r in published[len(before) :]]
    assert resumed[0] > last_kept
    opens = [request for request in server.fetch_requests if request[1]]
    assert ("CUSTOM", last_kept) in [request[1:3] for request in opens]
