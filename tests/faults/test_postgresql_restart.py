"""PostgreSQL (the project's private cluster) stopped for a few seconds while deliveries come in
and events are processed, under the prefork server run as the README deploys it (a
supervisor that restarts Odoo when it exits: Odoo's prefork master exits when it must respawn
a worker while the database is down): deliveries refused meanwhile are sent again (as vendors
do), processing resumes, every event is done once."""

import json
import threading
import time

import requests
from fault_tools import hmac_hex, record, wait_until
from test_core_faults_e2e import call_when_back, restart_postgres  # tests/e2e, on the path

SECRET = "faults-postgres-secret"
EVENTS = 200


def test_postgresql_restart_during_ingest_and_processing(server, admin):
    values = {
        "name": "Faults PostgreSQL restart",
        "kind": "generic_hmac",
        "state": "active",
        "webhook_secret": SECRET,
    }
    backend_id = admin.call("integration.backend", "create", values)
    [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
    url = f"{server.url}/integration/webhook/{backend['webhook_uuid']}"
    done = [("backend_id", "=", backend_id), ("state", "=", "done")]
    refused = {"count": 0}

    def deliver_all():
        session = requests.Session()
        for index in range(EVENTS):
            data = {"id": f"PG-{index}", "name": f"Restarted Db {index:04d}"}
            body = json.dumps({"id": f"evt_pgr_{index}", "type": "contact.updated", "data": data}).encode()
            headers = {"Content-Type": "application/json", "X-Signature": hmac_hex(SECRET, body)}
            deadline = time.monotonic() + 120
            while True:  # a vendor sends a refused delivery again
                try:
                    if session.post(url, data=body, headers=headers, timeout=30).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                refused["count"] += 1
                assert time.monotonic() < deadline, f"delivery {index} never accepted"
                time.sleep(0.5)

    sender = threading.Thread(target=deliver_all)
    sender.start()
    wait_until(lambda: admin.call("integration.event", "search_count", done) >= 20, 120, what="processing")
    with server.supervised():
        _restart_and_wait(server, admin, sender, done, refused, backend_id)


def _restart_and_wait(server, admin, sender, done, refused, backend_id):
    restart_postgres(down_seconds=4)
    back_at = time.monotonic()
    done_when_back = call_when_back(admin, "integration.event", "search_count", done)
    resumed = None
    while True:
        count = call_when_back(admin, "integration.event", "search_count", done)
        if resumed is None and count > done_when_back:
            resumed = time.monotonic() - back_at
        if count >= EVENTS and not sender.is_alive():
            break
        assert time.monotonic() - back_at < 240, f"{count} of {EVENTS} done 240 s after PostgreSQL came back"
        time.sleep(0.5)
    all_done = time.monotonic() - back_at
    sender.join()
    rows = call_when_back(admin, "integration.event", "search_count", [("backend_id", "=", backend_id)])
    names = [
        p["name"]
        for p in call_when_back(
            admin, "res.partner", "search_read", [("name", "=like", "Restarted Db %")], ["name"]
        )
    ]
    health = requests.get(server.url + "/integration/health", timeout=30)
    record(
        "PostgreSQL restart (4 s down)",
        events=EVENTS,
        deliveries_refused_and_sent_again=refused["count"],
        time_to_resume_s=round(resumed if resumed is not None else all_done, 1),
        all_done_after_s=round(all_done, 1),
        rows_vs_deliveries=f"{rows} rows / {EVENTS} deliveries",
        duplicates=len(names) - len(set(names)),
        health=health.status_code,
        odoo_restarted_by_the_supervisor=server.restarts,
    )
    assert rows == EVENTS
    assert len(names) == EVENTS and len(set(names)) == EVENTS
    assert health.status_code == 200, health.text
