"""Reading a vendor envelope: dotted JSON paths and a normalised event (pure Python)."""

import json
from datetime import UTC, datetime

from pydantic import BaseModel, Field, field_validator

from .timeparse import TimeError, to_utc


class EnvelopeError(ValueError):
    """The body cannot be read as the event the backend expects."""


class Envelope(BaseModel):
    """What the engine needs to store and order one delivery."""

    external_event_id: str = Field(min_length=1, max_length=255)
    event_type: str = Field(min_length=1, max_length=128)
    entity_key: str = Field(default="", max_length=255)
    occurred_at: datetime | None = None
    payload: str = ""  # the text stored for this event (a delivery may hold several events)
    # What the event is about in business words ("Payment 42.42 USD from jane@…"), for lists.
    summary: str = Field(default="", max_length=255)

    def check_storable(self):
        """PostgreSQL text cannot hold a NUL character nor half of a UTF-16 pair (JSON's
        `\\ud800`): refuse them as unreadable."""
        for name in ("external_event_id", "event_type", "entity_key", "payload", "summary"):
            value = getattr(self, name)
            if "\x00" in value:
                raise EnvelopeError(f"{name} holds a NUL character")
            try:
                value.encode()
            except UnicodeEncodeError:
                raise EnvelopeError(f"{name} holds a character that is not text (a lone surrogate)") from None

    @field_validator("occurred_at")
    @classmethod
    def _to_naive_utc(cls, value):
        # Odoo stores naive UTC datetimes.
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value


def load_json(body: bytes):
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EnvelopeError(f"body is not JSON: {exc}") from None


def get_path(data, path: str):
    """Value at a dotted path such as `data.object.id`; list items by index (`lines.0.sku`)."""
    current = data
    for part in path.split(".") if path else []:
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
        if current is None:
            return None
    return current


def to_datetime(value) -> datetime | None:
    """Unix seconds or ISO 8601 text to a naive UTC datetime (see lib.timeparse)."""
    try:
        return to_utc(value)
    except TimeError as exc:
        raise EnvelopeError(str(exc)) from None


def _scalar(value, what: str) -> str:
    if value is None or isinstance(value, dict | list | bool):
        raise EnvelopeError(f"{what} missing or not a plain value")
    return str(value)


def envelope_from_paths(
    payload, id_path: str, type_path: str, entity_path: str, time_path: str = ""
) -> Envelope:
    """Normalised envelope of a JSON payload, using the paths configured on the backend."""
    if not isinstance(payload, dict):
        raise EnvelopeError("body must be a JSON object")
    entity = get_path(payload, entity_path) if entity_path else None
    try:
        return Envelope(
            external_event_id=_scalar(get_path(payload, id_path), f"event id ({id_path})"),
            event_type=_scalar(get_path(payload, type_path), f"event type ({type_path})"),
            entity_key="" if entity is None else _scalar(entity, f"entity key ({entity_path})"),
            occurred_at=to_datetime(get_path(payload, time_path)) if time_path else None,
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        if isinstance(exc, EnvelopeError):
            raise
        first = exc.errors()[0] if hasattr(exc, "errors") else None
        detail = f"{'.'.join(map(str, first['loc']))}: {first['msg']}" if first else str(exc).splitlines()[0]
        raise EnvelopeError(detail) from None
