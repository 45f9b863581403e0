"""2,000 malformed requests spread over every backend kind, signed and unsigned: no 5xx; every
signed one is either refused before its signature (size, content type) or kept (one row per
delivery, the unreadable ones as failed events); nothing unsigned is stored; the server's
memory stays bounded; no card number or customer e-mail reaches the server log."""

import json
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from fault_tools import hmac_b64, hmac_hex, record, secrets_in, stripe_signature

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
SECRET = "faults-fuzz-secret"
ORG_ID = "00DQ0000000EB93MAQ"
CARD = "4242424242424242"
MAX_BODY = 256 * 1024
REQUESTS = 2000
KINDS = ("generic_hmac", "stripe", "shopify", "salesforce", "docusign", "dropbox_sign", "pandadoc")
# Where the signature is inside the body (Dropbox Sign) or the body is the check (Salesforce's
# OrganizationId), a body too broken to read is an unsigned one: 401, never stored.
CHECK_IN_BODY = ("salesforce", "dropbox_sign")
CASES = ("random bytes", "truncated", "deep JSON", "date out of range", "UTF-16/32", "NUL",
         "huge", "wrong content type", "unsigned", "forged")  # fmt: skip


def _customer(index):
    return {"name": f"Fuzz Customer {index}", "email": f"fuzz{index}@example.com", "card": CARD}


def _fixture(path):
    return json.loads((FIXTURES / path).read_text())


class Kind:
    """A valid delivery of one kind for request `index`, how it is signed, and where its time is."""

    content_type = "application/json"

    def __init__(self, name, backend_url):
        self.name, self.url = name, backend_url

    def body(self, index, rng, time_value=None, id_suffix=""):
        raise NotImplementedError

    def sign(self, body, secret=SECRET):
        """(headers, query) of a signed delivery."""
        raise NotImplementedError


class Generic(Kind):
    def body(self, index, rng, time_value=None, id_suffix=""):
        created = int(time.time()) if time_value is None else time_value
        data = {"id": f"FZ-{index}", **_customer(index)}
        return json.dumps(
            {"id": f"evt_fz_{index}{id_suffix}", "type": "contact.updated", "created": created, "data": data}
        ).encode()

    def sign(self, body, secret=SECRET):
        return {"X-Signature": hmac_hex(secret, body)}, {}


class Stripe(Kind):
    def body(self, index, rng, time_value=None, id_suffix=""):
        event = _fixture("stripe/event_customer_updated.json")
        event["id"] = f"evt_fz_{index}{id_suffix}"
        event["created"] = int(time.time()) if time_value is None else time_value
        event["data"]["object"].update(
            id=f"cus_fz{index}", **{k: v for k, v in _customer(index).items() if k != "card"}
        )
        event["data"]["object"]["metadata"] = {"card": CARD}
        return json.dumps(event).encode()

    def sign(self, body, secret=SECRET):
        return {"Stripe-Signature": stripe_signature(secret, body)}, {}


class Shopify(Kind):
    def body(self, index, rng, time_value=None, id_suffix=""):
        order = _fixture("shopify/python/order.json")
        order = order.get("order", order)
        order["id"] = 9_000_000 + index
        order["email"] = f"fuzz{index}@example.com"
        order["note"] = f"card {CARD}{id_suffix}"
        order["updated_at"] = "2026-11-30T10:00:00-05:00" if time_value is None else time_value
        return json.dumps(order).encode()

    def sign(self, body, secret=SECRET):
        headers = {
            "X-Shopify-Hmac-Sha256": hmac_b64(secret, body),
            "X-Shopify-Topic": "orders/updated",
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-API-Version": "2025-07",
        }
        return headers, {}


class Salesforce(Kind):
    content_type = "text/xml"

    def body(self, index, rng, time_value=None, id_suffix="", org=ORG_ID):
        stamp = "2026-11-30T10:00:00.000Z" if time_value is None else time_value
        text = (FIXTURES / "salesforce" / "outbound_message_opportunity.xml").read_text()
        text = text.replace("04lV0000001ALshIAG", f"04lFZ{index:013d}"[:18] + id_suffix)
        text = text.replace("00DQ0000000EB93", org)
        text = text.replace("Test email value", f"fuzz{index}@example.com {CARD}")
        text = text.replace("<sf:AccountId>", f"<sf:SystemModstamp>{stamp}</sf:SystemModstamp><sf:AccountId>")
        return text.encode()

    def sign(self, body, secret=SECRET):
        return {}, {}  # not signed: the OrganizationId in the body is the check


class DocuSign(Kind):
    def body(self, index, rng, time_value=None, id_suffix=""):
        generated = "2026-11-30T10:00:00Z" if time_value is None else time_value
        return json.dumps(
            {
                "event": "envelope-sent",
                "apiVersion": "v2.1",
                "generatedDateTime": generated,
                "data": {
                    "accountId": "fuzz-account",
                    "envelopeId": f"env-fz-{index}{id_suffix}",
                    "envelopeSummary": {
                        "status": "sent",
                        "emailSubject": f"for fuzz{index}@example.com {CARD}",
                    },
                },
            }
        ).encode()

    def sign(self, body, secret=SECRET):
        return {"X-DocuSign-Signature-1": hmac_b64(secret, body)}, {}


