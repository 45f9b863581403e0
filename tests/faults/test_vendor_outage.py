"""A vendor that answers 500, then 429, then hangs (accepts the connection and never answers,
so the sender's own timeout must fire), then recovers: every outbound message is sent exactly
once after the recovery, without anyone pressing a button."""

import http.server
import json
import threading
import time

from fault_tools import record, wait_until

MESSAGES = 20
PHASE_SECONDS = 8  # each bad behaviour lasts this long


class ChangingVendor:
    """A loopback stand-in for the connected system; `mode` is what it does now."""

    def __init__(self):
        self.mode = "ok"
        self.seen = {"500": 0, "429": 0, "hang": 0}
        self.accepted_keys, self.first_accept_at = [], None
        self.stopping = threading.Event()
        vendor = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                mode = vendor.mode
                if mode == "hang":
                    vendor.seen["hang"] += 1
                    vendor.stopping.wait(120)  # never answers: the sender's timeout fires first
                    self.close_connection = True
                    return None
                if mode in ("500", "429"):
                    vendor.seen[mode] += 1
                    extra = {"Retry-After": "1"} if mode == "429" else {}
                    return self._answer(int(mode), {"error": mode}, extra)
                vendor.accepted_keys.append(self.headers.get("Idempotency-Key"))
                vendor.first_accept_at = vendor.first_accept_at or time.monotonic()
                return self._answer(200, {"ok": True})

            def _answer(self, status, body, extra=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/contacts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.stopping.set()
        self.server.shutdown()


def test_vendor_500_then_429_then_hang_then_recovery(server, admin):
    vendor = ChangingVendor()
    try:
        values = {"name": "Faults vendor outage", "kind": "generic_hmac", "state": "active",
                  "webhook_secret": "faults-outage-secret", "outbound_url": vendor.url,
                  "circuit_threshold": 2, "circuit_cooldown": 2}  # fmt: skip
        backend_id = admin.call("integration.backend", "create", values)
        owned = admin.call(
            "integration.ownership", "search", [("backend_id", "=", backend_id), ("domain", "=", "customer")]
        )
        admin.call("integration.ownership", "write", owned, {"system_of_record": "odoo"})
        partners = []
        for index in range(MESSAGES):
            partner = admin.call("res.partner", "create", {"name": f"Outage {index}"})
            binding = {"backend_id": backend_id, "model": "res.partner", "res_id": partner,
                       "external_id": f"OUTAGE-{index}"}  # fmt: skip
            admin.call("integration.external.id", "create", binding)
            partners.append(partner)
        messages = [("backend_id", "=", backend_id)]

        vendor.mode = "500"
        for partner in partners:
            admin.call("res.partner", "write", [partner], {"phone": "+1 555 0100"})
        wait_until(lambda: admin.call("integration.outbound", "search_count", messages) >= MESSAGES, 60,
                   what="the messages queued")  # fmt: skip
        timeline = [("500", PHASE_SECONDS), ("429", PHASE_SECONDS), ("hang", PHASE_SECONDS)]
        for mode, seconds in timeline:
            vendor.mode = mode
            time.sleep(seconds)
        done_in_outage = admin.call(
            "integration.outbound", "search_count", messages + [("state", "=", "done")]
        )
        vendor.mode = "ok"
        recovered_at = time.monotonic()
        wait_until(
            lambda: admin.call("integration.outbound", "search_count", messages + [("state", "=", "done")])
            >= MESSAGES,
            180,
            interval=0.5,
            what=f"the {MESSAGES} messages sent after the recovery",
        )
        all_sent = time.monotonic() - recovered_at
        rows = admin.call("integration.outbound", "search_read", messages, ["state", "attempts"])
        [backend] = admin.call("integration.backend", "read", [backend_id], ["state", "circuit_state"])
        first = (vendor.first_accept_at - recovered_at) if vendor.first_accept_at else None
        record(
            "vendor 500 -> 429 -> hang -> recovery",
            messages=MESSAGES,
            calls_during_outage=dict(vendor.seen),
            sent_during_outage=done_in_outage,
            time_to_resume_s=round(first, 1) if first is not None else "never",
            all_sent_after_s=round(all_sent, 1),
            rows_vs_messages=f"{len(rows)} rows / {MESSAGES} messages",
            duplicates=len(vendor.accepted_keys) - len(set(vendor.accepted_keys)),
            most_attempts=max(row["attempts"] for row in rows),
        )
        assert vendor.seen["500"] and vendor.seen["429"] and vendor.seen["hang"], vendor.seen
        assert done_in_outage == 0
        assert len(rows) == MESSAGES and {row["state"] for row in rows} == {"done"}
        assert len(vendor.accepted_keys) == MESSAGES, "each message taken once"
        assert len(set(vendor.accepted_keys)) == MESSAGES
        assert (backend["state"], backend["circuit_state"]) == ("active", "closed")
    finally:
        vendor.stop()
