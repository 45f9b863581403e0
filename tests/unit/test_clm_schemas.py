import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from integration_clm.lib import lifecycle as lc
from integration_clm.lib.schemas import (
    DEAL_FIELD,
    ContractPayloadError,
    dropbox_sign_json,
    parse_docusign,
    parse_dropbox_sign,
    split_pandadoc,
)

XML = "docusign/connect_envelope_completed.xml"
DROPBOX = "dropbox_sign/EventCallbackAccountSignatureRequestSent.json"

# Connect 2.0 (SIM) JSON, the shape of DocuSign's "JSON SIM event model" documentation.
DOCUSIGN_JSON = {
    "event": "envelope-completed",
    "apiVersion": "v2.1",
    "uri": "/restapi/v2.1/accounts/a1/envelopes/env-1",
    "retryCount": 0,
    "configurationId": 10501,
    "generatedDateTime": "2026-11-30T10:00:05.1234567Z",
    "data": {
        "accountId": "a1",
        "userId": "u1",
        "envelopeId": "env-1",
        "envelopeSummary": {
            "status": "completed",
            "emailSubject": "Please sign S00042",
            "statusChangedDateTime": "2026-11-30T10:00:00.000Z",
            "customFields": {
                "textCustomFields": [
                    {"name": "odoo_order", "value": "S00042"},
                    {"name": "contract_amount", "value": "1250.00"},
                    {"name": "contract_currency", "value": "usd"},
                    {"name": "term_start", "value": "2027-01-01"},
                    {"name": "term_end", "value": "2027-12-31"},
                ]
            },
            "recipients": {
                "signers": [{"email": "buyer@example.com", "name": "Bea Buyer", "status": "completed"}]
            },
        },
    },
}


def test_docusign_xml_fixture_as_it_is(fixtures_dir):
    facts = parse_docusign((fixtures_dir / XML).read_bytes())
    assert facts.external_id == "08740f95-2187-4b01-9a69-452ae3140752"
    assert facts.status == lc.SIGNED
    assert facts.pdf_ready
    assert facts.signer_email == "larry.kluger@example.com"
    # 23:56:54.59 Pacific (offset -7) is 06:56:54.59 UTC the next day
    assert facts.occurred_at == datetime(2020, 3, 29, 6, 56, 54, 590000)
    assert facts.custom_fields["AccountName"] == "World Wide Corp"
    assert facts.order_ref == ""  # no odoo_order on this envelope


def test_docusign_xml_with_order_field_and_sent_status(fixtures_dir):
    xml = (fixtures_dir / XML).read_text()
    xml = xml.replace("<Status>Completed</Status>\n      <Created>", "<Status>Sent</Status>\n      <Created>")
    xml = xml.replace(
        "<CustomFields>\n         <CustomField>",
        "<CustomFields>\n         <CustomField><Name>odoo_order</Name><Value>S00042</Value></CustomField>\n"
        "         <CustomField>",
    )
    facts = parse_docusign(xml.encode())
    assert facts.status == lc.SENT
    assert facts.order_ref == "S00042"
    assert facts.dedup_key != parse_docusign((fixtures_dir / XML).read_bytes()).dedup_key


