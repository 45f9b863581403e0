"""A local Pub/Sub API server on loopback, built from the same .proto, for the tests, the
e2e tier and the bench (never used against Salesforce).

It keeps an event bus per topic (replay ids are 8-byte counters, opaque to the client),
honours flow control (never sends more than was asked for), the replay presets, a
retention horizon (a replay id older than it is refused with Salesforce's error code), and
the three authentication headers. It records every FetchRequest for the tests to read."""

import json
import logging
import threading
import time
import uuid
from concurrent import futures

import grpc

from . import cdc
from .pubsub import REPLAY_ID_REFUSED, stubs

_logger = logging.getLogger(__name__)
RESPONSE_MAX = 50  # events per FetchResponse at most, as a real server splits big batches


class PubSubStandIn:
    def __init__(self, access_token="cdc-token", tenant_id=""):
        self.access_token = access_token
        self.tenant_id = tenant_id
        self.schemas = {}  # schema id -> schema dict
        self.bus = {}  # topic -> [(replay number, event id, schema id, payload)]
        self.purged_through = {}  # topic -> the newest replay number purged by retention
        self.fetch_requests = []  # (topic, preset name, replay number or None, num_requested)
        self.schema_calls = []
        self.sent = []  # (topic, replay number) of every event sent, in order
        self.streams = []  # per Subscribe call: the replay numbers it sent
        self.refused_topics = set()  # Subscribe to these: PERMISSION_DENIED (no access to the object)
        self.keepalive = True  # False: silent when caught up, as Salesforce is for minutes
        self.response_delay = 0.0  # seconds before each response with events (a slow link)
        self._next = 1000
        self._lock = threading.Condition()
        self._server = None
        self.port = None

    # ------------------------------------------------------------ the bus
    def add_schema(self, schema_id, schema):
        self.schemas[schema_id] = schema

    def publish(self, topic, schema_id, record, event_id=None):
        """Append one event; returns its replay id (bytes)."""
        return self.publish_raw(topic, schema_id, cdc.encode(self.schemas[schema_id], record), event_id)

    def publish_raw(self, topic, schema_id, payload, event_id=None):
        """Append an event whose Avro payload is given as is (a damaged one, for the tests)."""
        with self._lock:
            self._next += 1
            self.bus.setdefault(topic, []).append(
                (self._next, event_id or str(uuid.uuid4()), schema_id, payload)
            )
            self._lock.notify_all()
            return self._next.to_bytes(8, "big")

    def expire(self, topic, keep_last):
        """Retention passes: all but the last `keep_last` events of the topic are purged."""
        with self._lock:
            events = self.bus.get(topic, [])
            cut = max(len(events) - keep_last, 0)
            if cut:
                self.purged_through[topic] = events[cut - 1][0]
            self.bus[topic] = events[cut:]

    # ------------------------------------------------------------ serving
    def start(self):
        pb, service = stubs()
        self._pb = pb
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        service.add_PubSubServicer_to_server(_Servicer(self), server)
        self.port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._server = server
        return self

    @property
    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        if self._server:
            self._server.stop(grace=0.5).wait()
            self._server = None

    def _check_auth(self, context):
        metadata = dict(context.invocation_metadata())
        if metadata.get("accesstoken") != self.access_token:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid session")
        if self.tenant_id and metadata.get("tenantid") != self.tenant_id:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "tenant id does not match the token")

    def _start_index(self, topic, preset, replay_number, context):
        events = self.bus.get(topic, [])
        pb = self._pb
        if preset == pb.EARLIEST:
            return 0
        if preset == pb.CUSTOM:
            if replay_number is None or replay_number <= self.purged_through.get(topic, 0):
                context.set_trailing_metadata((("error-code", REPLAY_ID_REFUSED[0]),))
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "The Replay ID validation failed.")
            return next((i for i, item in enumerate(events) if item[0] > replay_number), len(events))
        return len(events)  # LATEST


