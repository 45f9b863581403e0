"""Change Data Capture through the Pub/Sub API, without Odoo: bitmap fields decoded with
Salesforce's documented examples, Avro decoding with the schema cached by id, echo
detection, and the gRPC client against the local stand-in server (flow control, resume
after a replay id, a replay id older than the retention)."""

import json

import pytest

from integration_salesforce.lib import cdc, pubsub
from integration_salesforce.lib.pubsub_standin import (
    ACCOUNT_FIELDS,
    PubSubStandIn,
    change_event_schema,
    change_record,
)

TOPIC = "/data/AccountChangeEvent"
SCHEMA_ID = "a01VpgrsZNJdn-7KStJcxQ"  # the shared fixture's schema id


@pytest.fixture
def account_schema():
    return change_event_schema("Account", ACCOUNT_FIELDS)


def _documented_example_schema():
    """31 top-level fields f0..f30; f4 and f7 are compound (records of 8 nested fields)."""
    fields_list = []
    for index in range(31):
        if index in (4, 7):
            nested = [{"name": f"n{j}", "type": ["null", "string"]} for j in range(8)]
            kind = {"type": "record", "name": f"Compound{index}", "fields": nested}
            fields_list.append({"name": f"f{index}", "type": ["null", kind]})
        else:
            fields_list.append({"name": f"f{index}", "type": ["null", "string"]})
    return {"type": "record", "name": "Example", "fields": fields_list}


def test_documented_bitmap_example():
    # Salesforce's example: 'changedFields': ['0x650004E0','4-0x10','7-0x06']
    names = cdc.field_names(["0x650004E0", "4-0x10", "7-0x06"], _documented_example_schema())
    # 0x650004E0 = bits 5, 6, 7, 10, 24, 26, 29, 30; 0x10 = nested bit 4; 0x06 = bits 1 and 2
    assert names == ["f5", "f6", "f7", "f10", "f24", "f26", "f29", "f30", "f4.n4", "f7.n1", "f7.n2"]


def test_fixture_bitmap_gives_the_fixture_field_names(fixtures_dir, account_schema):
    """The shared fixture shows the decoded names of an Account update; in the schema of
    that event's field order they are bit 22 and bits 1 and 2 of BillingAddress (field 4)."""
    event = json.loads((fixtures_dir / "salesforce" / "cdc_account_change_event.json").read_text())
    expected = event["payload"]["ChangeEventHeader"]["changedFields"]
    assert list(event["payload"])[1:] == ACCOUNT_FIELDS  # the schema has the fixture's order
    assert cdc.field_names(["0x400000", "4-0x06"], account_schema) == expected


def test_bitmap_nested_in_a_record_referred_to_by_name(account_schema):
    # ShippingAddress (position 5) reuses the Address record by its name
    assert cdc.field_names(["0x0", "5-0x01"], account_schema) == ["ShippingAddress.Street"]


@pytest.mark.parametrize(
    "bitmaps, message",
    [
        (["650004E0"], "neither 0x"),
        (["0xZZ"], "not hexadecimal"),
        (["0x1000000000000"], "there are"),
        (["3-0x01"], "not a compound field"),
        (["99-0x01"], "the schema has"),
    ],
)
def test_bad_bitmaps_are_refused_clearly(bitmaps, message, account_schema):
    with pytest.raises(cdc.CdcError, match=message):
        cdc.field_names(bitmaps, account_schema)


def test_avro_event_decoded_with_the_schema_fetched_once(account_schema):
    fetched = []

    def fetch(schema_id):
        fetched.append(schema_id)
        return json.dumps(account_schema)

    schemas = cdc.SchemaCache(fetch)
    record = change_record(
        account_schema,
        {
            "entityName": "Account",
            "recordIds": ["0014H00002LbR7QQAV"],
            "changeType": "UPDATE",
            "commitTimestamp": 1696444513000,
            "sequenceNumber": 3,
            "changedFields": ["0x400000", "4-0x06"],
        },
        BillingAddress={"City": "San Francisco", "State": "CA"},
        LastModifiedDate=1696444513000,
    )
    payload = cdc.encode(account_schema, record)
    first = cdc.read_event(TOPIC, b"\x01", "uuid-1", SCHEMA_ID, payload, schemas)
    second = cdc.read_event(TOPIC, b"\x02", "uuid-2", SCHEMA_ID, payload, schemas)
    assert fetched == [SCHEMA_ID]
    assert first.header.changed_fields == ["LastModifiedDate", "BillingAddress.City", "BillingAddress.State"]
    assert first.header.record_ids == ["0014H00002LbR7QQAV"]
    assert first.order == (1696444513000, 3)
    assert first.values["BillingAddress"]["City"] == "San Francisco"
    assert "Name" not in first.values  # unchanged fields are null in Pub/Sub events
    assert cdc.flat_values(first.values)["BillingCity"] == "San Francisco"
    assert second.replay_hex == "02"


def test_payload_that_does_not_match_its_schema(account_schema):
    schemas = cdc.SchemaCache(lambda _id: json.dumps(account_schema))
    with pytest.raises(cdc.CdcError, match="does not match schema"):
        cdc.read_event(TOPIC, b"\x01", "uuid", SCHEMA_ID, b"\x07garbage", schemas)
    broken = cdc.SchemaCache(lambda _id: "{not json")
    with pytest.raises(cdc.CdcError, match="not an Avro schema"):
        cdc.read_event(TOPIC, b"\x01", "uuid", SCHEMA_ID, b"", broken)


