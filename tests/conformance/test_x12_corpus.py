"""Conformance: every real X12 file of the shared corpus, read from where it lies.

The corpus holds interchanges written by other projects (see its README and
provenance.json); it is never copied into this repository. Files named
``fail``, ``Corrupt`` or ``Invalid`` are broken on purpose and must be
rejected with a located error; every other file must be read and written back
to the same segments; no file may crash the reader.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from distsync.errors import MalformedDocument
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.inspect import default_options, inspect
from distsync.formats.x12.maps.registry import map_for
from distsync.formats.x12.support import support_problems
from distsync.formats.x12.writer import Envelope, Party, render
from tests.x12_corpus import corpus_root

CORPUS = corpus_root()
BROKEN_MARKS = ("fail", "Corrupt", "Invalid")


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.glob("*/*") if p.is_file())


FILES = corpus_files()
BROKEN = [p for p in FILES if any(mark in p.name for mark in BROKEN_MARKS)]
GOOD = [p for p in FILES if p not in BROKEN]


def test_the_corpus_is_there() -> None:
    if not FILES:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the X12 conformance corpus is missing at {CORPUS}")
        pytest.skip(f"the X12 conformance corpus is not at {CORPUS}")
    assert len(FILES) >= 50
    assert BROKEN


def read(path: Path) -> X12Reader:
    reader = X12Reader(path.read_bytes())
    reader.read_all()
    return reader


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_file_crashes_the_reader(path: Path) -> None:
    refusal = None
    try:
        read(path)
    except MalformedDocument as exc:  # a clear refusal is allowed, anything else is a crash
        refusal = str(exc)
    assert refusal is None or refusal.startswith("reading")


@pytest.mark.parametrize("path", GOOD, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_good_file_is_read_and_written_back_to_the_same_segments(path: Path) -> None:
    reader = X12Reader(path.read_bytes())
    sets = reader.read_all()
    assert reader.interchanges, "no interchange found"
    original = [segment_values(s) for t in sets for s in t.segments]
    rewritten = X12Reader(rewrite(path).encode("utf-8", "surrogateescape"))
    again = [segment_values(s) for t in rewritten.read_all() for s in t.segments]
    assert again == original


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_broken_file_is_rejected_with_a_located_error(path: Path) -> None:
    reader = X12Reader(path.read_bytes())
    sets = reader.read_all()
    problems = [*reader.errors, *(p for t in sets for p in support_problems(t))]
    assert problems, "a broken file was accepted without an error"
    for problem in problems:
        assert problem.location.segment_tag is not None
        assert str(problem.location) != "start of file"


def segment_values(segment) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    return (segment.tag, *segment.elements)


def rewrite(path: Path) -> str:
    """Every interchange of the file written again with its own delimiters."""
    reader = X12Reader(path.read_bytes())
    sets = reader.read_all()
    out = []
    for interchange in reader.interchanges:
        segments = [interchange.isa]
        for group in interchange.groups:
            segments.append(group.gs)
            segments += [s for t in sets if t.group is group for s in t.segments]
            if group.trailer is not None:
                segments.append(group.trailer)
        if interchange.trailer is not None:
            segments.append(interchange.trailer)
        out.append(render(segments, interchange.delimiters))
    return "".join(out)


@pytest.mark.parametrize("path", GOOD, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_good_file_maps_where_supported_and_its_documents_round_trip(path: Path) -> None:
    found = inspect(path.read_bytes())
    for item in found.sets:
        for problem in item.problems:
            assert problem.location.segment_tag is not None, problem
        if item.document is None:
            continue
        transaction = item.transaction
        options = default_options(transaction)
        chosen = map_for(transaction.set_id, options.map_version)
        body = chosen.write(item.document, options)
        again = chosen.read(reread(transaction, body, options.version), options)
        assert again.document == item.document, again.problems


def reread(transaction, body, version):  # type: ignore[no-untyped-def]
    """A set written from ``body`` between the received set's parties, in ``version``."""
    interchange = transaction.interchange
    envelope = Envelope(
        Party(*interchange.sender()), Party(*interchange.receiver()), version=version
    )
    text = envelope.interchange(
        transaction.group.functional_id, [(transaction.set_id, body)],
        interchange_control=1, group_control=1, first_set_control=1,
        at=datetime(2026, 1, 5, tzinfo=UTC),
    )  # fmt: skip
    (again,) = X12Reader(text.encode()).read_all()
    return again