class _Servicer:
    def __init__(self, standin):
        self.standin = standin

    def GetSchema(self, request, context):
        standin = self.standin
        standin._check_auth(context)
        standin.schema_calls.append(request.schema_id)
        schema = standin.schemas.get(request.schema_id)
        if schema is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no schema {request.schema_id}")
        return standin._pb.SchemaInfo(schema_json=json.dumps(schema), schema_id=request.schema_id)

    def GetTopic(self, request, context):
        standin = self.standin
        standin._check_auth(context)
        with standin._lock:
            events = standin.bus.get(request.topic_name, [])
            schema_id = events[-1][2] if events else next(iter(standin.schemas), "")
        return standin._pb.TopicInfo(
            topic_name=request.topic_name,
            tenant_guid=standin.tenant_id,
            can_subscribe=True,
            schema_id=schema_id,
        )

    def Subscribe(self, request_iterator, context):
        standin = self.standin
        pb = standin._pb
        standin._check_auth(context)
        first = next(request_iterator)
        topic = first.topic_name
        if topic in standin.refused_topics:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, f"no access to {topic}")
        replay_number = int.from_bytes(first.replay_id, "big") if first.replay_id else None
        preset_name = pb.ReplayPreset.Name(first.replay_preset)
        credit = {"n": first.num_requested, "open": True}
        stream_sent = []
        standin.streams.append(stream_sent)
        with standin._lock:
            standin.fetch_requests.append((topic, preset_name, replay_number, first.num_requested))
            position = standin._start_index(topic, first.replay_preset, replay_number, context)

        def read_requests():
            try:
                for request in request_iterator:
                    with standin._lock:
                        standin.fetch_requests.append((topic, "", None, request.num_requested))
                        credit["n"] += request.num_requested
                        standin._lock.notify_all()
            except grpc.RpcError as exc:  # the client cancelled its stream: the normal way out
                _logger.debug("stand-in: subscribe stream closed: %s", exc)
            finally:
                with standin._lock:
                    credit["open"] = False
                    standin._lock.notify_all()

        threading.Thread(target=read_requests, daemon=True).start()
        while context.is_active():
            with standin._lock:
                events = standin.bus.get(topic, [])
                if credit["n"] <= 0 or position >= len(events):
                    latest = events[-1][0].to_bytes(8, "big") if events else b""
                    caught_up = position >= len(events)
                    if not caught_up or not credit["open"]:
                        standin._lock.wait(timeout=0.2)
                        if not credit["open"]:
                            return
                        continue
                    if not standin.keepalive:
                        standin._lock.wait(timeout=0.2)
                        if not credit["open"]:
                            return
                        continue
                    chunk = []
                else:
                    take = min(credit["n"], RESPONSE_MAX, len(events) - position)
                    chunk = events[position : position + take]
                    position += take
                    credit["n"] -= take
                    latest = chunk[-1][0].to_bytes(8, "big")
            consumer_events = [
                pb.ConsumerEvent(
                    event=pb.ProducerEvent(id=event_id, schema_id=schema_id, payload=payload),
                    replay_id=number.to_bytes(8, "big"),
                )
                for number, event_id, schema_id, payload in chunk
            ]
            if chunk and standin.response_delay:
                time.sleep(standin.response_delay)
            standin.sent.extend((topic, item[0]) for item in chunk)
            stream_sent.extend(item[0] for item in chunk)
            yield pb.FetchResponse(
                events=consumer_events,
                latest_replay_id=latest,
                rpc_id=str(uuid.uuid4()),
                pending_num_requested=max(credit["n"], 0),
            )
            if not chunk:
                # Caught up: the keepalive was sent; wait for new events or the client to go.
                with standin._lock:
                    standin._lock.wait_for(
                        lambda seen=position: not credit["open"] or len(standin.bus.get(topic, [])) > seen,
                        timeout=5,
                    )
                    if not credit["open"]:
                        return


# ------------------------------------------------------------------ change event schemas
CHANGE_TYPES = [
    "CREATE",
    "UPDATE",
    "DELETE",
    "UNDELETE",
    "GAP_CREATE",
    "GAP_UPDATE",
    "GAP_DELETE",
    "GAP_UNDELETE",
    "GAP_OVERFLOW",
]
ACCOUNT_FIELDS = [  # the order of the shared fixture (cdc_account_change_event.json)
    "Name", "Type", "ParentId", "BillingAddress", "ShippingAddress", "Phone", "Fax", "AccountNumber",
    "Website", "Sic", "Industry", "AnnualRevenue", "NumberOfEmployees", "Ownership", "TickerSymbol",
    "Description", "Rating", "Site", "OwnerId", "CreatedDate", "CreatedById", "LastModifiedDate",
    "LastModifiedById", "Jigsaw", "JigsawCompanyId", "CleanStatus", "AccountSource", "DunsNumber",
    "Tradestyle", "NaicsCode", "NaicsDesc", "YearStarted", "SicDesc", "DandbCompanyId",
]  # fmt: skip
ADDRESS_FIELDS = [
    "Street", "City", "State", "PostalCode", "Country", "StateCode", "CountryCode", "Latitude",
    "Longitude", "Xyz", "GeocodeAccuracy",
]  # fmt: skip
OPPORTUNITY_FIELDS = [
    "AccountId", "Name", "StageName", "Amount", "CloseDate", "IsWon", "IsClosed", "CreatedDate",
    "LastModifiedDate", "LastModifiedById", "Odoo_Order_Number__c", "Odoo_Status__c",
    "Odoo_Invoice_Numbers__c", "Odoo_Amount_Paid__c",
]  # fmt: skip
TIME_FIELDS = {"CreatedDate", "LastModifiedDate", "CloseDate"}
NUMBER_FIELDS = {"AnnualRevenue", "Amount", "Odoo_Amount_Paid__c", "Latitude", "Longitude"}
BOOLEAN_FIELDS = {"IsWon", "IsClosed"}