def _header(**values):
    base = {"entityName": "Opportunity", "recordIds": ["006Q0000009N3gf"], "changeType": "UPDATE"}
    return cdc.ChangeHeader.model_validate({**base, **values})


def test_echo_by_client_or_commit_user_touching_only_odoo_fields():
    owned = ["Odoo_Status__c", "Odoo_Order_Number__c"]
    ours = "com/salesforce/api/rest/62.0;client=OdooIntegration"
    echo = _header(changeOrigin=ours, changedFields=["Odoo_Status__c", "LastModifiedDate"])
    assert cdc.is_echo(echo, "", "OdooIntegration", owned)
    by_user = _header(commitUser="005Q000000Integ1AAA", changedFields=["Odoo_Status__c"])
    assert cdc.is_echo(by_user, "005Q000000Integ1", "OdooIntegration", owned)
    # the integration changing a Salesforce-owned field, or a person changing Odoo's: real
    real = _header(changeOrigin=ours, changedFields=["Odoo_Status__c", "StageName"])
    assert not cdc.is_echo(real, "", "OdooIntegration", owned)
    person = _header(commitUser="005Q000000Human1AAA", changedFields=["Odoo_Status__c"])
    assert not cdc.is_echo(person, "005Q000000Integ1AAA", "OdooIntegration", owned)
    other_client = _header(changeOrigin="x;client=OdooIntegrationTest", changedFields=["Odoo_Status__c"])
    assert not cdc.is_echo(other_client, "", "OdooIntegration", owned)


# ---------------------------------------------------------------------- gRPC, loopback
@pytest.fixture
def standin(account_schema):
    server = PubSubStandIn(access_token="tok", tenant_id="00DQ0000000EB93MAQ").start()
    server.add_schema(SCHEMA_ID, account_schema)
    yield server
    server.stop()


def _client(server, token="tok"):
    return pubsub.PubSubClient(
        server.endpoint, token, "https://acme.my.salesforce.com", "00DQ0000000EB93MAQ", secure=False
    )


def _publish(server, schema, count, start=0):
    ids = []
    for index in range(start, start + count):
        header = {
            "entityName": "Account",
            "recordIds": [f"001Q0000000A{index:03d}AAA"],
            "changeType": "UPDATE",
        }
        ids.append(server.publish(TOPIC, SCHEMA_ID, change_record(schema, header, Name=f"Acme {index}")))
    return ids


def test_subscribe_with_flow_control_and_resume(standin, account_schema):
    replay_ids = _publish(standin, account_schema, 7)
    with _client(standin) as client:
        first_stream = list(client.subscribe(TOPIC, replay_ids[1], batch_size=2, seconds=10))
    received = [event.replay_id for batch in first_stream for event in batch.events]
    assert received == replay_ids[2:]  # exactly after the given replay id, in order
    asked = [request[3] for request in standin.fetch_requests]
    assert asked[0] == 2 and all(n == 2 for n in asked)  # never asked for more than one batch
    assert all(len(batch.events) <= 2 for batch in first_stream)
    assert standin.fetch_requests[0][1:3] == ("CUSTOM", int.from_bytes(replay_ids[1], "big"))
    # the schema is read by the caller, once per id
    with _client(standin) as client:
        assert json.loads(client.get_schema(SCHEMA_ID))["name"] == "AccountChangeEvent"
        assert client.get_topic(TOPIC).can_subscribe


def test_expired_replay_id_is_refused_with_salesforce_error_code(standin, account_schema):
    replay_ids = _publish(standin, account_schema, 5)
    standin.expire(TOPIC, keep_last=2)
    with _client(standin) as client, pytest.raises(pubsub.ReplayIdRefused) as caught:
        list(client.subscribe(TOPIC, replay_ids[0], seconds=5))
    assert caught.value.error_code.endswith("replayid.corrupted")
    with _client(standin) as client:  # the last purged id is gone too; the first kept one works
        with pytest.raises(pubsub.ReplayIdRefused):
            list(client.subscribe(TOPIC, replay_ids[2], seconds=5))
        events = [e.replay_id for b in client.subscribe(TOPIC, replay_ids[3], seconds=5) for e in b.events]
    assert events == replay_ids[4:]


def test_wrong_token_is_unauthenticated(standin):
    with _client(standin, token="expired") as client, pytest.raises(pubsub.AuthRefused):
        client.get_schema(SCHEMA_ID)


def test_a_silent_server_ends_the_stream_after_the_idle_time(standin, account_schema):
    standin.keepalive = False  # Salesforce sends its keepalive only every few minutes
    replay_ids = _publish(standin, account_schema, 3)
    with _client(standin) as client:
        batches = list(client.subscribe(TOPIC, None, earliest=True, seconds=60, idle_seconds=1.0))
        assert client.stream_end == "idle"  # not the 60 s budget
    assert [e.replay_id for b in batches for e in b.events] == replay_ids
    standin.keepalive = True
    with _client(standin) as client:
        [keepalive] = list(client.subscribe(TOPIC, replay_ids[-1], seconds=60))
        assert keepalive.events == []
        assert client.stream_end == "keepalive"
