"""Salesforce Change Data Capture benchmark, in the same run on the same database:

  N account changes, each a change event on a local Pub/Sub API server (gRPC, loopback,
  built from the project's .proto): the subscriber reads them with flow control and stores
  one event per record, committing each batch with the channel's replay id (timed inside
  an `odoo shell`, from the first Subscribe to the last commit)
  against
  the same N changes as Outbound Messages to the webhook route of a running Odoo server:
  100 notifications a message (how Salesforce batches them) and one a message; timed
  until the last Ack.

Events/s into stored events; nothing is processed (the handlers are the same for both).
Run with the repo's venv python:

  .local/venv/bin/python bench/salesforce_cdc.py [--changes 2000]"""

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "setup"))
import bench_results  # noqa: E402
from demo_salesforce_org import outbound_message  # noqa: E402

import dbtools  # noqa: E402
from odoo_client import OdooClient  # noqa: E402

DB = "integration_bench_salesforce_cdc"
ORG_ID = "00DQ0000000EB93MAQ"
TOPIC = "/data/AccountChangeEvent"
SCHEMA_ID = "benchAccountSchema0001"
TOKEN = "bench-token"


def salesforce_lib():
    """The connector's pure-Python lib/, loaded by path (its addon package imports Odoo)."""
    lib = ROOT / "integration_salesforce" / "lib"
    spec = importlib.util.spec_from_file_location(
        "salesforce_lib", lib / "__init__.py", submodule_search_locations=[str(lib)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["salesforce_lib"] = module
    spec.loader.exec_module(module)
    return importlib.import_module("salesforce_lib.pubsub_standin")


def account_id(prefix, index):
    return f"001B{prefix}{index:010d}A"[:18]


def publish_changes(standin, stand, schema, n, prefix):
    for index in range(n):
        header = {
            "entityName": "Account",
            "recordIds": [account_id(prefix, index)],
            "changeType": "UPDATE",
            "sequenceNumber": 1,
            "changedFields": stand.bitmap(schema, ["Name", "LastModifiedDate"]),
        }
        record = stand.change_record(
            schema, header, Name=f"Bench {prefix} {index}", LastModifiedDate=1796119200000
        )
        standin.publish(TOPIC, SCHEMA_ID, record)


CDC_SCRIPT = """
import time
backend = env["integration.backend"].browse({backend_id})
started = time.perf_counter()
stored = backend._salesforce_cdc_receive(900)
env.cr.commit()
print("CDC_SECONDS=%f STORED=%d" % (time.perf_counter() - started, stored))
"""


def run_cdc(backend_id):
    shell = [
        sys.executable,
        f"{os.environ['ODOO_DIR']}/odoo-bin",
        "shell",
        "-c",
        os.environ["ODOO_RC"],
        "-d",
        DB,
        "--no-http",
        "--logfile",
        str(dbtools.LOCAL / "log" / "bench-sf-cdc-shell.log"),
    ]
    script = CDC_SCRIPT.format(backend_id=backend_id)
    output = subprocess.run(shell, input=script.encode(), check=True, capture_output=True).stdout.decode()
    seconds = float(output.split("CDC_SECONDS=")[1].split()[0])
    stored = int(output.split("STORED=")[1].split()[0])
    return seconds, stored


def run_messages(url, n, prefix, per_message):
    session = requests.Session()
    headers = {"Content-Type": "text/xml"}
    started = time.perf_counter()
    for first in range(0, n, per_message):
        notes = [
            (
                f"04l{prefix}{index:011d}"[:18],
                "Account",
                {"Id": account_id(prefix, index), "Name": f"Bench {index}"},
            )
            for index in range(first, min(first + per_message, n))
        ]
        answer = session.post(url, data=outbound_message(ORG_ID, notes), headers=headers, timeout=120)
        assert answer.status_code == 200 and "<Ack>true</Ack>" in answer.text, answer.text
    return time.perf_counter() - started


def stored_count(source):
    return int(dbtools.psql(f"SELECT count(*) FROM integration_event WHERE source = '{source}'", db=DB))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--changes", type=int, default=2000)
    args = parser.parse_args()
    n = args.changes
    dbtools.load_env()
    (dbtools.LOCAL / "log").mkdir(exist_ok=True)
    stand = salesforce_lib()
    schema = stand.change_event_schema("Account", stand.ACCOUNT_FIELDS)
    standin = stand.PubSubStandIn(access_token=TOKEN, tenant_id=ORG_ID).start()
    standin.add_schema(SCHEMA_ID, schema)
    dbtools.fresh_db(DB)
    log = dbtools.LOCAL / "log" / "bench-salesforce-cdc-odoo.log"
    subprocess.run(
        [*dbtools.ODOO, "-d", DB, "-i", "integration_salesforce", "--stop-after-init", "--logfile", str(log)],
        check=True,
    )
    # No cron threads: nothing processes or reads channels behind the bench's back.
    server = dbtools.OdooServer(
        DB, log, "--workers", "2", "--max-cron-threads", "0", odoo=["setsid", *dbtools.ODOO]
    )
    try:
        admin = OdooClient(server.url, DB).login("admin", "admin")
        backend_id = admin.call(
            "integration.backend",
            "create",
            {
                "name": "Bench Salesforce CDC",
                "kind": "salesforce",
                "state": "active",
                "salesforce_instance_url": "https://bench.my.salesforce.com",
                "salesforce_org_id": ORG_ID,
                "salesforce_auth_flow": "client_credentials",
                "salesforce_access_token": TOKEN,
                "salesforce_pubsub_endpoint": standin.endpoint,
                "salesforce_pubsub_tls": False,
                "salesforce_cdc_seconds": 900,
                "salesforce_channel_ids": [(0, 0, {"topic": TOPIC, "start_from": "earliest"})],
            },
        )
        [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
        url = f"{server.url}/integration/webhook/{backend['webhook_uuid']}"
        publish_changes(standin, stand, schema, 50, "W")  # warm-up: schema fetched, caches filled
        run_cdc(backend_id)
        run_messages(url, 50, "W", 50)
        publish_changes(standin, stand, schema, n, "C")
        cdc_seconds, stored = run_cdc(backend_id)
        assert stored == n, f"{stored} of {n} change events stored"
        batched_seconds = run_messages(url, n, "B", 100)
        single_n = min(n, 500)  # one notification a message is slow: a smaller sample is enough
        single_seconds = run_messages(url, single_n, "S", 1)
        assert stored_count("cdc") == n + 50, stored_count("cdc")
        assert stored_count("webhook") == 50 + n + single_n, stored_count("webhook")
    finally:
        server.stop()
        standin.stop()
    result = {
        "changes": n,
        "cdc_seconds": cdc_seconds,
        "cdc_events_per_s": n / cdc_seconds,
        "outbound_100_per_message_seconds": batched_seconds,
        "outbound_100_per_message_events_per_s": n / batched_seconds,
        "outbound_1_per_message_changes": single_n,
        "outbound_1_per_message_events_per_s": single_n / single_seconds,
    }
    result["cdc_vs_outbound_100"] = (
        result["cdc_events_per_s"] / result["outbound_100_per_message_events_per_s"]
    )
    print(
        f"\nsalesforce CDC ({n} account changes into stored events): "
        f"Pub/Sub {result['cdc_events_per_s']:.0f} "
        f"events/s; Outbound Messages of 100 {result['outbound_100_per_message_events_per_s']:.0f} events/s, "
        f"of 1 {result['outbound_1_per_message_events_per_s']:.0f} events/s "
        f"(CDC / OM-100 = {result['cdc_vs_outbound_100']:.2f})"
    )
    bench_results.save("salesforce-cdc", result)


if __name__ == "__main__":
    main()
