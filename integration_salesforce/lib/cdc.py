"""Change Data Capture events as the Pub/Sub API delivers them, read into typed facts.

- the payload is Avro binary written with the schema named by the event's schema id: the
  schema is fetched once per id (`GetSchema`) and kept, then `fastavro` decodes;
- `changedFields`, `diffFields` and `nulledFields` arrive as bitmaps: the first string is a
  hexadecimal bitmap of the top-level fields (bit n set = the n-th field of the schema), the
  next ones `{position}-{bitmap}` mark fields nested in the compound field at that position
  (`4-0x10` = the 5th nested field of the 5th top-level field). They are turned back into
  field names (`BillingAddress.City`);
- one event may name many records (`recordIds`): each becomes its own change, in order."""

import io
import json
from dataclasses import dataclass, field

import fastavro
from pydantic import Field, ValidationError

from .schemas import ChangeEventHeader

GAP_OVERFLOW = "GAP_OVERFLOW"
BITMAP_HEADER_FIELDS = ("changedFields", "diffFields", "nulledFields")
# The fields Salesforce itself sets on every change: never a sign of a real edit.
SYSTEM_FIELDS = {"LastModifiedDate", "SystemModstamp", "LastModifiedById"}


class CdcError(ValueError):
    """An event that cannot be read: bad schema, bad payload, bad bitmap."""


class ChangeHeader(ChangeEventHeader):
    """ChangeEventHeader with what ordering and deduplication need."""

    transaction_key: str | None = Field(None, alias="transactionKey")
    sequence_number: int | None = Field(None, alias="sequenceNumber")
    commit_number: int | None = Field(None, alias="commitNumber")
    diff_fields: list[str] = Field(default_factory=list, alias="diffFields")

    @property
    def is_overflow(self):
        """More than 100,000 changes in one transaction: no record ids, re-sync the entity."""
        return self.change_type == GAP_OVERFLOW

    def touches_only(self, fields):
        roots = {name.split(".", 1)[0] for name in self.changed_fields + self.nulled_fields}
        return roots <= SYSTEM_FIELDS | set(fields)


# ---------------------------------------------------------------------- bitmaps
def bit_positions(hex_bitmap: str) -> list[int]:
    """Positions of the bits set in `0x...`, lowest bit first (bit 0 = the first field)."""
    text = (hex_bitmap or "").strip()
    if not text.lower().startswith("0x"):
        raise CdcError(f"bitmap {hex_bitmap!r} is not hexadecimal (0x...)")
    try:
        value = int(text[2:] or "0", 16)
    except ValueError:
        raise CdcError(f"bitmap {hex_bitmap!r} is not hexadecimal (0x...)") from None
    return [position for position in range(value.bit_length()) if value >> position & 1]


def _record_schema(avro_type, named):
    """The record schema behind a field type: itself, a name defined earlier, or the record
    member of a union such as ["null", {...record...}] or ["null", "Address"]."""
    if isinstance(avro_type, str):
        return named.get(avro_type)
    if isinstance(avro_type, list):
        for member in avro_type:
            found = _record_schema(member, named)
            if found:
                return found
        return None
    if isinstance(avro_type, dict) and avro_type.get("type") == "record":
        return avro_type
    return None


def _named_records(schema, named=None, namespace=""):
    """Every record defined in the schema, by short and full name (Avro references either)."""
    named = {} if named is None else named
    if isinstance(schema, list):
        for member in schema:
            _named_records(member, named, namespace)
    elif isinstance(schema, dict):
        if schema.get("type") == "record":
            space = schema.get("namespace", namespace)
            name = schema.get("name", "")
            named[name] = schema
            named[f"{space}.{name}" if space and "." not in name else name] = schema
            for item in schema.get("fields", []):
                _named_records(item.get("type"), named, space)
        elif isinstance(schema.get("type"), dict | list):
            _named_records(schema["type"], named, namespace)
    return named


def field_names(bitmaps: list[str], schema: dict) -> list[str]:
    """The field names a bitmap field stands for, in schema order; nested ones dotted."""
    if not bitmaps:
        return []
    named = _named_records(schema)
    top = schema.get("fields", [])
    names = []
    for item in bitmaps:
        if item.lower().startswith("0x"):
            positions, parent = bit_positions(item), None
        else:
            position, _dash, nested = item.partition("-")
            if not position.isdigit() or not nested:
                raise CdcError(f"bitmap {item!r} is neither 0x... nor position-0x...")
            if int(position) >= len(top):
                raise CdcError(f"bitmap {item!r} names field {position}; the schema has {len(top)}")
            parent = top[int(position)]
            compound = _record_schema(parent.get("type"), named)
            if compound is None:
                raise CdcError(f"bitmap {item!r}: field {parent.get('name')} is not a compound field")
            positions = bit_positions(nested)
        fields_list = top if parent is None else compound.get("fields", [])
        for bit in positions:
            if bit >= len(fields_list):
                raise CdcError(f"bitmap {item!r} sets bit {bit}; there are {len(fields_list)} fields")
            name = fields_list[bit]["name"]
            names.append(name if parent is None else f"{parent['name']}.{name}")
    return names


