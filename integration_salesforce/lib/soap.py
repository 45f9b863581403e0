"""Salesforce Outbound Messages (SOAP 1.1): read the notifications, answer the Ack.

Outbound Messages are not signed. What identifies the sender is the `OrganizationId`
(checked by the caller with `same_org`) and, optionally, the source IP. The XML comes from
outside, so it is parsed with entity resolution and network access off, and a document
that declares a DTD at all is refused: no entity of it is ever read."""

from dataclasses import dataclass, field

from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MAX_NOTIFICATIONS = 100  # Salesforce sends at most 100 notifications in one message

ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>'
    f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
)


class SoapMessageError(ValueError):
    """The body is not an Outbound Message this connector can read."""


@dataclass
class Notification:
    notification_id: str  # `Notification/Id`: the dedup key
    sobject_type: str  # `Opportunity`, `Account`, ... from xsi:type="sf:Opportunity"
    values: dict = field(default_factory=dict)  # field API name -> text (None for xsi:nil)

    @property
    def record_id(self):
        return self.values.get("Id") or ""


@dataclass
class OutboundMessage:
    organization_id: str
    action_id: str
    session_id: str | None
    enterprise_url: str
    partner_url: str
    notifications: list[Notification]


def _parser():
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def _local(tag):
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(element):
    if element is None:
        return None
    if element.get(f"{{{XSI_NS}}}nil") == "true":
        return None
    return (element.text or "").strip()


def parse_outbound_message(body: bytes) -> OutboundMessage:
    """The notifications of one Outbound Message, in the order Salesforce sent them."""
    if not body or not body.strip():
        raise SoapMessageError("empty body")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise SoapMessageError(f"not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise SoapMessageError("a document type declaration is not allowed (XML entities are refused)")
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapMessageError("not a SOAP 1.1 envelope")
    notifications_el = root.find(f"{{{SOAP_ENV}}}Body/{{{OUTBOUND_NS}}}notifications")
    if notifications_el is None:
        raise SoapMessageError("no <notifications> in the SOAP body")

    def child(name):
        return notifications_el.find(f"{{{OUTBOUND_NS}}}{name}")

    organization_id = _text(child("OrganizationId"))
    if not organization_id:
        raise SoapMessageError("OrganizationId missing")
    notifications = []
    for item in notifications_el.findall(f"{{{OUTBOUND_NS}}}Notification"):
        notifications.append(_notification(item))
    if not notifications:
        raise SoapMessageError("the message holds no Notification")
    if len(notifications) > MAX_NOTIFICATIONS:
        raise SoapMessageError(f"{len(notifications)} notifications (Salesforce sends at most 100)")
    return OutboundMessage(
        organization_id=organization_id,
        action_id=_text(child("ActionId")) or "",
        session_id=_text(child("SessionId")),
        enterprise_url=_text(child("EnterpriseUrl")) or "",
        partner_url=_text(child("PartnerUrl")) or "",
        notifications=notifications,
    )


def _notification(item):
    notification_id = _text(item.find(f"{{{OUTBOUND_NS}}}Id"))
    sobject = item.find(f"{{{OUTBOUND_NS}}}sObject")
    if not notification_id or sobject is None:
        raise SoapMessageError("a Notification has no Id or no sObject")
    xsi_type = sobject.get(f"{{{XSI_NS}}}type") or ""
    sobject_type = xsi_type.split(":", 1)[-1]
    if not sobject_type:
        raise SoapMessageError(f"Notification {notification_id}: sObject without xsi:type")
    values = {}
    for element in sobject:
        name = _local(element.tag)
        if name:
            values[name] = _text(element)
    if not values.get("Id"):
        raise SoapMessageError(f"Notification {notification_id}: sObject without Id")
    return Notification(notification_id, sobject_type, values)


def org_id_15(org_id: str) -> str:
    """The case-sensitive 15-character form of a Salesforce id (18-character ids add a
    case-insensitive checksum suffix)."""
    return (org_id or "").strip()[:15]


def same_org(expected: str, received: str) -> bool:
    expected, received = org_id_15(expected), org_id_15(received)
    return len(expected) == 15 and expected == received
