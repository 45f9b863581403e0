"""integration_stripe/lib: the signature scheme against the shared vector, typed payloads,
mapping (amounts in minor units are the core toolkit's, tested there)."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from integration_core.lib.http_client import ApiClient
from integration_stripe.lib import mapping, schemas, signatures
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


def test_envelope_of_fixture_event(fixtures_dir):
    body = (fixtures_dir / "stripe" / "event_customer_updated.json").read_bytes()
    event, entity_key = mapping.read_event(body)
    assert event.id == "evt_1DHsSdKCFFPkgtRhy4YMdffC"
    assert event.type == "customer.updated"
    assert entity_key == "cus_DjL8lObxrWj04W"
    assert event.created.isoformat() == "2018-10-05T12:31:15"
    assert event.api_version == "2018-09-24" and not event.has_invoice_payments
    assert isinstance(event.typed_object(), schemas.Customer)


def test_payment_key_groups_a_payment(fixtures_dir):
    charge = json.loads((fixtures_dir / "stripe" / "object_charge.json").read_text())
    refund = json.loads((fixtures_dir / "stripe" / "object_refund.json").read_text())
    typed_charge, typed_refund = schemas.Charge(**charge), schemas.Refund(**refund)
    assert mapping.entity_key(typed_charge) == mapping.entity_key(typed_refund) == charge["id"]
    charge_of_intent = schemas.Charge(
        **{**charge, "payment_intent": "pi_1", "captured": True, "amount_captured": 100}
    )
    assert mapping.entity_key(charge_of_intent) == "pi_1"
    payment = mapping.payment_of(charge_of_intent)
    assert (payment.key, payment.charge_id, payment.extra_keys) == ("pi_1", charge["id"], [charge["id"]])
    assert payment.amount == 100
    # The fixture charge is an authorisation (captured: false): nothing captured yet.
    assert mapping.payment_of(typed_charge).amount == 0


@pytest.mark.parametrize(
    "body",
    [b"{nope", b"[]", b'{"id": "x", "type": "a", "data": {"object": {"id": "1"}}}', b'{"id": "evt_1"}'],
)
def test_malformed_events(body):
    with pytest.raises(schemas.StripePayloadError):
        mapping.read_event(body)


def test_refund_facts_from_fixture(fixtures_dir):
    refund = schemas.Refund(**json.loads((fixtures_dir / "stripe" / "object_refund.json").read_text()))
    assert (refund.id, mapping.payment_key(refund), refund.amount, refund.currency) == (
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


def test_invoice_from_fixture(fixtures_dir):
    data = json.loads((fixtures_dir / "stripe" / "object_invoice.json").read_text())
    invoice = schemas.Invoice(**data)
    assert (invoice.id, invoice.customer, invoice.currency, invoice.total) == (
        "in_1Pgc6tB7WZ01zgkWu9fdqL6I",
        "cus_QXg1o8vcGmoR32",
        "usd",
        1000,
    )
    assert list(mapping.invoice_lines(invoice)) == [
        ("My First Invoice Item (created for API docs)", 1000, 0, [])
    ]
    with pytest.raises(schemas.StripePayloadError, match="lines"):
        schemas.parse(schemas.Invoice, {**data, "lines": {"data": []}})
    assert schemas.Subscription(id="sub_1", customer={"id": "cus_1"}, status="active").customer == "cus_1"


def test_taxes_of_both_api_shapes(fixtures_dir):
    data = json.loads((fixtures_dir / "stripe" / "object_invoice.json").read_text())
    line = data["lines"]["data"][0]
    old = {
        **line,
        "tax_amounts": [{"amount": 190, "inclusive": False, "taxable_amount": 1000}],
        "taxes": None,
    }
    new = {**line, "taxes": [{"amount": 190, "tax_behavior": "inclusive", "taxable_amount": 1000}]}
    for shape, inclusive in ((old, False), (new, True)):
        [tax] = schemas.InvoiceLine(**shape).all_taxes
        assert (mapping.tax_percent(tax), tax.is_inclusive) == (19.0, inclusive)


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"amount": "100"}, "amount"),  # minor units are integers, not text
        ({"amount": True}, "amount"),
        ({"amount": 0}, "amount"),
        ({"id": "py"}, "id"),
        ({"currency": None}, "currency"),
    ],
)
def test_charge_errors_name_the_field(fixtures_dir, changes, where):
    data = json.loads((fixtures_dir / "stripe" / "object_charge.json").read_text())
    with pytest.raises(schemas.StripePayloadError, match=f"charge: {where}"):
        schemas.parse(schemas.Charge, {**data, **changes}, "charge")


def test_extra_fields_are_ignored_and_expandables_read(fixtures_dir):
    data = json.loads((fixtures_dir / "stripe" / "object_payment_intent.json").read_text())
    intent = schemas.PaymentIntent(
        **{**data, "customer": {"id": "cus_1", "object": "customer"}, "new_field": 1}
    )
    assert intent.customer == "cus_1" and not hasattr(intent, "new_field")
    # The fixture intent waits for a payment method: nothing received, nothing to book.
    assert mapping.payment_of(intent).amount == 0
    assert (
        mapping.payment_of(intent.model_copy(update={"status": "succeeded", "amount_received": 1099})).amount
        == 1099
    )


def test_clock_skew_allowance_instead_of_abs(signature_vectors, fixtures_dir):
    vector, body = _vector(signature_vectors, fixtures_dir)
    t = vector["timestamp"]
    assert signatures.verify(body, vector["header"], [vector["secret"]], now=t - 30) == t
    with pytest.raises(signatures.StripeSignatureError, match="future"):
        signatures.verify(body, vector["header"], [vector["secret"]], now=t - signatures.CLOCK_SKEW - 1)


def test_summary_names_amount_payer_and_reference(fixtures_dir):
    """The title of a Stripe event in every list: the business object, amount in the
    currency's own decimals, payer, Stripe reference."""
    charge = json.loads((fixtures_dir / "stripe" / "object_charge.json").read_text())
    charge.update(amount=4242, amount_captured=4242, captured=True, status="succeeded", currency="usd")
    charge["billing_details"]["email"] = "jane@example.com"
    envelope = json.loads((fixtures_dir / "stripe" / "object_event.json").read_text())
    envelope.update(type="charge.succeeded", data={"object": charge})
    event, key, summary = mapping.read_event_summary(json.dumps(envelope).encode())
    assert summary == f"Payment 42.42 USD from jane@example.com ({charge['id']})"
    charge.update(currency="jpy", amount=5000, amount_captured=5000)
    envelope["data"] = {"object": charge}
    assert "Payment 5000 JPY" in mapping.read_event_summary(json.dumps(envelope).encode())[2]