def _header_schema():
    strings = {"type": "array", "items": "string"}
    return {
        "type": "record",
        "name": "ChangeEventHeader",
        "fields": [
            {"name": "entityName", "type": "string"},
            {"name": "recordIds", "type": strings},
            {"name": "changeType", "type": {"type": "enum", "name": "ChangeType", "symbols": CHANGE_TYPES}},
            {"name": "changeOrigin", "type": "string"},
            {"name": "transactionKey", "type": "string"},
            {"name": "sequenceNumber", "type": "int"},
            {"name": "commitTimestamp", "type": "long"},
            {"name": "commitNumber", "type": "long"},
            {"name": "commitUser", "type": "string"},
            {"name": "nulledFields", "type": strings},
            {"name": "diffFields", "type": strings},
            {"name": "changedFields", "type": strings},
        ],
    }


def _field_type(name, address_defined):
    if name.endswith("Address"):
        if address_defined:
            return ["null", "Address"]  # a second use refers to the record by name, as Avro does
        return [
            "null",
            {
                "type": "record",
                "name": "Address",
                "fields": [
                    {"name": nested, "type": ["null", "double" if nested in NUMBER_FIELDS else "string"]}
                    for nested in ADDRESS_FIELDS
                ],
            },
        ]
    if name in TIME_FIELDS:
        return ["null", "long"]
    if name in NUMBER_FIELDS:
        return ["null", "double"]
    if name in BOOLEAN_FIELDS:
        return ["null", "boolean"]
    if name == "NumberOfEmployees":
        return ["null", "int"]
    return ["null", "string"]


def change_event_schema(entity, field_names):
    """An Avro schema shaped as Salesforce's <Entity>ChangeEvent: the header first, then the
    record's fields, each optional (null when not changed)."""
    fields_list = [{"name": "ChangeEventHeader", "type": _header_schema()}]
    address_defined = False
    for name in field_names:
        fields_list.append({"name": name, "type": _field_type(name, address_defined), "default": None})
        address_defined = address_defined or name.endswith("Address")
    return {
        "type": "record",
        "name": f"{entity}ChangeEvent",
        "namespace": "com.sforce.eventbus",
        "fields": fields_list,
    }


def change_record(schema, header, **values):
    """A change event record for `schema`: every field null unless given."""
    record = {item["name"]: None for item in schema["fields"][1:]}
    for name, value in values.items():
        if isinstance(value, dict) and name.endswith("Address"):
            value = {nested: value.get(nested) for nested in ADDRESS_FIELDS}
        record[name] = value
    defaults = {
        "commitTimestamp": int(time.time() * 1000),
        "changeOrigin": "com/salesforce/api/soap/62.0;client=SfdcInternalAPI/",
        "transactionKey": str(uuid.uuid4()),
        "sequenceNumber": 1,
        "commitNumber": 1,
        "commitUser": "005Q000000Human1AAA",
        "nulledFields": [],
        "diffFields": [],
        "changedFields": [],
    }
    record["ChangeEventHeader"] = {**defaults, **header}
    return record


def bitmap(schema, names):
    """The bitmap strings Salesforce would send for these field names (dotted for nested)."""
    top = [item["name"] for item in schema["fields"]]
    value, nested = 0, {}
    for name in names:
        parent, _dot, child = name.partition(".")
        if not child:
            value |= 1 << top.index(name)
            continue
        position = top.index(parent)
        nested[position] = nested.get(position, 0) | 1 << ADDRESS_FIELDS.index(child)
    return [hex(value)] + [f"{position}-{hex(bits)}" for position, bits in sorted(nested.items())]
