"""Stand-ins on 127.0.0.1 for the contract tool's REST API (DocuSign eSignature v2.1),
Stripe's API and a support platform's entitlements webhook, for the quote-to-cash chain in
`make demo`, the e2e tier and `make bench`.

Each records what Odoo sent (the envelopes with their custom fields, the Payment Links with
their metadata, the signed entitlement snapshots) so the caller can answer as the vendor
would: the Connect callback of a signed envelope, the `payment_intent.succeeded` of a paid
link; the support platform checks each snapshot's signature and keeps the newest."""

import http.server
import itertools
import json
import threading
from urllib.parse import parse_qs

from toolkit import SignatureMismatch, verify_hmac

SIGNED_PDF = b"%PDF-1.4\n% signed agreement (stand-in)\n%%EOF\n"


class _StandIn:
    def __init__(self):
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                stand_in._handle(self, "GET", b"")

            def do_POST(self):
                stand_in._handle(self, "POST", self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def do_PUT(self):
                stand_in._handle(self, "PUT", self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.lock = threading.Lock()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def _answer(handler, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def stop(self):
        self.server.shutdown()


class DemoContractTool(_StandIn):
    """DocuSign's envelopes API: create an envelope (answers its id), the signed PDF."""

    def __init__(self, account_id="acc-demo"):
        self.account_id = account_id
        self.envelopes = {}  # envelope id -> {"custom_fields": {...}, "subject": ..., "key": ...}
        self.by_key = {}  # Idempotency-Key -> envelope id: a retried send makes no second envelope
        self._ids = itertools.count(1)
        super().__init__()

    def _handle(self, handler, method, body):
        prefix = f"/restapi/v2.1/accounts/{self.account_id}/envelopes"
        path = handler.path.split("?")[0]
        if method == "POST" and path == prefix:
            sent = json.loads(body or b"{}")
            key = handler.headers.get("Idempotency-Key") or ""
            with self.lock:
                envelope_id = self.by_key.get(key) if key else None
                if envelope_id is None:
                    envelope_id = f"e2e0{next(self._ids):04d}-9a69-452a-e314-0752{len(self.envelopes):08d}"
                    fields = (sent.get("customFields") or {}).get("textCustomFields") or []
                    self.envelopes[envelope_id] = {
                        "custom_fields": {f["name"]: f["value"] for f in fields},
                        "subject": sent.get("emailSubject"),
                        "signer": (sent.get("recipients") or {}).get("signers", [{}])[0],
                    }
                    if key:
                        self.by_key[key] = envelope_id
            return self._answer(handler, 201, {"envelopeId": envelope_id, "status": "sent"})
        if method == "GET" and path.startswith(prefix) and path.endswith("/documents/combined"):
            return self._answer(handler, 200, SIGNED_PDF, "application/pdf")
        if method == "PUT" and path.startswith(prefix):  # void
            return self._answer(handler, 200, {"envelopeId": path.rsplit("/", 1)[-1]})
        return self._answer(handler, 404, {"errorCode": "NOT_FOUND", "message": path})


class DemoStripeApi(_StandIn):
    """Stripe's Prices and Payment Links (form-encoded, idempotent by Idempotency-Key)."""

    def __init__(self):
        self.links = {}  # link id -> {"url", "metadata", "intent_metadata", "price"}
        self.prices = {}  # price id -> form fields
        self.by_key = {}
        self._ids = itertools.count(1)
        super().__init__()

    def _handle(self, handler, method, body):
        path = handler.path.split("?")[0]
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        key = handler.headers.get("Idempotency-Key") or ""
        with self.lock:
            if key and key in self.by_key:
                return self._answer(handler, 200, self.by_key[key])
            if method == "POST" and path == "/v1/prices":
                price_id = f"price_e2e{next(self._ids)}"
                self.prices[price_id] = form
                answer = {"id": price_id, "object": "price", "unit_amount": int(form.get("unit_amount", 0))}
            elif method == "POST" and path == "/v1/payment_links":
                link_id = f"plink_e2e{next(self._ids)}"
                self.links[link_id] = {
                    "url": f"https://buy.stripe.com/test_{link_id}",
                    "price": form.get("line_items[0][price]"),
                    "metadata": _nested(form, "metadata"),
                    "intent_metadata": _nested(form, "payment_intent_data[metadata]"),
                }
                answer = {"id": link_id, "object": "payment_link", "url": self.links[link_id]["url"]}
            else:
                return self._answer(
                    handler, 404, {"error": {"type": "invalid_request_error", "message": path}}
                )
            if key:
                self.by_key[key] = answer
        return self._answer(handler, 200, answer)

    def link_for_invoice(self, invoice_name):
        return next(
            (link for link in self.links.values() if link["metadata"].get("odoo_invoice") == invoice_name),
            None,
        )

    def amount_of(self, link):
        return int(self.prices[link["price"]]["unit_amount"])

    def currency_of(self, link):
        return self.prices[link["price"]]["currency"]


class DemoSupportPlatform(_StandIn):
    """A support platform receiving Odoo's entitlement snapshots at `/entitlements`, as a
    receiver should: the HMAC-SHA256 of the raw body checked with the shared secret (401
    otherwise), and per account only a snapshot newer than the one it has is applied."""

    def __init__(self, secret):
        self.secret = secret
        self.deliveries = []  # every signed delivery: {"headers", "body", "raw", "applied"}
        self.refused = 0
        self.accounts = {}  # Odoo account id -> the newest snapshot
        super().__init__()

    @property
    def push_url(self):
        return f"{self.url}/entitlements"

    def _handle(self, handler, method, body):
        if method != "POST" or handler.path.split("?")[0] != "/entitlements":
            return self._answer(handler, 404, {"error": "not found"})
        try:
            verify_hmac(body, handler.headers.get("X-Signature"), [self.secret])
        except SignatureMismatch as exc:
            with self.lock:
                self.refused += 1
            return self._answer(handler, 401, {"error": str(exc)})
        snapshot = json.loads(body)
        account = snapshot["account"]["odoo_id"]
        with self.lock:
            current = self.accounts.get(account)
            applied = current is None or snapshot["version"] > current["version"]
            if applied:
                self.accounts[account] = snapshot
            self.deliveries.append(
                {"headers": dict(handler.headers), "body": snapshot, "raw": body, "applied": applied}
            )
        return self._answer(handler, 200, {"applied": applied})


def _nested(form, prefix):
    """{'odoo_invoice': ...} of form fields `prefix[odoo_invoice]`."""
    start = f"{prefix}["
    return {
        k[len(start) : -1]: v
        for k, v in form.items()
        if k.startswith(start) and k.endswith("]") and "][" not in k[len(start) :]
    }
