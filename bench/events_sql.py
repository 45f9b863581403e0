"""SQL that fills the queue with pending no-op events, for the processing and scale benches."""

import re


def insert_events_sql(backend_id, prefix, start, stop):
    """Events `<prefix><i>` for i in [start, stop], one entity each, oldest first, due now
    (the engine compares with Odoo's clock, which has whole seconds)."""
    assert re.fullmatch(r"\w+", prefix), prefix
    now = "(now() at time zone 'utc')"
    return f"""
        INSERT INTO integration_event (
            backend_id, company_id, external_event_id, event_type, entity_key, received_at, order_at,
            source, payload, state, is_exception, attempts, next_attempt_at,
            create_uid, write_uid, create_date, write_date)
        SELECT {int(backend_id)}, 1, '{prefix}' || i, 'bench.noop', 'entity_' || i, {now},
               {now} + i * interval '1 millisecond', 'webhook', '{{"id": 1}}', 'pending', false, 0,
               {now} - interval '1 second', 1, 1, {now}, {now}
          FROM generate_series({int(start)}, {int(stop)}) AS i
    """


def insert_outbound_sql(backend_id, prefix, n):
    """n pending `contact.push` messages `<prefix><i>`, one entity each, due now."""
    assert re.fullmatch(r"\w+", prefix), prefix
    now = "(now() at time zone 'utc')"
    return f"""
        INSERT INTO integration_outbound (
            backend_id, company_id, operation, payload, entity_key, order_at, correlation_id,
            idempotency_key, state, is_exception, attempts, next_attempt_at,
            create_uid, write_uid, create_date, write_date)
        SELECT {int(backend_id)}, 1, 'contact.push',
               '{{"id": "' || '{prefix}' || i || '", "name": "Bench contact", "email": null}}',
               '{prefix}' || i, {now} + i * interval '1 millisecond', '{prefix}' || i,
               '{prefix}' || i, 'pending', false, 0, {now} - interval '1 second', 1, 1, {now}, {now}
          FROM generate_series(1, {int(n)}) AS i
    """
