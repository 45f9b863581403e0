"""Masking secrets and personal data before anything is written to the audit log."""

import re

SECRET_HEADER_WORDS = ("authorization", "signature", "hmac", "token", "secret", "key", "cookie")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_TOKEN = re.compile(
    r"\b(sk|rk|pk|whsec|shpat|shpss|Bearer)[_ ]?(live_|test_)?[A-Za-z0-9_\-]{6,}", re.IGNORECASE
)


# Any of the three, found in one pass: most texts (header values) have none.
_ANY = re.compile(f"{_CARD.pattern}|{_EMAIL.pattern}|{_TOKEN.pattern}", re.IGNORECASE)


def mask_text(text: str) -> str:
    """Card numbers keep their last 4 digits, emails their first letter and domain,
    API tokens their prefix only."""
    if not text or not _ANY.search(text):
        return text
    text = _CARD.sub(lambda m: "**** " + re.sub(r"\D", "", m.group(0))[-4:], text)
    text = _EMAIL.sub(r"\1***@\2", text)
    return _TOKEN.sub(lambda m: m.group(1) + "_***", text)


def mask_headers(headers: dict) -> dict:
    """Headers safe to store and show: values of secret-looking headers are replaced."""
    safe = {}
    for name, value in headers.items():
        lowered = name.lower()
        if any(word in lowered for word in SECRET_HEADER_WORDS):
            safe[name] = "***"
        else:
            safe[name] = mask_text(str(value))
    return safe
