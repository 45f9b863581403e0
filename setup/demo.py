"""`make demo`: a fresh `integration_demo` database with the suite and its demo data, the
bundled sample deliveries sent over HTTP to the real webhook URL (signed as the vendor
would), the processing job run, a short table, then Odoo serving until Ctrl-C."""

import json
import os
import subprocess
import sys
import time

import requests
from demo_crm import DemoCrm

import dbtools
from odoo_client import OdooClient
from toolkit import hmac_sha256, signed_message

DB = "integration_demo"
PORT = int(os.environ.get("DEMO_PORT", "8069"))
BASE_URL = f"http://127.0.0.1:{PORT}"
# The demo backend of integration_core/demo/integration_backend_demo.xml
WEBHOOK = f"{BASE_URL}/integration/webhook/demo-contacts"
SECRET = "demo-webhook-secret"


def deliver(payload, secret=SECRET):
    """POST one delivery signed like the generic kind expects: hex HMAC of '<t>.<body>'."""
    body = json.dumps(payload).encode()
    timestamp = str(int(time.time()))
    signature = hmac_sha256(secret, signed_message(body, timestamp))
    headers = {"Content-Type": "application/json", "X-Signature": signature, "X-Timestamp": timestamp}
    return requests.post(WEBHOOK, data=body, headers=headers, timeout=30)


def contact(event_id, contact_id, name, created, email=None):
    data = {"id": contact_id, "name": name, "email": email, "phone": None}
    return {"id": event_id, "type": "contact.updated", "created": created, "data": data}


def sample_deliveries():
    now = int(time.time())
    return [
        (
            "new contact",
            contact("evt_demo_001", "CRM-100", "Northwind Traders", now - 60, "ap@northwind.example"),
        ),
        ("update of the same contact", contact("evt_demo_002", "CRM-100", "Northwind Traders Ltd", now - 30)),
        (
            "duplicate delivery of the first",
            contact("evt_demo_001", "CRM-100", "Northwind Traders", now - 60),
        ),
        ("newer version first...", contact("evt_demo_004", "CRM-101", "Contoso Pharmaceuticals", now - 10)),
        ("...older version second (converges)", contact("evt_demo_003", "CRM-101", "Contoso", now - 50)),
        ("contact without a name (to fix)", contact("evt_demo_005", "CRM-102", "", now - 40)),
        ("contact without a name (left failed)", contact("evt_demo_006", "CRM-103", "", now - 40)),
        (
            "update behind that failure (waits)",
            contact("evt_demo_007", "CRM-103", "Adventure Works", now - 20),
        ),
        ("vendor test contact (to ignore)", contact("evt_demo_008", "CRM-104", "", now - 40)),
    ]


def wait_until_settled(admin, timeout=60):
    """Until nothing is processing and the events left pending (waiting behind an older
    failed one) have stayed so for two seconds."""
    deadline, last, stable_since = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        waiting = admin.call("integration.event", "search", [("state", "in", ["pending", "processing"])])
        processing = admin.call("integration.event", "search_count", [("state", "=", "processing")])
        # Nothing settled yet means the cron has not started (a busy machine): not "stable".
        started = admin.call(
            "integration.event", "search_count", [("state", "not in", ["pending", "processing"])]
        )
        if waiting != last:
            last, stable_since = waiting, time.monotonic()
        elif started and not processing and time.monotonic() - stable_since > 2:
            return
        time.sleep(0.3)


def main():
    dbtools.load_env()
    log = dbtools.LOCAL / "log" / "demo-odoo.log"
    print(f"[demo] preparing database {DB} (Odoo apps with demo data, then the suite)", flush=True)
    dbtools.fresh_db(DB, demo=True)
    subprocess.run(
        dbtools.ODOO
        + ["-d", DB, "-i", "integration_suite", "--with-demo", "--stop-after-init", "--logfile", str(log)],
        check=True,
    )
    try:
        server = dbtools.OdooServer(DB, log, port=PORT)
    except RuntimeError as exc:
        sys.exit(f"[demo] {exc} (port busy? set DEMO_PORT)")
    try:
        admin = OdooClient(BASE_URL, DB).login("admin", "admin")
        print(f"[demo] sending sample deliveries to {WEBHOOK}")
        for label, payload in sample_deliveries():
            response = deliver(payload)
            print(f"  {response.status_code} {response.json().get('status', ''):9} {label}")
        bad = deliver(contact("evt_demo_bad", "CRM-999", "Mallory", int(time.time())), secret="forged")
        print(f"  {bad.status_code} {'refused':9} forged signature (audit log only)")
        wait_until_settled(admin)
        _fix_and_replay(admin, "evt_demo_005", "Fabrikam Inc.")
        _ignore(admin, "evt_demo_008", "Test contact sent from the vendor's dashboard")
        _temporary_failures(admin)
        wait_until_settled(admin)
        _print_table(admin)
        crm = DemoCrm()
        try:
            _degraded_and_recovered(admin, crm)
            _reconciliation(admin, crm)
        finally:
            crm.stop()
        _connector_demos(admin)
        print(f"\n[demo] Odoo is serving {BASE_URL}  (login: admin / password: admin)")
        print("[demo] Integrations > Exceptions shows the failed and dead events. Ctrl-C stops the server.")
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _event_id(admin, external_event_id):
    return admin.call("integration.event", "search", [("external_event_id", "=", external_event_id)])[0]


