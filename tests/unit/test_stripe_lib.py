"""integration_stripe/lib: the signature scheme against the shared vector, money, mapping."""

import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from integration_core.lib.http_client import ApiClient
from integration_stripe.lib import mapping, money, signatures
from integration_stripe.lib.client import API_BASE, StripeClient, auth_headers


def _vector(signature_vectors, fixtures_dir):
    vector = signature_vectors["stripe_A_webhook_secret"]
    body = (fixtures_dir / vector["body_file"]).read_bytes()
    assert len(body) == vector["body_bytes"]
    return vector, body


def test_shared_vector_header_verifies(signature_vectors, fixtures_dir):
    vector, body = _vector(signature_vectors, fixtures_dir)
    t = vector["timestamp"]
    assert signatures.compute_signature(vector["secret"], t, body) == vector["expected_v1"]
    assert signatures.verify(body, vector["header"], [vector["secret"]], now=t + 299) == t


def test_vector_is_refused_when_stale_or_wrong_secret(signature_vectors, fixtures_dir):
    vector, body = _vector(signature_vectors, fixtures_dir)
    t = vector["timestamp"]
    with pytest.raises(signatures.StripeSignatureError, match="tolerance"):
        signatures.verify(body, vector["header"], [vector["secret"]], now=t + 301)
    with pytest.raises(signatures.StripeSignatureError, match="matches"):
        signatures.verify(body, vector["header"], ["whsec_other"], now=t)
    with pytest.raises(signatures.StripeSignatureError):
        signatures.verify(body + b" ", vector["header"], [vector["secret"]], now=t)


def test_any_v1_matches_and_previous_secret_accepted(signature_vectors, fixtures_dir):
    vector, body = _vector(signature_vectors, fixtures_dir)
    t = vector["timestamp"]
    rolled = f"t={t},v1={'0' * 64},v1={vector['expected_v1']}"
    signatures.verify(body, rolled, ["whsec_new", vector["secret"]], now=t)
    v0_only = f"t={t},v0={vector['expected_v1']}"
    with pytest.raises(signatures.StripeSignatureError, match="no v1"):
        signatures.verify(body, v0_only, [vector["secret"]], now=t)


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=abc,v1=abc", "t=1"])
def test_malformed_headers(header):
    with pytest.raises(signatures.StripeSignatureError):
        signatures.verify(b"{}", header, ["s"], now=1)


def test_money_by_decimal_places():
    assert money.to_amount(12345, 2) == Decimal("123.45")
    assert money.to_amount(500, 0) == Decimal("500")
    assert money.to_amount(1005, 3) == Decimal("1.005")
    assert money.to_minor(123.45, 2) == 12345
    assert money.to_minor(0.1 + 0.2, 2) == 30
    assert money.to_minor(500.0, 0) == 500
    assert money.format_minor(500, 0, "jpy") == "500 JPY"
    with pytest.raises(ValueError):
        money.to_amount("10.00", 2)


def test_envelope_of_fixture_event(fixtures_dir):
    body = (fixtures_dir / "stripe" / "event_customer_updated.json").read_bytes()
    envelope, event = mapping.read_event(body)
    assert envelope.event_id == "evt_1DHsSdKCFFPkgtRhy4YMdffC"
    assert envelope.event_type == "customer.updated"
    assert envelope.entity_key == "cus_DjL8lObxrWj04W"
    assert envelope.created.isoformat() == "2018-10-05T12:31:15"
    assert event["data"]["object"]["object"] == "customer"


def test_payment_key_groups_a_payment(fixtures_dir):
    charge = json.loads((fixtures_dir / "stripe" / "object_charge.json").read_text())
    refund = json.loads((fixtures_dir / "stripe" / "object_refund.json").read_text())
    assert mapping.entity_key(charge) == mapping.entity_key(refund) == charge["id"]
    charge_of_intent = {**charge, "payment_intent": "pi_1"}
    assert mapping.entity_key(charge_of_intent) == "pi_1"
    facts = mapping.payment_facts(charge_of_intent)
    assert (facts.key, facts.charge_id, facts.extra_keys) == ("pi_1", charge["id"], [charge["id"]])
    assert facts.amount == 100


@pytest.mark.parametrize(
    "body",
    [b"{nope", b"[]", b'{"id": "x", "type": "a", "data": {"object": {"id": "1"}}}', b'{"id": "evt_1"}'],
)
def test_malformed_events(body):
    with pytest.raises(mapping.StripePayloadError):
        mapping.read_event(body)


def test_refund_facts_from_fixture(fixtures_dir):
    refund = json.loads((fixtures_dir / "stripe" / "object_refund.json").read_text())
    facts = mapping.refund_facts(refund)
    assert (facts.refund_id, facts.key, facts.amount, facts.currency) == (
        "re_1Pgc72B7WZ01zgkWqPvrRrPE",
        "ch_1PgafuB7WZ01zgkWXYmPNZs8",
        100,
        "usd",
    )


@responses.activate
def test_balance_transactions_are_paginated():
    url = "https://api.stripe.com/v1/balance_transactions"
    responses.get(url, json={"data": [{"id": "txn_1"}, {"id": "txn_2"}], "has_more": True})
    responses.get(url, json={"data": [{"id": "txn_3"}], "has_more": False})
    api = ApiClient(API_BASE, headers=auth_headers("sk_test_x"))
    ids = [t["id"] for t in StripeClient(api).list_balance_transactions(payout="po_1")]
    assert ids == ["txn_1", "txn_2", "txn_3"]
    first, second = (parse_qs(urlsplit(call.request.url).query) for call in responses.calls)
    assert "starting_after" not in first
    assert second["starting_after"] == ["txn_2"]
    assert second["payout"] == ["po_1"]
    assert responses.calls[0].request.headers["Authorization"] == "Bearer sk_test_x"


def test_refund_request_targets_intent_or_charge():
    assert mapping.refund_request("pi_1", 500, "RINV/1") == {
        "payment_intent": "pi_1",
        "amount": "500",
        "metadata[odoo_credit_note]": "RINV/1",
    }
    assert "charge" in mapping.refund_request("ch_1", 500, "RINV/1")


def test_invoice_facts_from_fixture(fixtures_dir):
    invoice = json.loads((fixtures_dir / "stripe" / "object_invoice.json").read_text())
    facts = mapping.invoice_facts(invoice)
    assert (facts.invoice_id, facts.customer, facts.currency) == (
        "in_1Pgc6tB7WZ01zgkWu9fdqL6I",
        "cus_QXg1o8vcGmoR32",
        "usd",
    )
    assert facts.lines == [("My First Invoice Item (created for API docs)", 1000)]
    with pytest.raises(mapping.StripePayloadError):
        mapping.invoice_facts({**invoice, "lines": {"data": []}})
    assert mapping.subscription_state(
        {"id": "sub_1", "customer": "cus_1", "status": "active"}, "customer.subscription.deleted"
    ) == ("sub_1", "cus_1", "canceled")