# ---------------------------------------------------------------------- Avro
class SchemaCache:
    """Avro schemas by schema id, fetched once with `fetch(schema_id) -> schema JSON text`.

    Shared by every run of a process: a schema id is a fingerprint, its schema never changes."""

    def __init__(self, fetch, store=None):
        self._fetch = fetch
        self._schemas = {} if store is None else store  # may outlive `fetch`: shared by runs

    def get(self, schema_id):
        """(schema as a dict, schema parsed by fastavro)."""
        if schema_id not in self._schemas:
            text = self._fetch(schema_id)
            try:
                raw = json.loads(text)
                parsed = fastavro.parse_schema(json.loads(text))
            except (ValueError, TypeError, fastavro.schema.SchemaParseException) as exc:
                raise CdcError(f"schema {schema_id} is not an Avro schema: {exc}") from None
            self._schemas[schema_id] = (raw, parsed)
        return self._schemas[schema_id]

    def __contains__(self, schema_id):
        return schema_id in self._schemas


def decode(schema_id, payload: bytes, schemas: SchemaCache) -> dict:
    _raw, parsed = schemas.get(schema_id)
    try:
        return fastavro.schemaless_reader(io.BytesIO(payload), parsed)
    except (EOFError, ValueError, TypeError, IndexError, UnicodeDecodeError) as exc:
        raise CdcError(f"the event payload does not match schema {schema_id}: {exc!r}") from None


def encode(schema: dict, record: dict) -> bytes:
    """Avro binary of `record` (the local stand-in server and the tests write events)."""
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), record)
    return out.getvalue()


# ---------------------------------------------------------------------- events
@dataclass(frozen=True)
class ChangeEvent:
    """One Pub/Sub event, decoded: a change event (with `header`) or a platform event."""

    topic: str
    replay_id: bytes
    event_id: str  # the event uuid
    schema_id: str
    values: dict = field(repr=False)  # the record fields carried (non-null), header excluded
    header: ChangeHeader | None = None

    @property
    def replay_hex(self):
        return self.replay_id.hex()

    @property
    def order(self):
        """What orders changes: commit time, then the place in the transaction."""
        header = self.header
        if header is None:
            return (0, 0)
        return (header.commit_timestamp or 0, header.sequence_number or 0)


def read_event(topic, replay_id: bytes, event_id, schema_id, payload: bytes, schemas: SchemaCache):
    """A received event as typed facts; bitmaps decoded into field names."""
    raw_schema, _parsed = schemas.get(schema_id)
    record = decode(schema_id, payload, schemas)
    header_values = record.pop("ChangeEventHeader", None)
    header = None
    if header_values is not None:
        header_values = dict(header_values)
        for name in BITMAP_HEADER_FIELDS:
            header_values[name] = field_names(header_values.get(name) or [], raw_schema)
        try:
            header = ChangeHeader.model_validate(header_values)
        except ValidationError as exc:
            raise CdcError(f"event {event_id}: ChangeEventHeader cannot be read: {exc}") from None
    values = {name: value for name, value in record.items() if value is not None}
    return ChangeEvent(topic, replay_id, event_id, schema_id, values, header)


def is_echo(header: ChangeHeader, integration_user_id, client_name, odoo_owned_fields=()):
    """Odoo's own write-back coming back: made by the integration (its user commits it, or
    the call carried `Sforce-Call-Options: client=<name>`, seen in changeOrigin) and touching
    only fields Odoo owns (plus the system fields Salesforce sets on every change)."""
    by_user = bool(integration_user_id) and (header.commit_user or "")[:15] == integration_user_id[:15]
    origin = header.change_origin or ""
    by_client = bool(client_name) and any(
        part.strip() == f"client={client_name}" for part in origin.split(";")
    )
    return (by_user or by_client) and header.touches_only(odoo_owned_fields)


def flat_values(values: dict) -> dict:
    """Compound fields as the REST API names them: BillingAddress.City -> BillingCity."""
    flat = {}
    for name, value in values.items():
        if isinstance(value, dict) and name.endswith("Address"):
            prefix = name[: -len("Address")]
            for nested, nested_value in value.items():
                if nested_value is not None:
                    flat[f"{prefix}{nested}"] = nested_value
        elif isinstance(value, dict) and name == "Name":
            flat.update({key: item for key, item in value.items() if item is not None})
        else:
            flat[name] = value
    return flat
