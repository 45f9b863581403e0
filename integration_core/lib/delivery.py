"""One HTTP delivery as a connector sees it (pure Python): what it verifies and parses."""

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
