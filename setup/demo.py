"""`make demo`: a fresh `integration_demo` database with the suite and its demo data, the
bundled sample deliveries sent over HTTP to the real webhook URL (signed as the vendor
would), the processing job run, a short table, then Odoo serving until Ctrl-C."""

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

import requests

import dbtools
from odoo_client import OdooClient

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
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
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
        if waiting != last:
            last, stable_since = waiting, time.monotonic()
        elif not processing and time.monotonic() - stable_since > 2:
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
    bindings = admin.call(
        "integration.external.id", "search_read", [("external_id", "in", ["CRM-100", "CRM-101"])], ["res_id"]
    )
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
