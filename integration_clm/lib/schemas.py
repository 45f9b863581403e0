"""Typed models of what DocuSign, Dropbox Sign and PandaDoc send (pydantic v2, pure Python).

Each vendor shape is read once into its model and turned into one `ContractFacts`: the
contract's identity, its normalised status, the facts that say which order it belongs to,
and the terms to check against that order. The Odoo layer only ever sees ContractFacts."""

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import lifecycle

# Custom field / metadata names carried on every envelope Odoo sends (and read back).
ORDER_FIELD = "odoo_order"
DEAL_FIELD = "odoo_deal"  # the deal correlation id (integration.deal), sent and read back
CONTRACT_FIELD = "odoo_contract"  # on an amendment: the contract it amends
AMOUNT_FIELD = "contract_amount"
CURRENCY_FIELD = "contract_currency"
TERM_START_FIELD = "term_start"
TERM_END_FIELD = "term_end"
# Salesforce ids: ours, and the names DocuSign's own Salesforce app writes.
SALESFORCE_FIELDS = ("salesforce_quote_id", "salesforce_opportunity_id", "##SFQuote", "##SFOpportunity")

DOCUSIGN_NS = "http://www.docusign.net/API/3.0"


class ContractPayloadError(ValueError):
    """The body is signed but is not a delivery this connector can read."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ContractFacts(_Model):
    """One vendor event about one contract, in business terms."""

    provider: str
    external_id: str = Field(min_length=1)
    event_type: str
    dedup_key: str = Field(min_length=1)
    status: str | None = None  # lifecycle state, None: this event changes no state
    occurred_at: datetime | None = None
    is_test: bool = False
    pdf_ready: bool = False
    order_ref: str = ""
    salesforce_ref: str = ""
    amends: str = ""
    signer_email: str = ""
    signer_name: str = ""
    amount: Decimal | None = None
    currency: str = ""
    term_start: date | None = None
    term_end: date | None = None
    reason: str = ""
    title: str = ""
    custom_fields: dict[str, str] = {}

    def summary(self) -> str:
        """What the event is about, in business words (the event's title in Odoo's lists)."""
        vendor = PROVIDER_LABELS.get(self.provider, self.provider)
        if self.is_test:
            return f"{vendor} callback test"
        what = f"{vendor} {PROVIDER_DOCUMENT.get(self.provider, 'document')} {self.external_id[:12]}"
        status = self.status or self.event_type
        about = self.order_ref or self.salesforce_ref or self.signer_email
        amendment = f", amends {self.amends[:12]}" if self.amends else ""
        return f"{what} {status}{amendment}" + (f" ({about})" if about else "")


PROVIDER_LABELS = {"docusign": "DocuSign", "dropbox_sign": "Dropbox Sign", "pandadoc": "PandaDoc"}
PROVIDER_DOCUMENT = {"docusign": "envelope", "dropbox_sign": "signature request", "pandadoc": "document"}


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _decimal(value, what: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ContractPayloadError(f"{what} {value!r} is not an amount") from None


def _date(value, what: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ContractPayloadError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


def facts_with_terms(fields: dict[str, str], **known) -> ContractFacts:
    """ContractFacts of the custom fields every vendor carries the same way."""
    clean = {str(k): "" if v is None else str(v).strip() for k, v in fields.items()}
    salesforce = next((clean[name] for name in SALESFORCE_FIELDS if clean.get(name)), "")
    values = {
        "order_ref": clean.get(ORDER_FIELD, ""),
        "amends": clean.get(CONTRACT_FIELD, ""),
        "salesforce_ref": salesforce,
        "amount": _decimal(clean.get(AMOUNT_FIELD), AMOUNT_FIELD),
        "currency": clean.get(CURRENCY_FIELD, "").upper(),
        "term_start": _date(clean.get(TERM_START_FIELD), TERM_START_FIELD),
        "term_end": _date(clean.get(TERM_END_FIELD), TERM_END_FIELD),
        "custom_fields": clean,
    }
    values.update({k: v for k, v in known.items() if v not in (None, "") or k not in values})
    try:
        return ContractFacts(**values)
    except ValidationError as exc:
        raise ContractPayloadError(f"not a contract event: {exc.errors()[0]['msg']}") from None


# ---------------------------------------------------------------- DocuSign Connect JSON (SIM)


class DocuSignCustomField(_Model):
    name: str
    value: str | None = ""


class DocuSignCustomFields(_Model):
    textCustomFields: list[DocuSignCustomField] = []
    listCustomFields: list[DocuSignCustomField] = []


class DocuSignSigner(_Model):
    email: str = ""
    name: str = ""
    status: str = ""
    declinedReason: str = ""


class DocuSignRecipients(_Model):
    signers: list[DocuSignSigner] = []


class DocuSignEnvelopeSummary(_Model):
    status: str = ""
    emailSubject: str = ""
    statusChangedDateTime: datetime | None = None
    completedDateTime: datetime | None = None
    voidedReason: str = ""
    customFields: DocuSignCustomFields | None = None
    recipients: DocuSignRecipients | None = None


class DocuSignData(_Model):
    accountId: str = ""
    envelopeId: str = Field(min_length=1)
    envelopeSummary: DocuSignEnvelopeSummary | None = None


class DocuSignConnectEvent(_Model):
    event: str = Field(min_length=1)
    apiVersion: str = ""
    generatedDateTime: datetime | None = None
    data: DocuSignData

    def facts(self) -> ContractFacts:
        summary = self.data.envelopeSummary or DocuSignEnvelopeSummary()
        vendor_status = (summary.status or lifecycle.DOCUSIGN_EVENT_STATUS.get(self.event, "")).lower()
        fields = {}
        if summary.customFields:
            for field in summary.customFields.textCustomFields + summary.customFields.listCustomFields:
                fields[field.name] = field.value or ""
        signers = summary.recipients.signers if summary.recipients else []
        signer = signers[0] if signers else DocuSignSigner()
        when = _naive_utc(
            summary.statusChangedDateTime or summary.completedDateTime or self.generatedDateTime
        )
        envelope_id = self.data.envelopeId
        reason = summary.voidedReason or next((s.declinedReason for s in signers if s.declinedReason), "")
        return facts_with_terms(
            fields,
            provider="docusign",
            external_id=envelope_id,
            event_type=self.event,
            dedup_key=f"{envelope_id}:{vendor_status or self.event}:{when.isoformat() if when else ''}",
            status=lifecycle.DOCUSIGN_STATUS.get(vendor_status),
            occurred_at=when,
            pdf_ready=vendor_status == "completed",
            signer_email=signer.email,
            signer_name=signer.name,
            reason=reason,
            title=summary.emailSubject,
        )


# ------------------------------------------------- DocuSign Connect legacy XML (3.0 namespace)


class DocuSignXmlRecipient(_Model):
    Type: str = ""
    Email: str = ""
    UserName: str = ""
    Status: str = ""
    DeclineReason: str = ""


class DocuSignXmlEnvelope(_Model):
    EnvelopeID: str = Field(min_length=1)
    Status: str = Field(min_length=1)
    Subject: str = ""
    TimeGenerated: datetime | None = None
    Sent: datetime | None = None
    Delivered: datetime | None = None
    Completed: datetime | None = None
    Declined: datetime | None = None
    Voided: datetime | None = None
    VoidReason: str = ""
    TimeZoneOffset: int = 0
    CustomFields: dict[str, str] = {}
    Recipients: list[DocuSignXmlRecipient] = []

    @field_validator("TimeGenerated", "Sent", "Delivered", "Completed", "Declined", "Voided", mode="before")
    @classmethod
    def _seven_digit_fraction(cls, value):
        # DocuSign writes up to 7 fractional digits (.NET ticks); Python reads 6.
        if isinstance(value, str):
            value = re.sub(r"(\.\d{6})\d+", r"\1", value.strip())
        return value or None

    def _utc(self, local: datetime | None) -> datetime | None:
        # XML times are the account's local time; TimeZoneOffset gives its offset in hours.
        if local is None or local.tzinfo is not None:
            return _naive_utc(local)
        return local - timedelta(hours=self.TimeZoneOffset)

    def facts(self) -> ContractFacts:
        vendor_status = self.Status.lower()
        status_time = {
            "sent": self.Sent,
            "delivered": self.Delivered,
            "completed": self.Completed,
            "declined": self.Declined,
            "voided": self.Voided,
        }.get(vendor_status)
        when = self._utc(status_time or self.TimeGenerated)
        signers = [r for r in self.Recipients if r.Type.lower() == "signer"] or self.Recipients
        signer = signers[0] if signers else DocuSignXmlRecipient()
        reason = self.VoidReason or next((r.DeclineReason for r in signers if r.DeclineReason), "")
        return facts_with_terms(
            self.CustomFields,
            provider="docusign",
            external_id=self.EnvelopeID,
            event_type=f"envelope-{vendor_status}",
            dedup_key=f"{self.EnvelopeID}:{vendor_status}:{when.isoformat() if when else ''}",
            status=lifecycle.DOCUSIGN_STATUS.get(vendor_status),
            occurred_at=when,
            pdf_ready=vendor_status == "completed",
            signer_email=signer.Email,
            signer_name=signer.UserName,
            reason=reason,
            title=self.Subject,
        )


def _xml_text(element, path: str) -> str:
    found = element.find(path, {"d": DOCUSIGN_NS})
    return (found.text or "").strip() if found is not None and found.text else ""


def parse_docusign_xml(body: bytes) -> DocuSignXmlEnvelope:
    # Outside XML: no entities, no network (XXE, billion laughs).
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise ContractPayloadError(f"body is not XML: {exc}") from None
    if etree.QName(root).localname != "DocuSignEnvelopeInformation":
        raise ContractPayloadError("XML is not a DocuSignEnvelopeInformation")
    status = root.find("d:EnvelopeStatus", {"d": DOCUSIGN_NS})
    if status is None:
        raise ContractPayloadError("DocuSignEnvelopeInformation without EnvelopeStatus")
    values: dict[str, Any] = {
        name: _xml_text(status, f"d:{name}")
        for name in ("EnvelopeID", "Status", "Subject", "TimeGenerated", "Sent", "Delivered")
        + ("Completed", "Declined", "Voided", "VoidReason")
    }
    offset = _xml_text(root, "d:TimeZoneOffset")
    values["TimeZoneOffset"] = offset or 0
    values["CustomFields"] = {
        _xml_text(field, "d:Name"): _xml_text(field, "d:Value")
        for field in status.iterfind("d:CustomFields/d:CustomField", {"d": DOCUSIGN_NS})
    }
    values["Recipients"] = [
        {name: _xml_text(r, f"d:{name}") for name in ("Type", "Email", "UserName", "Status", "DeclineReason")}
        for r in status.iterfind("d:RecipientStatuses/d:RecipientStatus", {"d": DOCUSIGN_NS})
    ]
    try:
        return DocuSignXmlEnvelope(**values)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ContractPayloadError(f"DocuSign XML {error['loc'][0]}: {error['msg']}") from None


def parse_docusign(body: bytes | str) -> ContractFacts:
    """Facts of one DocuSign Connect delivery, JSON (SIM) or legacy XML."""
    raw = body.encode() if isinstance(body, str) else body
    if raw.lstrip()[:1] == b"<":
        return parse_docusign_xml(raw).facts()
    try:
        return DocuSignConnectEvent.model_validate_json(raw).facts()
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "body"
        raise ContractPayloadError(f"DocuSign Connect JSON {where}: {error['msg']}") from None


# ------------------------------------------------------------------------------- Dropbox Sign


class DropboxSignEvent(_Model):
    event_time: str = Field(min_length=1)
    event_type: str = Field(min_length=1)
    event_hash: str = ""

    @field_validator("event_time", mode="before")
    @classmethod
    def _text(cls, value):
        return str(value) if isinstance(value, int) else value


class DropboxSignSignature(_Model):
    signer_email_address: str = ""
    signer_name: str = ""
    status_code: str = ""
    decline_reason: str | None = None


class DropboxSignCustomField(_Model):
    name: str
    value: str | bool | int | float | None = None


class DropboxSignRequest(_Model):
    signature_request_id: str = Field(min_length=1)
    title: str = ""
    metadata: dict[str, Any] = {}
    custom_fields: list[DropboxSignCustomField] = []
    signatures: list[DropboxSignSignature] = []
    files_url: str | None = None


class DropboxSignCallback(_Model):
    event: DropboxSignEvent
    signature_request: DropboxSignRequest | None = None

    def facts(self) -> ContractFacts:
        event = self.event
        occurred = datetime.fromtimestamp(int(event.event_time), UTC).replace(tzinfo=None)
        if event.event_type == "callback_test" or self.signature_request is None:
            return ContractFacts(
                provider="dropbox_sign",
                external_id="callback_test",
                event_type=event.event_type,
                dedup_key=f"{event.event_type}:{event.event_time}",
                occurred_at=occurred,
                is_test=event.event_type == "callback_test",
            )
        request = self.signature_request
        fields = {f.name: "" if f.value is None else str(f.value) for f in request.custom_fields}
        fields.update({k: "" if v is None else str(v) for k, v in request.metadata.items()})
        signer = request.signatures[0] if request.signatures else DropboxSignSignature()
        reason = next((s.decline_reason for s in request.signatures if s.decline_reason), "")
        return facts_with_terms(
            fields,
            provider="dropbox_sign",
            external_id=request.signature_request_id,
            event_type=event.event_type,
            dedup_key=f"{request.signature_request_id}:{event.event_type}:{event.event_time}",
            status=lifecycle.DROPBOX_SIGN_EVENT.get(event.event_type),
            occurred_at=occurred,
            pdf_ready=event.event_type == "signature_request_downloadable",
            signer_email=signer.signer_email_address,
            signer_name=signer.signer_name,
            reason=reason or "",
            title=request.title,
        )


def dropbox_sign_json(body: bytes, content_type: str) -> str:
    """The callback's JSON text: the `json` field of a multipart form, or the body itself."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        # The stdlib MIME reader: no extra dependency for one form field.
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
        )
        if not message.is_multipart():
            raise ContractPayloadError("multipart body without parts")
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "json":
                return part.get_payload(decode=True).decode("utf-8")
        raise ContractPayloadError("multipart form without a `json` field")
    if media == "application/x-www-form-urlencoded":
        values = parse_qs(body.decode("utf-8", "replace")).get("json")
        if not values:
            raise ContractPayloadError("form without a `json` field")
        return values[0]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise ContractPayloadError("body is not UTF-8 text") from None


