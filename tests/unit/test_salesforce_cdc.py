"""The shared Change Data Capture fixture read as typed facts: what changed, by whom, and
whether it is only Odoo's own write-back (echo)."""

import json

from integration_salesforce.lib.schemas import ChangeEventHeader


def header(fixtures_dir):
    event = json.loads((fixtures_dir / "salesforce" / "cdc_account_change_event.json").read_text())
    return ChangeEventHeader.model_validate(event["payload"]["ChangeEventHeader"])


def test_cdc_account_update_header(fixtures_dir):
    change = header(fixtures_dir)
    assert change.entity_name == "Account"
    assert change.record_ids == ["0014H00002LbR7QQAV"]
    assert change.change_type == "UPDATE" and not change.is_gap
    assert change.commit_user == "00558000000yFyDAAU"
    assert change.commit_timestamp == 1696444513000


def test_changed_fields_by_their_compound_root(fixtures_dir):
    change = header(fixtures_dir)
    assert change.touches_only(["BillingAddress"])  # BillingAddress.City and .State
    assert not change.touches_only(["Odoo_Status__c"])  # a real change, not an echo


def test_gap_events_carry_no_values(fixtures_dir):
    event = json.loads((fixtures_dir / "salesforce" / "cdc_account_change_event.json").read_text())
    gap = ChangeEventHeader.model_validate(
        {**event["payload"]["ChangeEventHeader"], "changeType": "GAP_UPDATE"}
    )
    assert gap.is_gap
