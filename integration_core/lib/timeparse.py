"""One UTC time parser for every vendor (pure Python)."""

from datetime import UTC, datetime


class TimeError(ValueError):
    """A value that should be a time is not one."""


def to_utc(value) -> datetime | None:
    """Unix seconds (int, float or digits) or ISO 8601 text -> naive UTC datetime, as Odoo
    stores it; None or '' -> None."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise TimeError(f"not a time: {value!r}")
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
            return datetime.fromtimestamp(int(value), UTC).replace(tzinfo=None)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC).replace(tzinfo=None)
            return parsed
    except (ValueError, OverflowError, OSError):
        raise TimeError(f"not a time: {value!r}") from None
    raise TimeError(f"not a time: {value!r}")
