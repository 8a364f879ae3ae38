"""Shared by the 810 and 846 map tests: the corpus, interchanges around bodies, mutations."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import strategies as st

from distsync.errors import MalformedDocument, SchemaViolation
from distsync.formats.x12.envelope import TransactionSet, X12Reader
from distsync.formats.x12.maps.base import MapOptions, MapResult, X12Map
from distsync.formats.x12.problems import Problem, Severity
from distsync.formats.x12.writer import Envelope, Fields, Party
from tests.x12_corpus import corpus_root

GOLDEN = Path(__file__).resolve().parent / "x12_golden"
CORPUS = corpus_root()
BROKEN_MARKS = ("fail", "Corrupt", "Invalid")
ALLOWED = (MalformedDocument, SchemaViolation)


def corpus_files(set_id: str) -> list[Path]:
    """The corpus files of a set; none when the corpus is not here (see ``require_corpus``)."""
    folder = CORPUS / set_id
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def require_corpus(set_id: str, expected: int) -> None:
    """Skip (locally) or fail (in CI) when the corpus of a set is missing."""
    if not corpus_files(set_id):
        if os.environ.get("CI") == "true":
            pytest.fail(f"the X12 conformance corpus is missing at {CORPUS}")
        pytest.skip(f"the X12 conformance corpus is not at {CORPUS}")
    assert len(corpus_files(set_id)) == expected


def is_broken(path: Path) -> bool:
    return any(mark in path.name for mark in BROKEN_MARKS)


def sets_of(data: bytes | str) -> list[TransactionSet]:
    raw = data.encode() if isinstance(data, str) else data
    return X12Reader(raw).read_all()


def golden(*parts: str) -> bytes:
    return GOLDEN.joinpath(*parts).read_bytes()


def golden_body(*parts: str) -> list[list[str]]:
    """A golden body file: one segment a line, ``*`` between elements, ``~`` at the end."""
    text = GOLDEN.joinpath(*parts).read_text()
    return [line.rstrip("~").split("*") for line in text.splitlines() if line.strip()]


def interchange(
    x12_map: X12Map, body: Sequence[Fields], version: str = "004010", control: int = 7
) -> str:
    envelope = Envelope(Party("ZZ", "ACMESUPPLY"), Party("ZZ", "NORTHWIND"), version=version)
    return envelope.interchange(
        x12_map.functional_id,
        [(x12_map.set_id, body)],
        interchange_control=control,
        group_control=control,
        first_set_control=1,
        at=datetime(2024, 5, 17, 10, 30, tzinfo=UTC),
    )


def read_one(x12_map: X12Map, data: bytes | str, options: MapOptions | None = None) -> MapResult:
    (transaction,) = sets_of(data)
    return x12_map.read(transaction, options or MapOptions())


def errors(result: MapResult) -> list[Problem]:
    return [p for p in result.problems if p.severity is Severity.ERROR]


def where(problem: Problem) -> tuple[str | None, int | None, int | None]:
    """(segment tag, segment position in the set, element position) of a problem."""
    location = problem.location
    return location.segment_tag, location.segment_position, location.element_position


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few edits: characters dropped, doubled or replaced, segments moved."""
    alphabet = "*~>^:|0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ .-\n"
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        edit = draw(st.sampled_from(["drop", "double", "replace", "insert", "swap_segments"]))
        if edit == "drop":
            text = text[:at] + text[at + 1 :]
        elif edit == "double":
            text = text[:at] + text[at] + text[at:]
        elif edit == "replace":
            text = text[:at] + draw(st.sampled_from(alphabet)) + text[at + 1 :]
        elif edit == "insert":
            text = text[:at] + draw(st.text(alphabet, min_size=1, max_size=8)) + text[at:]
        else:
            segments = text.split("~")
            i = draw(st.integers(0, len(segments) - 1))
            j = draw(st.integers(0, len(segments) - 1))
            segments[i], segments[j] = segments[j], segments[i]
            text = "~".join(segments)
    return text


def read_all_guarded(x12_map: X12Map, text: str) -> list[MapResult]:
    """Read every set of ``text`` with the map; only the taxonomy's refusals may escape."""
    results = []
    try:
        transactions = sets_of(text.encode("utf-8", "surrogateescape"))
    except ALLOWED:
        return []
    for transaction in transactions:
        try:
            results.append(x12_map.read(transaction, MapOptions()))
        except ALLOWED:
            continue
    return results
