"""Documents written outside any delivery, and listed by kind, on every backend."""

from __future__ import annotations

from tests.contract.conftest import LogFactory


async def test_a_put_document_is_read_back_by_another_handle_with_who_wrote_it(
    open_log: LogFactory,
) -> None:
    writer, reader = open_log(), open_log()

    written = await writer.put_document("cursor", "erp:purchases", {"at": "x"}, by="poller")

    stored = await reader.get_document("cursor", "erp:purchases")
    assert stored is not None
    assert stored.body == {"at": "x"}
    assert stored.updated_by == "poller"
    assert stored.version == written.version == 1


async def test_putting_again_replaces_the_body_and_counts_a_version(open_log: LogFactory) -> None:
    log = open_log()
    await log.put_document("cursor", "erp", {"at": "first"}, by="poller")

    again = await log.put_document("cursor", "erp", {"at": "second"}, by="poller")

    assert again.version == 2
    assert again.body == {"at": "second"}


async def test_documents_are_listed_by_kind_in_key_order_a_page_at_a_time(
    open_log: LogFactory,
) -> None:
    log = open_log()
    for key in ("c", "a", "d", "b"):
        await log.put_document("group", key, {"key": key}, by="test")
    await log.put_document("other", "a", {}, by="test")

    first = await log.list_documents("group", limit=3)
    rest = await log.list_documents("group", after_key=first[-1].key, limit=3)

    assert [d.key for d in first] == ["a", "b", "c"]
    assert [d.key for d in rest] == ["d"]
    assert [d.body for d in rest] == [{"key": "d"}]
    assert await log.list_documents("none") == []
