"""Where each e-signature vendor puts its signature and what it signs (pure Python).

The HMAC itself is core's `lib.signatures.verify_hmac`, passed in as `verify` with its
`SignatureMismatch` as `mismatch`, so that this module stays importable without Odoo:

- DocuSign Connect: `X-DocuSign-Signature-1`, `-2`, ... = base64(HMAC-SHA256(key, raw body)),
  one header per active Connect key while keys rotate: any header matching any key passes.
- Dropbox Sign: `event.event_hash` = hex(HMAC-SHA256(API key, event_time + event_type)); the
  signed time is the only one any of the three vendors signs, so only here can a stale
  (replayed) delivery be refused by its age.
- PandaDoc: `?signature=` query parameter = hex(HMAC-SHA256(shared key, raw body))."""

import re
from collections.abc import Callable, Mapping

DOCUSIGN_HEADER = re.compile(r"^x-docusign-signature-(\d+)$", re.IGNORECASE)


class ClmSignatureError(Exception):
    """Not signed by a holder of an active key (or too old). The text never holds a key."""


def docusign_signatures(headers: Mapping[str, str]) -> list[str]:
    """The values of X-DocuSign-Signature-1..N, in header-number order."""
    found = []
    for name, value in headers.items():
        match = DOCUSIGN_HEADER.match(name)
        if match and value:
            found.append((int(match.group(1)), value.strip()))
    return [value for _number, value in sorted(found)]


def verify_docusign(
    body: bytes, headers: Mapping[str, str], keys: list[str], verify: Callable, mismatch: type[Exception]
) -> None:
    received = docusign_signatures(headers)
    if not received:
        raise ClmSignatureError("X-DocuSign-Signature-1 header missing")
    for signature in received:
        try:
            verify(body, signature, keys, encoding="base64")
            return
        except mismatch:
            continue  # signed with another key of the rotation: try the next header
    raise ClmSignatureError("no X-DocuSign-Signature-N matches an active Connect key")


def dropbox_sign_signed_text(event_time: str, event_type: str) -> bytes:
    return f"{event_time}{event_type}".encode()


def verify_dropbox_sign(
    event_time: str,
    event_type: str,
    event_hash: str | None,
    api_keys: list[str],
    verify: Callable,
    mismatch: type[Exception],
    now: float,
    tolerance: int | None,
) -> None:
    if not event_hash:
        raise ClmSignatureError("event_hash missing")
    try:
        signed_at = int(event_time)
    except (TypeError, ValueError):
        raise ClmSignatureError("event_time is not a unix time") from None
    if tolerance and abs(now - signed_at) > tolerance:
        raise ClmSignatureError(f"event_time outside the {tolerance} s tolerance")
    try:
        verify(dropbox_sign_signed_text(event_time, event_type), event_hash, api_keys, encoding="hex")
    except mismatch:
        raise ClmSignatureError("event_hash does not match an active API key") from None


def verify_pandadoc(
    body: bytes, query: Mapping[str, str], keys: list[str], verify: Callable, mismatch: type[Exception]
) -> None:
    signature = query.get("signature")
    if not signature:
        raise ClmSignatureError("signature query parameter missing")
    try:
        verify(body, signature, keys, encoding="hex")
    except mismatch:
        raise ClmSignatureError("signature does not match an active shared key") from None