def _ignore(admin, external_event_id, reason):
    context = {"active_model": "integration.event", "active_ids": [_event_id(admin, external_event_id)]}
    wizard = admin.call("integration.event.ignore.wizard", "create", {"reason": reason}, context=context)
    admin.call("integration.event.ignore.wizard", "action_confirm", [wizard], context=context)
    print(f"[demo] ignored {external_event_id} in Exceptions: {reason}")


def _temporary_failures(admin):
    """A person keeps two contacts open for editing (their rows locked) while updates arrive:
    the first update waits to be retried; with attempts set to 1, the second goes dead."""
    deadline = time.monotonic() + 60
    while True:  # on a busy machine the cron may not have reached these contacts yet
        bindings = admin.call(
            "integration.external.id",
            "search_read",
            [("external_id", "in", ["CRM-100", "CRM-101"])],
            ["res_id"],
        )
        if len(bindings) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if len(bindings) != 2:
        raise RuntimeError("contacts CRM-100 and CRM-101 were not synchronised within 60 s")
    ids = ",".join(str(b["res_id"]) for b in bindings)
    lock = subprocess.Popen(
        ["psql", "-X", "-q", "-d", DB, "-c",
         f"BEGIN; SELECT id FROM res_partner WHERE id IN ({ids}) FOR UPDATE; SELECT pg_sleep(20); COMMIT;"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1)
    params = "ir.config_parameter"
    try:
        now = int(time.time())
        deliver(contact("evt_demo_009", "CRM-100", "Northwind Traders Group", now))
        _wait_state(admin, "evt_demo_009", "retry")
        print("[demo] CRM-100 is being edited: its update waits to be retried")
        admin.call(params, "set_param", "integration_core.max_attempts", "1")
        deliver(contact("evt_demo_010", "CRM-101", "Contoso Pharma", now))
        _wait_state(admin, "evt_demo_010", "dead")
        print("[demo] with attempts set to 1, CRM-101's update went dead; managers got an activity")
    finally:
        admin.call(params, "set_param", "integration_core.max_attempts", "5")
        lock.terminate()
        lock.wait()


def _wait_state(admin, external_event_id, state, timeout=30):
    domain = [("external_event_id", "=", external_event_id), ("state", "=", state)]
    admin.wait_for("integration.event", domain, timeout=timeout)


def _fix_and_replay(admin, external_event_id, name):
    """What a person does in Exceptions: edit the payload, resubmit."""
    [event] = admin.call(
        "integration.event", "search_read", [("external_event_id", "=", external_event_id)], ["payload"]
    )
    payload = json.loads(event["payload"])
    payload["data"]["name"] = name
    admin.resubmit_event(event["id"], payload)
    print(f"[demo] fixed {external_event_id} in Exceptions (name '{name}') and resubmitted it")


def _demo_backend(admin):
    return admin.call("integration.backend", "search", [("webhook_uuid", "=", "demo-contacts")])[0]


def _degraded_and_recovered(admin, crm):
    """Odoo owns the contacts now and pushes its edits; the CRM goes down for maintenance."""
    backend = _demo_backend(admin)
    admin.call("integration.backend", "write", [backend],
               {"outbound_url": crm.url, "circuit_threshold": 2, "circuit_cooldown": 5})  # fmt: skip
    owned = admin.call(
        "integration.ownership", "search", [("backend_id", "=", backend), ("domain", "=", "customer")]
    )
    admin.call("integration.ownership", "write", owned, {"system_of_record": "odoo"})
    crm.down = True
    print("\n[demo] the CRM goes down for maintenance (503) while three contacts are edited in Odoo")
    bound = [("backend_id", "=", backend), ("model", "=", "res.partner")]
    bindings = admin.call("integration.external.id", "search_read", bound, ["res_id"], limit=3)
    for binding in bindings:
        [partner] = admin.call("res.partner", "read", [binding["res_id"]], ["name"])
        admin.call("res.partner", "write", [partner["id"]], {"phone": "+1 555 0100"})
    admin.wait_for("integration.backend", [("id", "=", backend), ("state", "=", "degraded")], timeout=60)
    waiting = admin.call(
        "integration.outbound", "search_count", [("backend_id", "=", backend), ("state", "!=", "done")]
    )
    print(f"[demo] after {crm.refused} refused calls the backend is Degraded: sending paused, "
          f"{waiting} messages wait in Outbound, managers got an activity")  # fmt: skip
    crm.down = False
    time.sleep(6)  # the pause (5 s) passes; then a probe may go out
    messages = admin.call(
        "integration.outbound", "search", [("backend_id", "=", backend), ("state", "!=", "done")]
    )
    admin.call("integration.outbound", "action_retry", messages)  # "Retry now" (else the next cron run)
    admin.wait_for("integration.outbound", [("backend_id", "=", backend), ("state", "=", "done")], count=3)
    [after] = admin.call("integration.backend", "read", [backend], ["state", "circuit_state"])
    keys = crm.accepted_keys
    print(f"[demo] the CRM is back: a probe succeeded, backend {after['state']} "
          f"(circuit {after['circuit_state']}); the CRM took {len(keys)} pushes with "
          f"{len(set(keys))} idempotency keys")  # fmt: skip


def _reconciliation(admin, crm):
    """The CRM lists the same contacts as Odoo, plus one Odoo never received: one drift line."""
    backend = _demo_backend(admin)
    bound = [("backend_id", "=", backend), ("model", "=", "res.partner")]
    bindings = admin.call("integration.external.id", "search_read", bound, ["external_id", "res_id"])
    ids = [b["res_id"] for b in bindings]
    partners = {
        p["id"]: p
        for p in admin.call("res.partner", "read", ids, ["name", "email"], context={"active_test": False})
    }
    crm.contacts = [
        {
            "id": b["external_id"],
            "name": partners[b["res_id"]]["name"],
            "email": partners[b["res_id"]]["email"] or None,
        }
        for b in bindings
    ]
    crm.contacts.append({"id": "CRM-105", "name": "Litware Inc", "email": "hello@litware.example"})
    admin.call("integration.backend", "write", [backend], {"reconcile_url": crm.url})
    action = admin.call("integration.backend", "action_reconcile_now", [backend])
    [run] = admin.call("integration.reconciliation.run", "read", [action["res_id"]],
                       ["checked_count", "line_ids", "state"])  # fmt: skip
    lines = admin.call("integration.reconciliation.line", "read", run["line_ids"], ["issue", "reference"])
    print(
        f"\n[demo] reconciliation run: {run['checked_count']} CRM contacts checked, "
        f"{len(lines)} drift line(s):"
    )
    for line in lines:
        print(f"         {line['issue']:14} {line['reference']}")
    admin.call("integration.reconciliation.line", "action_replay", [line["id"] for line in lines])
    admin.wait_for("integration.external.id", [("backend_id", "=", backend), ("external_id", "=", "CRM-105")])
    print("[demo] replayed from source: Litware Inc is now a partner (Integrations > Reconciliation > Drift)")


def _connector_demos(admin):
    """Each connector's own sample deliveries (setup/demo_<vendor>.py), when it has some."""
    import importlib

    for name in ("demo_stripe", "demo_shopify", "demo_salesforce", "demo_clm", "demo_chain"):
        if not (dbtools.ROOT / "setup" / f"{name}.py").exists():
            continue
        rows = importlib.import_module(name).show(admin, BASE_URL)
        print(f"\n[demo] {name.removeprefix('demo_').title()}")
        for what, result in rows:
            print(f"  {what:45} {result}")


def _print_table(admin):
    events = admin.call(
        "integration.event",
        "search_read",
        [],
        [
            "external_event_id",
            "state",
            "entity_key",
            "error_message",
            "result_note",
            "payload_original",
            "ignore_reason",
        ],
        order="id",
    )
    states = {}
    for event in events:
        states[event["state"]] = states.get(event["state"], 0) + 1
    partners = admin.call("integration.external.id", "search_count", [("model", "=", "res.partner")])
    refused = admin.call("integration.audit", "search_count", [("action", "=", "refused")])
    print(
        "\n  events per state     "
        + ", ".join(f"{state}: {count}" for state, count in sorted(states.items()))
    )
    print(f"  documents created    {partners} partners bound to external IDs")
    print(f"  deliveries refused   {refused} (see Configuration > Audit Log)")
    print("\n  event           entity    state    note")
    for event in events:
        note = event["ignore_reason"] or event["error_message"] or event["result_note"] or ""
        if event["state"] == "pending":
            note = "waits until the older event of the same contact is fixed or ignored"
        elif event["payload_original"]:
            note = "fixed in Exceptions and replayed"
        print(f"  {event['external_event_id']:15} {event['entity_key']:9} {event['state']:8} {note}")


if __name__ == "__main__":
    main()
