"""Read a whole X12 file the way operators and partners need it: every set checked and mapped.

``inspect`` reads a file, and for each transaction set collects its
envelope problems, refuses what no map supports (version or set), validates
it against its map's spec and maps it to its canonical document. The result
feeds ``distsync edi parse|validate|ack`` and, later, the inbound flows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet, X12Reader
from distsync.formats.x12.maps.base import MapOptions, X12Map
from distsync.formats.x12.maps.registry import map_for
from distsync.formats.x12.problems import Location, Problem, Severity
from distsync.formats.x12.support import support_problems, version_family

OptionsFor = Callable[[TransactionSet], MapOptions]
ACKNOWLEDGEMENTS = ("997", "999")


@dataclass
class InspectedSet:
    """One transaction set: where it is, what it maps to, what is wrong with it."""

    transaction: TransactionSet
    document: BaseModel | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]


@dataclass
class Inspection:
    reader: X12Reader
    sets: list[InspectedSet]

    @property
    def problems(self) -> list[Problem]:
        """File-level problems (tokenizer, envelopes) and every set's own."""
        seen = {id(p) for s in self.sets for p in s.problems}
        envelope = [p for p in self.reader.problems if id(p) not in seen]
        return [*envelope, *(p for s in self.sets for p in s.problems)]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]


def default_options(transaction: TransactionSet) -> MapOptions:
    return MapOptions(version=version_family(transaction.group.version) or "004010")


def inspect(
    data: bytes, options_for: OptionsFor = default_options, *, mapping: bool = True
) -> Inspection:
    """Read, check and (with ``mapping``) map every transaction set of an X12 file."""
    reader = X12Reader(data)
    found = [_inspect_set(t, options_for, mapping) for t in reader.sets()]
    return Inspection(reader, found)


def _inspect_set(
    transaction: TransactionSet, options_for: OptionsFor, mapping: bool
) -> InspectedSet:
    inspected = InspectedSet(transaction, problems=list(transaction.problems))
    refusals = support_problems(transaction)
    inspected.problems += refusals
    if refusals or not mapping:
        return inspected
    if transaction.set_id in ACKNOWLEDGEMENTS:
        return inspected  # read by ack_read, not mapped to a business document
    options = options_for(transaction)
    chosen = _map(transaction, options, inspected)
    if chosen is not None:
        result = chosen.read(transaction, options)
        inspected.document = result.document
        inspected.problems += result.problems
    return inspected


def _map(
    transaction: TransactionSet, options: MapOptions, inspected: InspectedSet
) -> X12Map | None:
    try:
        return map_for(transaction.set_id, options.map_version)
    except SchemaViolation as exc:  # a partner pinned to a map version that does not exist
        where = Location(
            interchange=transaction.interchange.control,
            group=transaction.group.control,
            transaction_set=transaction.control,
            segment_position=1,
            segment_tag="ST",
        )
        inspected.problems.append(Problem("no_map", str(exc), where, Severity.ERROR, "1"))
        return None
