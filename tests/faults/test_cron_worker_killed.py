"""kill -9 of the cron worker of a prefork server in the middle of a batch: Odoo's master
starts another, the rows the dead worker held come back when their lease runs out, and every
event is done exactly once (one contact each, no duplicate, none given up)."""

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from fault_tools import hmac_hex, record, wait_until

SECRET = "faults-kill-secret"
EVENTS = 300


def _delivery(index, name=None):
    body = json.dumps(
        {"id": f"evt_kill_{index}", "type": "contact.updated",
         "data": {"id": f"KILL-{index}", "name": name or f"Killed Batch {index:04d}"}}
    ).encode()  # fmt: skip
    return body, {"Content-Type": "application/json", "X-Signature": hmac_hex(SECRET, body)}


def test_kill_9_of_the_cron_worker_mid_batch(server, admin):
    values = {"name": "Faults kill -9", "kind": "generic_hmac", "state": "active", "webhook_secret": SECRET}
    backend_id = admin.call("integration.backend", "create", values)
    [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
    url = f"{server.url}/integration/webhook/{backend['webhook_uuid']}"
    events = [("backend_id", "=", backend_id)]
    cron_pid = wait_until(server.cron_worker_pid, 90, what="the cron worker")
    session = requests.Session()

    def deliver(index):
        body, headers = _delivery(index)
        deadline = time.monotonic() + 60
        while True:  # as a vendor does: a refusal is sent again
            try:
                if session.post(url, data=body, headers=headers, timeout=30).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"delivery {index} never accepted"
            time.sleep(0.5)

    pool = ThreadPoolExecutor(4)
    sent = pool.map(deliver, range(EVENTS))
    # mid-batch: rows are being processed, and far from all are done
    wait_until(
        lambda: admin.call("integration.event", "search_count", events + [("state", "=", "processing")]),
        120,
        interval=0.05,
        what="a batch in progress",
    )
    done_at_kill = admin.call("integration.event", "search_count", events + [("state", "=", "done")])
    os.kill(cron_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    list(sent)  # every delivery accepted
    pool.shutdown()
    respawned = wait_until(
        lambda: (pid := server.cron_worker_pid()) and pid != cron_pid and pid, 120, what="a new cron worker"
    )

    def progress():
        return admin.call("integration.event", "search_count", events + [("state", "=", "done")])

    # Odoo's respawned cron worker sleeps until woken: the vendor's next delivery wakes it.
    resumed, nudges = None, 0
    deadline = time.monotonic() + 240
    while progress() < EVENTS:
        assert time.monotonic() < deadline, f"{progress()} of {EVENTS} done 240 s after the kill"
        if resumed is None and progress() > done_at_kill:
            resumed = time.monotonic() - killed_at
        if nudges * 5 < time.monotonic() - killed_at:
            nudges += 1
            body, headers = _delivery(f"nudge_{nudges}", name=f"Nudge {nudges}")
            session.post(url, data=body, headers=headers, timeout=30)
        time.sleep(0.5)
    all_done = time.monotonic() - killed_at
    wait_until(lambda: progress() >= EVENTS + nudges, 120, what="the nudges done")

    rows = admin.call("integration.event", "search_read", events, ["state", "lease_expiries", "attempts"])
    partners = admin.call(
        "res.partner",
        "search_read",
        [("name", "=like", "Killed Batch %")],
        ["name"],
        context={"active_test": False},
    )
    names = [p["name"] for p in partners]
    held = sum(1 for row in rows if row["lease_expiries"])
    record(
        "kill -9 of the cron worker",
        events=EVENTS,
        done_when_killed=done_at_kill,
        rows_held_by_the_dead_worker=held,
        cron_worker=f"{cron_pid} killed, {respawned} started by the master",
        time_to_resume_s=round(resumed or all_done, 1),
        all_done_after_s=round(all_done, 1),
        rows_vs_deliveries=f"{len(rows)} rows / {EVENTS + nudges} deliveries",
        duplicates=len(names) - len(set(names)),
    )
    assert done_at_kill < EVENTS, "the kill came after the last batch"
    assert len(rows) == EVENTS + nudges
    assert {row["state"] for row in rows} == {"done"}
    assert len(names) == EVENTS and len(set(names)) == EVENTS, "one contact per event, exactly once"
