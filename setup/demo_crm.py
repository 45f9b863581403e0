"""A stand-in for the demo's connected CRM, on 127.0.0.1: it takes contact pushes (or answers
503 while `down`) and lists its contacts for reconciliation."""

import http.server
import json
import threading


class DemoCrm:
    def __init__(self):
        self.down = False
        self.contacts = []
        self.accepted_keys = []
        self.refused = 0
        crm = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if crm.down:
                    crm.refused += 1
                    return self._answer(503, {"error": "maintenance"})
                crm.accepted_keys.append(self.headers.get("Idempotency-Key"))
                return self._answer(200, {"ok": True})

            def do_GET(self):
                return self._answer(200, {"data": crm.contacts, "next": None})

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/contacts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
