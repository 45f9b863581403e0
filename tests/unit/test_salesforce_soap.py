from pathlib import Path

import pytest
from lxml import etree

from integration_salesforce.lib import soap
from integration_salesforce.lib.schemas import Opportunity


@pytest.fixture
def outbound_xml(fixtures_dir):
    return (fixtures_dir / "salesforce" / "outbound_message_opportunity.xml").read_bytes()


def many_notifications(xml: bytes, count: int) -> bytes:
    """The shared fixture with its one Notification repeated `count` times (ids made unique)."""
    root = etree.fromstring(xml)
    ns = {"o": soap.OUTBOUND_NS}
    notifications = root.find(".//o:notifications", ns)
    template = notifications.find("o:Notification", ns)
    notifications.remove(template)
    for index in range(count):
        copy = etree.fromstring(etree.tostring(template))
        copy.find("o:Id", ns).text = f"04lV0000001A{index:06d}"
        notifications.append(copy)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_shared_fixture_reads_as_one_opportunity_notification(outbound_xml):
    message = soap.parse_outbound_message(outbound_xml)
    assert message.organization_id == "00DQ0000000EB93"
    assert message.action_id == "04kV0000000CaSPIA0"
    assert message.session_id is None  # xsi:nil
    assert message.partner_url.startswith("https://cs12-api.salesforce.com/services/Soap/u/23.0/")
    [notification] = message.notifications
    assert notification.notification_id == "04lV0000001ALshIAG"
    assert notification.sobject_type == "Opportunity"
    assert notification.record_id == "006Q0000009N3gf"
    assert notification.values["AccountId"] == "001Q000000SvOoG"
    opportunity = Opportunity.model_validate(notification.values)
    assert (opportunity.id, opportunity.account_id, opportunity.is_won) == (
        "006Q0000009N3gf",
        "001Q000000SvOoG",
        False,
    )


def test_hundred_notifications_in_one_message(outbound_xml):
    message = soap.parse_outbound_message(many_notifications(outbound_xml, 100))
    ids = [n.notification_id for n in message.notifications]
    assert len(ids) == 100 and len(set(ids)) == 100
    assert ids[0].endswith("000000") and ids[-1].endswith("000099")  # order kept


def test_more_than_a_hundred_is_not_an_outbound_message(outbound_xml):
    with pytest.raises(soap.SoapMessageError, match="at most 100"):
        soap.parse_outbound_message(many_notifications(outbound_xml, 101))


def test_xxe_payload_is_refused_and_reads_nothing(outbound_xml, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    hostile = outbound_xml.replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode(),
    ).replace(b"Test email value", b"&xxe;")
    with pytest.raises(soap.SoapMessageError, match="document type declaration") as info:
        soap.parse_outbound_message(hostile)
    assert "TOP-SECRET" not in str(info.value)


def test_external_dtd_over_the_network_is_refused(outbound_xml):
    hostile = outbound_xml.replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">',
    )
    with pytest.raises(soap.SoapMessageError):
        soap.parse_outbound_message(hostile)


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"", "empty"),
        (b"<not-closed", "well-formed"),
        (b'{"json": true}', "well-formed"),
        (b"<a/>", "SOAP"),
        (
            b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>',
            "notifications",
        ),
    ],
)
def test_malformed_bodies(body, reason):
    with pytest.raises(soap.SoapMessageError, match=reason):
        soap.parse_outbound_message(body)


def test_notification_without_sobject_id_is_refused(outbound_xml):
    body = outbound_xml.replace(b"<sf:Id>006Q0000009N3gf</sf:Id>", b"")
    with pytest.raises(soap.SoapMessageError, match="without Id"):
        soap.parse_outbound_message(body)


def test_missing_organization_id_is_refused(outbound_xml):
    body = outbound_xml.replace(b"<OrganizationId>00DQ0000000EB93</OrganizationId>", b"")
    with pytest.raises(soap.SoapMessageError, match="OrganizationId"):
        soap.parse_outbound_message(body)


@pytest.mark.parametrize(
    "configured, received, same",
    [
        ("00DQ0000000EB93", "00DQ0000000EB93", True),
        ("00DQ0000000EB93AAA", "00DQ0000000EB93", True),  # 18 vs 15 characters
        ("00DQ0000000EB93", "00DQ0000000EB93MAQ", True),
        ("00DQ0000000EB93", "00dq0000000eb93", False),  # the 15-character id is case-sensitive
        ("00DQ0000000EB94", "00DQ0000000EB93", False),
        ("", "00DQ0000000EB93", False),  # nothing configured accepts nothing
    ],
)
def test_organization_id_compare(configured, received, same):
    assert soap.same_org(configured, received) is same


def test_ack_is_a_soap_notifications_response():
    root = etree.fromstring(soap.ACK.encode())
    ack = root.find(f".//{{{soap.OUTBOUND_NS}}}notificationsResponse/{{{soap.OUTBOUND_NS}}}Ack")
    assert root.tag == f"{{{soap.SOAP_ENV}}}Envelope"
    assert ack.text == "true"


def test_text_values_become_typed_facts(outbound_xml):
    body = outbound_xml.replace(
        b"<sf:Billing_Contact_Email__c>",
        b"<sf:IsWon>true</sf:IsWon><sf:Amount>1200.50</sf:Amount>"
        b"<sf:SystemModstamp>2026-11-30T09:15:00.000Z</sf:SystemModstamp><sf:Billing_Contact_Email__c>",
    )
    [notification] = soap.parse_outbound_message(body).notifications
    opportunity = Opportunity.model_validate(notification.values)
    assert opportunity.is_won is True
    assert str(opportunity.amount) == "1200.50"
    assert opportunity.version.isoformat().startswith("2026-11-30T09:15:00")


assert Path(__file__).name.startswith("test_salesforce_")