def test_summary_of_customer_fixture(fixtures_dir):
    body = (fixtures_dir / "stripe" / "event_customer_updated.json").read_bytes()
    assert mapping.read_event_summary(body)[2].startswith("Customer ")


def test_payment_link_carries_the_deal_on_the_link_and_its_payment_intent():
    fields = mapping.payment_link_request("INV/2026/00042", 1180000, "usd", "Invoice", deal_ref="deal-0123")
    link = fields["link"]
    assert link["metadata[odoo_deal]"] == "deal-0123"
    assert link["payment_intent_data[metadata][odoo_deal]"] == "deal-0123"
    assert link["payment_intent_data[metadata][odoo_invoice]"] == "INV/2026/00042"
    assert fields["price"]["metadata[odoo_deal]"] == "deal-0123"
    plain = mapping.payment_link_request("INV/2026/00042", 100, "usd", "Invoice")
    assert not any("odoo_deal" in key for key in plain["link"])


def test_deal_reference_read_back_from_metadata():
    assert mapping.deal_reference({"id": "pi_1", "metadata": {"odoo_deal": "deal-0123"}}) == "deal-0123"
    assert mapping.deal_reference({"id": "pi_1", "metadata": {}}) == ""
    assert mapping.deal_reference({"id": "pi_1", "metadata": None}) == ""
    assert mapping.deal_reference({"id": "pi_1"}) == ""