class DropboxSign(Kind):
    def body(self, index, rng, time_value=None, id_suffix=""):
        payload = _fixture("dropbox_sign/EventCallbackAccountSignatureRequestSent.json")
        event_time = str(int(time.time()))
        payload["event"]["event_time"] = event_time
        payload["event"]["event_hash"] = hmac_hex(
            SECRET, (event_time + payload["event"]["event_type"]).encode()
        )
        request = payload["signature_request"]
        request["signature_request_id"] = f"fz{index:06d}{id_suffix}"
        request["requester_email_address"] = f"fuzz{index}@example.com"
        request["metadata"] = {"card": CARD}
        if time_value is not None:
            request["created_at"] = time_value
        return json.dumps(payload).encode()

    def sign(self, body, secret=SECRET):
        return {}, {}  # the event_hash is inside the body

    def unsign(self, body):
        payload = json.loads(body)
        del payload["event"]["event_hash"]
        return json.dumps(payload).encode()

    def forge(self, body):
        return body.replace(b'"event_hash": "', b'"event_hash": "00')


class PandaDoc(Kind):
    def body(self, index, rng, time_value=None, id_suffix=""):
        modified = "2026-11-30T10:00:00.000Z" if time_value is None else time_value
        return json.dumps(
            [
                {
                    "event": "document_state_changed",
                    "data": {
                        "id": f"docfz{index}{id_suffix}",
                        "name": f"Contract for fuzz{index}@example.com",
                        "status": "document.sent",
                        "date_modified": modified,
                        "metadata": {"card": CARD},
                    },
                }
            ]
        ).encode()

    def sign(self, body, secret=SECRET):
        return {}, {"signature": hmac_hex(secret, body)}


KIND_CLASSES = {"generic_hmac": Generic, "stripe": Stripe, "shopify": Shopify, "salesforce": Salesforce,
                "docusign": DocuSign, "dropbox_sign": DropboxSign, "pandadoc": PandaDoc}  # fmt: skip


