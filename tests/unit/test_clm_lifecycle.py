import pytest

from integration_clm.lib import lifecycle as lc


@pytest.mark.parametrize(
    ("current", "incoming", "expected"),
    [
        (None, lc.SENT, lc.SENT),
        (lc.DRAFT, lc.SENT, lc.SENT),
        (lc.SENT, lc.VIEWED, lc.VIEWED),
        (lc.VIEWED, lc.SIGNED, lc.SIGNED),
        (lc.SENT, lc.DECLINED, lc.DECLINED),
        # out of order: completed before sent stays completed
        (lc.SIGNED, lc.SENT, lc.SIGNED),
        (lc.SIGNED, lc.VIEWED, lc.SIGNED),
        # an ended contract keeps its end
        (lc.SIGNED, lc.VOIDED, lc.SIGNED),
        (lc.DECLINED, lc.SIGNED, lc.DECLINED),
        # a stale status never moves back
        (lc.VIEWED, lc.SENT, lc.VIEWED),
        (lc.VIEWED, None, lc.VIEWED),
        (lc.SENT, "not-a-state", lc.SENT),
    ],
)
def test_advance(current, incoming, expected):
    assert lc.advance(current, incoming) == expected


def test_every_order_of_one_history_converges():
    from itertools import permutations

    history = [lc.DRAFT, lc.SENT, lc.VIEWED, lc.SIGNED]
    for order in permutations(history):
        state = None
        for status in order:
            state = lc.advance(state, status)
        assert state == lc.SIGNED, order


def test_is_stale():
    assert lc.is_stale(lc.SIGNED, lc.SENT)
    assert not lc.is_stale(lc.SENT, lc.SIGNED)
    assert not lc.is_stale(lc.SENT, lc.SENT)


def test_vendor_maps_only_name_lifecycle_states():
    for table in (lc.DOCUSIGN_STATUS, lc.DROPBOX_SIGN_EVENT, lc.PANDADOC_STATUS):
        assert set(table.values()) <= set(lc.STATES)
