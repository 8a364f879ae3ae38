"""The purchase order's lifecycle: allowed moves as data, partial or full by quantities."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from distsync.rules.exceptions import PoTransitionRefused
from distsync.rules.po_lifecycle import (
    TERMINAL,
    TRANSITIONS,
    LineProgress,
    PoEvent,
    PoProgress,
    PoState,
    allowed_events,
    transition,
)

E, S = PoEvent, PoState


def progress(*lines: tuple[int, int, int]) -> PoProgress:
    return PoProgress(tuple(LineProgress(Decimal(o), Decimal(s), Decimal(r)) for o, s, r in lines))


HALF_SHIPPED = progress((10, 10, 0), (10, 4, 0))
ALL_SHIPPED = progress((10, 10, 0), (10, 12, 0))
HALF_RECEIVED = progress((10, 10, 10), (10, 10, 9))
ALL_RECEIVED = progress((10, 10, 10), (10, 10, 10))


def test_the_happy_path_from_sent_to_closed() -> None:
    steps = [
        (E.ACKNOWLEDGED, None, S.ACKNOWLEDGED),
        (E.SHIPPED, HALF_SHIPPED, S.PARTIALLY_SHIPPED),
        (E.SHIPPED, ALL_SHIPPED, S.SHIPPED),
        (E.RECEIVED, HALF_RECEIVED, S.PARTIALLY_RECEIVED),
        (E.RECEIVED, ALL_RECEIVED, S.RECEIVED),
        (E.INVOICED, None, S.INVOICED),
        (E.MATCHED, None, S.MATCHED),
        (E.CLOSED, None, S.CLOSED),
    ]
    state = S.SENT
    for event, quantities, expected in steps:
        state = transition(state, event, quantities, po_number="PO-1")
        assert state is expected


def test_goods_may_arrive_without_an_acknowledgement_or_a_notice() -> None:
    assert transition(S.SENT, E.RECEIVED, ALL_RECEIVED, po_number="PO-1") is S.RECEIVED


def test_a_late_acknowledgement_or_notice_leaves_a_further_state_as_it_is() -> None:
    assert transition(S.SHIPPED, E.ACKNOWLEDGED, po_number="PO-1") is S.SHIPPED
    assert transition(S.PARTIALLY_RECEIVED, E.SHIPPED, HALF_SHIPPED, po_number="PO-1") is (
        S.PARTIALLY_RECEIVED
    )


def test_goods_after_an_invoice_reopen_receiving() -> None:
    assert transition(S.MATCHED, E.RECEIVED, HALF_RECEIVED, po_number="PO-1") is (
        S.PARTIALLY_RECEIVED
    )


def test_an_impossible_move_is_refused_naming_order_state_and_allowed_events() -> None:
    with pytest.raises(PoTransitionRefused) as exc:
        transition(S.CANCELLED, E.SHIPPED, ALL_SHIPPED, po_number="PO-1")

    assert exc.value.reason_code == "po_transition_refused"
    assert exc.value.document_ref == "purchase_order:PO-1"
    assert str(exc.value) == (
        "purchase order PO-1 is cancelled; it cannot be shipped (allowed: none: the order is "
        "finished)"
    )
    with pytest.raises(PoTransitionRefused, match=r"allowed: acknowledged, shipped, received"):
        transition(S.SENT, E.MATCHED, po_number="PO-1")


def test_shipping_needs_the_quantities() -> None:
    with pytest.raises(ValueError, match="needs the order's progress"):
        transition(S.ACKNOWLEDGED, E.SHIPPED, po_number="PO-1")


def test_only_an_order_with_nothing_shipped_can_be_cancelled_or_rejected() -> None:
    assert transition(S.ACKNOWLEDGED, E.CANCELLED, po_number="PO-1") is S.CANCELLED
    assert transition(S.SENT, E.REJECTED, po_number="PO-1") is S.REJECTED
    assert E.CANCELLED not in allowed_events(S.PARTIALLY_SHIPPED)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(PoEvent)),
            st.sampled_from([HALF_SHIPPED, ALL_SHIPPED, HALF_RECEIVED, ALL_RECEIVED]),
        ),
        max_size=20,
    )
)
def test_any_sequence_of_events_stays_within_the_table(
    events: list[tuple[PoEvent, PoProgress]],
) -> None:
    state = S.SENT
    for event, quantities in events:
        allowed = state in TRANSITIONS[event]
        try:
            after = transition(state, event, quantities, po_number="PO-1")
        except PoTransitionRefused:
            assert not allowed
            continue
        assert allowed
        assert state not in TERMINAL
        target = TRANSITIONS[event][state]
        assert (
            after == state
            if target is None
            else after in (target if isinstance(target, tuple) else (target,))
        )
        state = after