class DropboxSignSigned(_Model):
    """Only what the signature covers: a callback whose request part is malformed is still
    known to be signed (and then refused as unreadable, not as forged)."""

    event: DropboxSignEvent


def dropbox_sign_event(text: str | bytes) -> DropboxSignEvent:
    try:
        return DropboxSignSigned.model_validate_json(text).event
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "body"
        raise ContractPayloadError(f"Dropbox Sign callback {where}: {error['msg']}") from None


def parse_dropbox_sign(text: str | bytes) -> DropboxSignCallback:
    try:
        return DropboxSignCallback.model_validate_json(text)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "body"
        raise ContractPayloadError(f"Dropbox Sign callback {where}: {error['msg']}") from None


# ---------------------------------------------------------------------------------- PandaDoc


class PandaDocMoney(_Model):
    amount: str | float | int | None = None
    currency: str = ""


class PandaDocRecipient(_Model):
    email: str = ""
    first_name: str = ""
    last_name: str = ""


class PandaDocDocument(_Model):
    id: str = Field(min_length=1)
    name: str = ""
    status: str = ""
    date_modified: datetime | None = None
    metadata: dict[str, Any] = {}
    grand_total: PandaDocMoney | None = None
    recipients: list[PandaDocRecipient] = []


class PandaDocNotification(_Model):
    event: str = Field(min_length=1)
    data: PandaDocDocument

    def facts(self) -> ContractFacts:
        doc = self.data
        fields = {k: "" if v is None else str(v) for k, v in doc.metadata.items()}
        if doc.grand_total and doc.grand_total.amount not in (None, ""):
            fields.setdefault(AMOUNT_FIELD, str(doc.grand_total.amount))
            fields.setdefault(CURRENCY_FIELD, doc.grand_total.currency)
        signer = doc.recipients[0] if doc.recipients else PandaDocRecipient()
        when = _naive_utc(doc.date_modified)
        status = lifecycle.PANDADOC_STATUS.get(doc.status)
        if self.event == "document_completed_pdf_ready":
            status = lifecycle.SIGNED
        return facts_with_terms(
            fields,
            provider="pandadoc",
            external_id=doc.id,
            event_type=self.event,
            dedup_key=f"{doc.id}:{self.event}:{doc.status}:{when.isoformat() if when else ''}",
            status=status,
            occurred_at=when,
            pdf_ready=self.event == "document_completed_pdf_ready",
            signer_email=signer.email,
            signer_name=f"{signer.first_name} {signer.last_name}".strip(),
            title=doc.name,
        )


