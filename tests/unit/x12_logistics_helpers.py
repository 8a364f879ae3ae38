"""Shared by the 940, 944, 945 and 214 map tests: envelopes, corpus, golden files, strategies."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import strategies as st

from distsync.errors import MalformedDocument, SchemaViolation
from distsync.formats.x12.envelope import TransactionSet, X12Reader
from distsync.formats.x12.maps.base import MapOptions, MapResult, X12Map
from distsync.formats.x12.writer import Envelope, Fields, Party
from distsync.model.identifiers import gs1_check_digit
from distsync.model.items import ItemRef
from tests.x12_corpus import corpus_root

CORPUS = corpus_root()
GOLDEN = Path(__file__).resolve().parent / "x12_golden"
BROKEN_MARKS = ("fail", "Corrupt", "Invalid")
AT = datetime(2024, 5, 22, 16, 0, tzinfo=UTC)


def corpus(set_id: str) -> list[Path]:
    """The corpus files of one set; skips (fails under CI) when the corpus is missing."""
    folder = CORPUS / set_id
    if not folder.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the X12 conformance corpus is missing at {CORPUS}")
        pytest.skip(f"the X12 conformance corpus is not at {CORPUS}")
    return sorted(p for p in folder.iterdir() if p.is_file())


def is_broken(path: Path) -> bool:
    return any(mark in path.name for mark in BROKEN_MARKS)


def interchange(x12_map: X12Map, body: Sequence[Fields], version: str = "004010") -> str:
    envelope = Envelope(Party("ZZ", "DISTSYNC"), Party("ZZ", "PARTNER"), version=version)
    return envelope.interchange(
        x12_map.functional_id, [(x12_map.set_id, body)], interchange_control=7,
        group_control=7, first_set_control=1, at=AT,
    )  # fmt: skip


def only_set(text: str | bytes) -> TransactionSet:
    data = text.encode() if isinstance(text, str) else text
    (found,) = X12Reader(data).read_all()
    return found


def round_trip(x12_map: X12Map, document: object, options: MapOptions) -> MapResult:
    body = x12_map.write(document, options)  # type: ignore[arg-type]
    return x12_map.read(only_set(interchange(x12_map, body, options.version)), options)


def golden(set_id: str, name: str) -> Path:
    return GOLDEN / set_id / name


def body_lines(body: Sequence[Fields]) -> list[str]:
    """Written segments as the golden files hold them: one per line, trailing empties dropped."""
    lines = []
    for fields in body:
        values = list(fields)
        while len(values) > 1 and values[-1] == "":
            values.pop()
        lines.append("*".join(values))
    return lines


def golden_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip()]


def errors(result: MapResult) -> list[tuple[str, str | None, int | None]]:
    return [
        (p.code, p.location.segment_tag, p.location.element_position)
        for p in result.problems
        if p.severity == "error"
    ]


def read_safely(x12_map: X12Map, data: bytes, options: MapOptions) -> None:
    """Read mutated bytes: only the taxonomy's refusals may come out."""
    try:
        sets = X12Reader(data).read_all()
    except MalformedDocument:
        return
    for transaction in sets:
        if transaction.set_id == x12_map.set_id:
            with contextlib.suppress(MalformedDocument, SchemaViolation):
                x12_map.read(transaction, options)


# -- strategies ---------------------------------------------------------------------

LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
WORD = st.text(alphabet=LETTERS + "0123456789", min_size=2, max_size=8)


def codes(max_size: int = 12) -> st.SearchStrategy[str]:
    """Identifiers: letters, digits and inner dashes."""
    return st.from_regex(rf"[A-Z0-9][A-Z0-9-]{{1,{max_size - 2}}}[A-Z0-9]", fullmatch=True)


def tracking_numbers(max_size: int = 30) -> st.SearchStrategy[str]:
    return st.from_regex(rf"[A-Z0-9][A-Z0-9-]{{2,{max_size - 2}}}[A-Z0-9]", fullmatch=True)


def words(max_size: int = 30) -> st.SearchStrategy[str]:
    """Free text without surrounding blanks or X12 delimiters."""
    return (
        st.lists(WORD, min_size=1, max_size=4)
        .map(" ".join)
        .filter(lambda text: len(text) <= max_size)
    )


def gtins() -> st.SearchStrategy[str]:
    def with_check(digits: str) -> str:
        return digits + str(gs1_check_digit(digits))

    sizes = st.sampled_from([11, 12, 13])
    return sizes.flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)).map(with_check)


def ssccs() -> st.SearchStrategy[str]:
    digits = st.text("0123456789", min_size=17, max_size=17)
    return digits.map(lambda d: d + str(gs1_check_digit(d)))


def quantities(*, positive: bool = True) -> st.SearchStrategy[Decimal]:
    low = 1 if positive else 0
    return st.integers(low, 999_999).map(lambda n: Decimal(n).scaleb(-2).normalize())


def moments() -> st.SearchStrategy[datetime]:
    """Aware datetimes to the second, in whole-hour offsets (what X12 time codes say)."""
    zones = st.integers(-12, 12).map(lambda h: timezone(timedelta(hours=h)))
    naive = st.datetimes(datetime(2001, 1, 1), datetime(2049, 12, 31)).map(
        lambda moment: moment.replace(microsecond=0)
    )
    return st.builds(lambda moment, zone: moment.replace(tzinfo=zone), naive, zones)


def items() -> st.SearchStrategy[ItemRef]:
    long_text = (
        st.lists(WORD, min_size=1, max_size=25).map(" ".join).filter(lambda t: len(t) <= 225)
    )
    return st.builds(
        ItemRef, sku=codes(20), gtin=st.none() | gtins(),
        supplier_part_number=st.none() | codes(20), description=st.none() | long_text,
    )  # fmt: skip
