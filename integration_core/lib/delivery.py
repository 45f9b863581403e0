"""One HTTP delivery as a connector sees it (pure Python): what it verifies and parses."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

# Bodies Odoo parses into form fields before the route runs (Dropbox Sign posts one).
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class Delivery:
    headers: Mapping[str, str]  # case-insensitive (werkzeug's Headers in Odoo)
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)  # the URL's parameters
    remote_addr: str = ""
    content_type: str = ""  # the media type, without parameters
    form: Mapping[str, str] = field(default_factory=dict)  # form fields of a form body


def storable_text(raw: bytes) -> str:
    """The body as text PostgreSQL can hold, kept as close to what was received as possible:
    UTF-8 (or UTF-16/32 when it starts like JSON in them) as it is; bytes that are not text,
    and NUL characters (which a text column cannot hold), written as `\\xNN`."""
    try:
        text = raw.decode(json.detect_encoding(raw))
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="backslashreplace")
    return text.replace("\x00", "\\x00")


def unreadable_reason(error: BaseException, limit: int = 300) -> str:
    """Why a signed delivery could not be read, in words for the person who sees the
    failed event (not a traceback; `error.message` of the integration exceptions)."""
    known = (
        (RecursionError, "its JSON is nested too deeply to be read"),
        (OverflowError, "a date or a number in it is out of any usable range"),
        (UnicodeError, "it is not UTF-8 text"),
    )
    for error_type, words in known:
        if isinstance(error, error_type):
            return words
    errors = getattr(error, "errors", None)  # pydantic's ValidationError: the first field at fault
    if callable(errors):
        try:
            first = errors()[0]
            detail = f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
        except (TypeError, LookupError, ValueError):
            detail = ""
    else:
        detail = getattr(error, "message", None) or str(error)
    detail = " ".join(str(detail).split())[:limit]
    return detail or type(error).__name__