def test_docusign_xml_entities_are_not_resolved():
    xml = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
    <DocuSignEnvelopeInformation xmlns="http://www.docusign.net/API/3.0"><EnvelopeStatus>
    <EnvelopeID>e1</EnvelopeID><Status>Sent</Status><Subject>&e;</Subject></EnvelopeStatus>
    </DocuSignEnvelopeInformation>"""
    facts = parse_docusign(xml)
    assert "root:" not in facts.title


@pytest.mark.parametrize(
    "body",
    [b"<not-xml", b"<Other xmlns='x'/>", b"{not json", b'{"event": "envelope-sent"}', b"[]"],
)
def test_docusign_malformed(body):
    with pytest.raises(ContractPayloadError):
        parse_docusign(body)


def test_docusign_json_sim():
    facts = parse_docusign(json.dumps(DOCUSIGN_JSON))
    assert facts.external_id == "env-1"
    assert facts.status == lc.SIGNED
    assert facts.order_ref == "S00042"
    assert facts.amount == Decimal("1250.00")
    assert facts.currency == "USD"
    assert facts.term_start == date(2027, 1, 1)
    assert facts.term_end == date(2027, 12, 31)
    assert facts.signer_email == "buyer@example.com"
    assert facts.occurred_at == datetime(2026, 11, 30, 10, 0)


def test_docusign_json_salesforce_and_amendment_fields():
    payload = json.loads(json.dumps(DOCUSIGN_JSON))
    payload["data"]["envelopeSummary"]["customFields"]["textCustomFields"] = [
        {"name": "##SFOpportunity", "value": "006000000000001AAA"},
        {"name": "odoo_contract", "value": "env-0"},
    ]
    facts = parse_docusign(json.dumps(payload))
    assert facts.salesforce_ref == "006000000000001AAA"
    assert facts.amends == "env-0"
    assert facts.order_ref == ""


def test_docusign_json_bad_amount_is_a_payload_error():
    payload = json.loads(json.dumps(DOCUSIGN_JSON))
    payload["data"]["envelopeSummary"]["customFields"]["textCustomFields"][1]["value"] = "lots"
    with pytest.raises(ContractPayloadError, match="contract_amount"):
        parse_docusign(json.dumps(payload))


def test_docusign_event_name_when_no_summary():
    payload = {
        "event": "envelope-voided",
        "generatedDateTime": "2026-11-30T10:00:00Z",
        "data": {"envelopeId": "e9"},
    }
    assert parse_docusign(json.dumps(payload)).status == lc.VOIDED


def test_dropbox_sign_fixture_as_it_is(fixtures_dir):
    callback = parse_dropbox_sign(
        dropbox_sign_json((fixtures_dir / DROPBOX).read_bytes(), "application/json")
    )
    facts = callback.facts()
    assert callback.event.event_hash.startswith("3a31324d")
    assert facts.external_id == "fa5c8a0b0f492d768749333ad6fcc214c111e967"
    assert facts.status == lc.SENT
    assert facts.signer_email == "john@example.com"
    assert facts.dedup_key == "fa5c8a0b0f492d768749333ad6fcc214c111e967:signature_request_sent:1348177752"


def _multipart(json_text, boundary="----clmBoundary"):
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="json"\r\n\r\n'
    return f"{head}{json_text}\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_dropbox_sign_multipart_json_field(fixtures_dir):
    payload = json.loads((fixtures_dir / DROPBOX).read_text())
    payload["event"]["event_type"] = "signature_request_all_signed"
    payload["signature_request"]["metadata"] = {"odoo_order": "S00042", "contract_amount": "99.90"}
    body, content_type = _multipart(json.dumps(payload))
    facts = parse_dropbox_sign(dropbox_sign_json(body, content_type)).facts()
    assert facts.status == lc.SIGNED
    assert facts.order_ref == "S00042"
    assert facts.amount == Decimal("99.90")


def test_dropbox_sign_multipart_without_json_field():
    body = b'--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--b--\r\n'
    with pytest.raises(ContractPayloadError, match="json"):
        dropbox_sign_json(body, "multipart/form-data; boundary=b")


def test_dropbox_sign_callback_test():
    text = json.dumps(
        {"event": {"event_time": "1700000000", "event_type": "callback_test", "event_hash": "x"}}
    )
    facts = parse_dropbox_sign(text).facts()
    assert facts.is_test
    assert facts.status is None


def test_dropbox_sign_downloadable_and_declined(fixtures_dir):
    payload = json.loads((fixtures_dir / DROPBOX).read_text())
    payload["event"]["event_type"] = "signature_request_downloadable"
    assert parse_dropbox_sign(json.dumps(payload)).facts().pdf_ready
    payload["event"]["event_type"] = "signature_request_declined"
    payload["signature_request"]["signatures"][0]["decline_reason"] = "Price too high"
    facts = parse_dropbox_sign(json.dumps(payload)).facts()
    assert (facts.status, facts.reason) == (lc.DECLINED, "Price too high")


def test_dropbox_sign_malformed():
    with pytest.raises(ContractPayloadError):
        parse_dropbox_sign('{"event": {"event_type": "signature_request_sent"}}')


def _pandadoc(doc_id, status, modified, event="document_state_changed", **data):
    return {
        "event": event,
        "data": {"id": doc_id, "name": "Quote", "status": status, "date_modified": modified, **data},
    }


def test_pandadoc_array_of_three_gives_three():
    body = json.dumps(
        [
            _pandadoc("d1", "document.sent", "2026-11-30T10:00:00.000000Z", metadata={"odoo_order": "S1"}),
            _pandadoc("d1", "document.viewed", "2026-11-30T10:05:00.000000Z"),
            _pandadoc(
                "d1",
                "document.completed",
                "2026-11-30T10:09:00.000000Z",
                grand_total={"amount": "1500.00", "currency": "EUR"},
                recipients=[{"email": "c@example.com", "first_name": "Cara", "last_name": "Client"}],
            ),
        ]
    ).encode()
    items = split_pandadoc(body)
    assert [f.status for f, _text in items] == [lc.SENT, lc.VIEWED, lc.SIGNED]
    assert len({f.dedup_key for f, _text in items}) == 3
    completed = items[2][0]
    assert (completed.amount, completed.currency, completed.signer_name) == (
        Decimal("1500.00"),
        "EUR",
        "Cara Client",
    )
    assert json.loads(items[0][1])["data"]["metadata"] == {"odoo_order": "S1"}


@pytest.mark.parametrize("body", [b"[]", b"{oops", b'[{"event": "document_state_changed"}]', b'"text"'])
def test_pandadoc_malformed(body):
    with pytest.raises(ContractPayloadError):
        split_pandadoc(body)


def test_amended_lines():
    from integration_clm.lib.schemas import amended_lines

    payload = json.loads(json.dumps(DOCUSIGN_JSON))
    lines = json.dumps([{"product": "SUB-1", "quantity": "12", "price_unit": "90.50"}])
    payload["data"]["envelopeSummary"]["customFields"]["textCustomFields"].append(
        {"name": "odoo_lines", "value": lines}
    )
    facts = parse_docusign(json.dumps(payload))
    [line] = amended_lines(facts)
    assert (line.product, line.quantity, line.price_unit) == ("SUB-1", Decimal("12"), Decimal("90.50"))
    facts.custom_fields["odoo_lines"] = '[{"product": "SUB-1", "quantity": -1}]'
    with pytest.raises(ContractPayloadError):
        amended_lines(facts)
    facts.custom_fields["odoo_lines"] = "{}"
    with pytest.raises(ContractPayloadError):
        amended_lines(facts)


def test_dropbox_sign_signed_part_reads_without_the_request(fixtures_dir):
    from integration_clm.lib.schemas import dropbox_sign_event

    payload = json.loads((fixtures_dir / DROPBOX).read_text())
    del payload["signature_request"]["signature_request_id"]
    event = dropbox_sign_event(json.dumps(payload))
    assert (event.event_time, event.event_type) == ("1348177752", "signature_request_sent")
    with pytest.raises(ContractPayloadError):
        parse_dropbox_sign(json.dumps(payload))
    with pytest.raises(ContractPayloadError):
        dropbox_sign_event("{}")


def test_summary_says_what_the_event_is_about(fixtures_dir):
    facts = parse_docusign(json.dumps(DOCUSIGN_JSON))
    assert facts.summary() == "DocuSign envelope env-1 signed (S00042)"
    xml = parse_docusign((fixtures_dir / XML).read_bytes())
    assert xml.summary() == "DocuSign envelope 08740f95-218 signed (larry.kluger@example.com)"
    test = parse_dropbox_sign(
        json.dumps({"event": {"event_time": "1700000000", "event_type": "callback_test", "event_hash": "x"}})
    )
    assert test.facts().summary() == "Dropbox Sign callback test"


def test_docusign_xml_gives_back_the_deal_correlation_id(fixtures_dir):
    field = "<CustomField><Name>odoo_deal</Name><Value>deal-0123</Value></CustomField>"
    xml = (fixtures_dir / XML).read_text()
    xml = xml.replace("<CustomFields>\n         <CustomField>", f"<CustomFields>{field}<CustomField>", 1)
    facts = parse_docusign(xml.encode())
    assert facts.custom_fields[DEAL_FIELD] == "deal-0123"
