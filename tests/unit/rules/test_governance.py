"""Source-of-truth governance: only the owner of a field group may change it."""

from __future__ import annotations

from distsync.errors import NotSystemOfRecord
from distsync.model.examples import example_item, variant
from distsync.rules.governance import UpdateDecision, check_update, owner_of
from distsync.rules.governance_merge import keep_others_fields

OWNERSHIP = {
    "item": "erp",
    "item.content": "pim",
    "item.financial": "erp",
    "stock.on_hand": "wms-*",
}


def decide(object_type: str, groups: tuple[str, ...], source: str) -> UpdateDecision:
    return check_update(
        OWNERSHIP,
        object_type=object_type,
        field_groups=groups,
        source_system=source,
        document_ref=f"{object_type}:X-1",
    )


def test_the_owner_may_change_its_field_group() -> None:
    decision = decide("item", ("financial",), "erp")

    assert decision.allowed
    assert decision.exception() is None
    [rule] = decision.subjects
    assert (rule.subject, rule.key, rule.owner) == ("item.financial", "item.financial", "erp")


def test_a_glob_owner_matches_every_system_it_names() -> None:
    assert decide("stock", ("on_hand",), "wms-east").allowed
    assert decide("stock", ("on_hand",), "wms-west").allowed
    assert not decide("stock", ("on_hand",), "erp").allowed


def test_the_most_specific_key_wins() -> None:
    assert owner_of(OWNERSHIP, "item.content") == ("item.content", "pim")
    assert owner_of(OWNERSHIP, "item.weights") == ("item", "erp")
    assert owner_of(OWNERSHIP, "item.content.images") == ("item.content", "pim")
    assert decide("item", ("content",), "pim").allowed
    assert not decide("item", ("content",), "erp").allowed


def test_an_unowned_field_group_is_free_for_anyone() -> None:
    decision = decide("customer", ("addresses",), "shop")

    assert decision.allowed
    assert decision.subjects[0].owner is None


def test_a_non_owner_is_refused_as_a_whole_with_who_owns_what() -> None:
    decision = decide("item", ("content", "financial"), "pim")

    assert not decision.allowed
    assert [rule.subject for rule in decision.refused] == ["item.financial"]
    problem = decision.exception()
    assert isinstance(problem, NotSystemOfRecord)
    assert problem.reason_code == "not_system_of_record"
    assert problem.document_ref == "item:X-1"
    assert problem.facts["owner.item.financial"] == "erp"
    assert problem.facts["source_system"] == "pim"
    assert str(problem) == (
        "item:X-1: pim may not change item: item.financial is owned by erp (item.financial)"
    )
    assert [r.action for r in problem.resolutions] == ["discard", "accept_from_owner", "replay"]


def test_an_update_naming_no_field_groups_touches_every_owned_group() -> None:
    decision = decide("item", (), "pim")

    assert [rule.subject for rule in decision.subjects] == [
        "item",
        "item.content",
        "item.financial",
    ]
    assert [rule.subject for rule in decision.refused] == ["item", "item.financial"]
    problem = decision.exception()
    assert problem is not None
    assert problem.facts["owners"] == "erp"


# -- a system of record's full refresh ---------------------------------------------------


def test_a_refresh_keeps_the_fields_another_system_owns() -> None:
    cached = variant(example_item(), {"description": "Hex bolt M8x40, as the PIM words it"})
    refreshed = variant(example_item(), {"description": "HEX BOLT M8X40", "active": False})

    kept = keep_others_fields(
        {"item.content": "pim"},
        object_type="item",
        source_system="erp",
        refreshed=refreshed,
        cached=cached,
    )

    assert kept.description == "Hex bolt M8x40, as the PIM words it"
    assert kept.active is False  # status: nobody owns it, the refresh sets it


def test_a_refresh_from_the_owner_or_of_a_new_record_is_taken_whole() -> None:
    refreshed = variant(example_item(), {"description": "HEX BOLT M8X40"})
    cached = example_item()
    ownership = {"item.content": "erp"}

    owned = keep_others_fields(
        ownership, object_type="item", source_system="erp", refreshed=refreshed, cached=cached
    )
    new = keep_others_fields(
        {"item.content": "pim"},
        object_type="item",
        source_system="erp",
        refreshed=refreshed,
        cached=None,
    )

    assert owned == refreshed
    assert new == refreshed