def split_pandadoc(body: bytes) -> list[tuple[ContractFacts, str]]:
    """One (facts, payload text) per notification of the delivery's array."""
    try:
        items = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ContractPayloadError(f"body is not JSON: {exc}") from None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items:
        raise ContractPayloadError("PandaDoc body is not an array of notifications")
    result = []
    for index, item in enumerate(items):
        text = json.dumps(item, sort_keys=True)
        result.append((parse_pandadoc(text, f"notification {index}"), text))
    return result


def parse_pandadoc(text: str | bytes, where: str = "notification") -> ContractFacts:
    try:
        return PandaDocNotification.model_validate_json(text).facts()
    except ValidationError as exc:
        error = exc.errors()[0]
        path = ".".join(str(p) for p in error["loc"]) or "body"
        raise ContractPayloadError(f"PandaDoc {where} {path}: {error['msg']}") from None


# ------------------------------------------------------------------------------ amendments

LINES_FIELD = "odoo_lines"  # on an amendment: the order lines as amended (JSON)


class AmendedLine(_Model):
    """One order line as the signed amendment sets it: found by internal reference."""

    product: str = Field(min_length=1)  # the product's internal reference (default_code)
    quantity: Decimal = Field(ge=0)
    price_unit: Decimal | None = None


def amended_lines(facts: ContractFacts) -> list[AmendedLine]:
    return parse_amended_lines(facts.custom_fields.get(LINES_FIELD, ""))


def parse_amended_lines(text: str) -> list[AmendedLine]:
    if not text:
        return []
    try:
        items = json.loads(text)
        if not isinstance(items, list):
            raise ValueError("not a list")
        return [AmendedLine(**item) for item in items]
    except (ValueError, TypeError, ValidationError) as exc:
        raise ContractPayloadError(f"{LINES_FIELD} is not a list of amended lines: {exc}") from None
