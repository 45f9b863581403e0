"""One contract lifecycle for every e-signature vendor (pure Python).

draft -> sent -> viewed -> signed | declined | voided | expired. Deliveries arrive late,
twice or out of order: a status only ever moves a contract forward, and an ended contract
(signed, declined, voided, expired) keeps its end, so "completed before sent" converges."""

DRAFT = "draft"
SENT = "sent"
VIEWED = "viewed"
SIGNED = "signed"
DECLINED = "declined"
VOIDED = "voided"
EXPIRED = "expired"

STATES = (DRAFT, SENT, VIEWED, SIGNED, DECLINED, VOIDED, EXPIRED)
ENDED = frozenset({SIGNED, DECLINED, VOIDED, EXPIRED})
CANCELLING = frozenset({DECLINED, VOIDED, EXPIRED})
_RANK = {DRAFT: 0, SENT: 1, VIEWED: 2, SIGNED: 3, DECLINED: 3, VOIDED: 3, EXPIRED: 3}


def advance(current: str | None, incoming: str | None) -> str | None:
    """The state after `incoming` is applied to `current` (a stale status changes nothing)."""
    if incoming not in _RANK:
        return current
    if current not in _RANK:
        return incoming
    if current in ENDED:
        return current
    return incoming if _RANK[incoming] > _RANK[current] else current


def is_stale(current: str | None, incoming: str | None) -> bool:
    return advance(current, incoming) == current and incoming != current


# Vendor statuses -> the lifecycle. A status not listed changes nothing (None).
DOCUSIGN_STATUS = {
    "created": DRAFT,
    "sent": SENT,
    "delivered": VIEWED,
    # "signed" on an envelope means one recipient signed: still waiting for the others.
    "signed": VIEWED,
    "completed": SIGNED,
    "declined": DECLINED,
    "voided": VOIDED,
}
DOCUSIGN_EVENT_STATUS = {
    "envelope-created": "created",
    "envelope-sent": "sent",
    "envelope-delivered": "delivered",
    "envelope-completed": "completed",
    "envelope-declined": "declined",
    "envelope-voided": "voided",
}
DROPBOX_SIGN_EVENT = {
    "signature_request_sent": SENT,
    "signature_request_viewed": VIEWED,
    "signature_request_signed": VIEWED,  # one signer of several
    "signature_request_all_signed": SIGNED,
    "signature_request_downloadable": SIGNED,
    "signature_request_declined": DECLINED,
    "signature_request_canceled": VOIDED,
    "signature_request_expired": EXPIRED,
}
PANDADOC_STATUS = {
    "document.draft": DRAFT,
    "document.uploaded": DRAFT,
    "document.waiting_approval": DRAFT,
    "document.approved": DRAFT,
    "document.sent": SENT,
    "document.viewed": VIEWED,
    "document.waiting_pay": VIEWED,
    "document.completed": SIGNED,
    "document.paid": SIGNED,
    "document.declined": DECLINED,
    "document.rejected": DECLINED,
    "document.voided": VOIDED,
    "document.expired": EXPIRED,
}