@pytest.fixture(scope="module")
def kinds(admin):
    made = {}
    for name in KINDS:
        values = {"name": f"Fuzz {name}", "kind": name, "state": "active", "max_body_bytes": MAX_BODY}
        values |= {"salesforce_org_id": ORG_ID} if name == "salesforce" else {"webhook_secret": SECRET}
        backend_id = admin.call("integration.backend", "create", values)
        [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
        made[name] = (backend_id, KIND_CLASSES[name](name, f"/integration/webhook/{backend['webhook_uuid']}"))
    yield made
    admin.call("integration.backend", "write", [b for b, _k in made.values()], {"state": "paused"})


def _deep(index, depth):
    return b"[" * depth + f'"{index}"'.encode() + b"]" * depth


def _request(kind, index, rng):
    """(case, body, headers, query, signed) of fuzzed request `index` for `kind`."""
    case = CASES[index % len(CASES)]
    body = kind.body(index, rng)
    signed = True
    if case == "random bytes":
        body = f"{index}:".encode() + rng.randbytes(rng.randint(0, 400))
    elif case == "truncated":
        body = body[: rng.randint(len(body) // 3, len(body) - 2)] + f"#{index}".encode()
    elif case == "deep JSON":
        body = _deep(index, rng.randint(2000, 100000))
        if kind.name == "salesforce":
            depth = rng.randint(500, 20000)
            body = kind.body(index, rng).replace(
                b"<sf:AccountId>", b"<a>" * depth + b"</a>" * depth + b"<sf:AccountId>"
            )
    elif case == "date out of range":
        body = kind.body(
            index,
            rng,
            time_value=rng.choice([10**20, -(10**20), "9999-99-99T99:99:99Z", "+275760-09-13T00:00:01Z"]),
        )
    elif case == "UTF-16/32":
        body = body.decode().encode(rng.choice(["utf-16", "utf-32", "utf-16-be", "utf-32-le"]))
    elif case == "NUL":
        if rng.random() < 0.5:
            body = kind.body(index, rng, id_suffix="\x00" if kind.content_type == "application/json" else "")
            body = body if b"\\u0000" in body else body.replace(b"</Id>", b"\x00</Id>", 1)
        else:
            body = body.replace(b"fuzz", b"fu\x00zz", 1)
    elif case == "huge":
        body = body + b" " * (MAX_BODY + rng.randint(1, 64 * 1024))
    elif case == "unsigned":
        signed = False
        if kind.name == "salesforce":
            body = kind.body(index, rng).replace(ORG_ID[:15].encode(), b"")
        elif kind.name == "dropbox_sign":
            body = kind.unsign(body)
    elif case == "forged":
        signed = False
        if kind.name == "salesforce":
            body = kind.body(index, rng, org="00DQ0000000ZZZZ")
        elif kind.name == "dropbox_sign":
            body = kind.forge(body)
    headers, query = kind.sign(body) if signed or case == "forged" else ({}, {})
    if case == "forged" and kind.name not in CHECK_IN_BODY:
        headers, query = kind.sign(body, secret="not-the-secret")
    headers = {"Content-Type": kind.content_type, **headers}
    if case == "wrong content type":
        headers["Content-Type"] = rng.choice(["text/plain", "application/octet-stream", "x/y", ""])
    return case, body, headers, query, signed


def _expected(kind, case, status):
    """Is `status` what this case must get?"""
    if case == "huge":
        return status == 413
    if case == "wrong content type":
        return status == 415
    if case in ("unsigned", "forged"):
        return status == 401
    if kind.name in CHECK_IN_BODY:
        return status in (200, 401)  # readable enough to check the sender, or not
    return status == 200


def test_two_thousand_fuzzed_requests_over_every_kind(server, admin, kinds):
    rng = random.Random(20261201)
    rows_before = {
        name: admin.call("integration.event", "search_count", [("backend_id", "=", b)])
        for name, (b, _k) in kinds.items()
    }
    log_start = server.log_size()
    rss_before = server.rss_mb()
    fuzzed = []
    for index in range(REQUESTS):
        name = KINDS[index % len(KINDS)]
        fuzzed.append((index, kinds[name][1], *_request(kinds[name][1], index // len(KINDS), rng)))
    statuses, wrong, answered_200 = Counter(), [], Counter()
    kept = []  # signed requests that were stored, to send again
    local = threading.local()

    def send(request):
        index, kind, case, body, headers, query, _signed = request
        session = local.__dict__.setdefault("session", requests.Session())
        if case == "huge" and index % 2:
            data = iter([body[i : i + 65536] for i in range(0, len(body), 65536)])  # chunked, no length
        else:
            data = body
        try:
            response = session.post(
                server.url + kind.url, data=data, headers=headers, params=query, timeout=60
            )
        except requests.ConnectionError:
            # refused before the rest of a chunked upload was read: the server closed the connection
            return kind, case, "closed", "", request
        return kind, case, response.status_code, response.text[:120], request

    started = time.monotonic()
    with ThreadPoolExecutor(3) as pool:  # both HTTP workers busy
        for kind, case, status, text, request in pool.map(send, fuzzed):
            statuses[status] += 1
            if status == "closed" and case == "huge":
                continue
            if status == "closed" or not _expected(kind, case, status):
                wrong.append((kind.name, case, status, text))
            if status == 200:
                answered_200[kind.name] += 1
                kept.append((kind, request[3], request[4], request[5]))
    seconds = time.monotonic() - started
    rss_after = server.rss_mb()

    # Copies of stored deliveries (the vendor retrying): no second row.
    copies = rng.sample(kept, min(100, len(kept)))
    session = requests.Session()
    for kind, body, headers, query in copies:
        if kind.name == "stripe":
            headers = {**headers, **kind.sign(body)[0]}  # a fresh timestamp
        status = session.post(
            server.url + kind.url, data=body, headers=headers, params=query, timeout=60
        ).status_code
        statuses[status] += 1
        if status != 200:
            wrong.append((kind.name, "copy", status, ""))

    rows = {}
    for name, (backend_id, _kind) in kinds.items():
        rows[name] = (
            admin.call("integration.event", "search_count", [("backend_id", "=", backend_id)])
            - rows_before[name]
        )
    failed = admin.call(
        "integration.event",
        "search_count",
        [
            ("backend_id", "in", [b for b, _k in kinds.values()]),
            ("event_type", "=", "unreadable delivery"),
            ("state", "=", "failed"),
        ],
    )
    leaks = secrets_in(server.log_since(log_start), [CARD.encode()])
    five_xx = sum(count for status, count in statuses.items() if status != "closed" and status >= 500)
    record(
        "fuzz, every kind",
        requests=f"{REQUESTS} + {len(copies)} copies in {seconds:.0f} s",
        statuses=dict(sorted(statuses.items(), key=str)),
        **{"5xx": five_xx},
        rows_vs_deliveries=f"{sum(rows.values())} rows / {sum(answered_200.values())} stored deliveries",
        duplicates=sum(rows.values()) - sum(answered_200.values()),
        unreadable_kept_as_failed=failed,
        rss_mb=f"{rss_before} -> {rss_after}",
        pii_in_log=len(leaks),
    )
    assert five_xx == 0, statuses
    assert not wrong, wrong[:20]
    assert rows == {
        name: answered_200[name] for name in KINDS
    }, "one row per stored delivery, none for a copy or a refusal"
    assert failed > 0
    assert not leaks, leaks[:5]
    assert rss_after - rss_before < 200, f"the server's memory grew from {rss_before} to {rss_after} MB"
