"""X12 as a simulated trading partner speaks it: read what arrives, acknowledge it, answer it.

A simulated supplier or 3PL is the other side of distsync: it reads the
interchanges it receives with distsync's own reader and maps, acknowledges
every functional group with a 997/999 (``ack.acknowledgement_interchange``),
and writes its answers with the maps in its own profile's version,
delimiters and interchange ids (an ``X12Identity``, as the landscape file
describes a partner). Control numbers come from a counter that starts at
``first`` and goes up by one per interchange, group and set: the same input
always gets the same numbers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel

from distsync.config_x12 import X12Identity
from distsync.errors import MalformedDocument, SchemaViolation
from distsync.formats.x12.ack import acknowledgement_interchange, by_set
from distsync.formats.x12.ack_read import ACK_SETS, FunctionalAck, read_acknowledgement
from distsync.formats.x12.decode import encode
from distsync.formats.x12.delimiters import Delimiters
from distsync.formats.x12.envelope import Interchange, TransactionSet, X12Reader
from distsync.formats.x12.maps.base import X12Map
from distsync.formats.x12.maps.registry import map_for
from distsync.formats.x12.problems import Location, Problem, Severity
from distsync.formats.x12.support import support_problems, version_family
from distsync.formats.x12.writer import Envelope, Fields, Party
from distsync.x12_partners import map_options

__all__ = [
    "ControlNumbers",
    "Inbound",
    "InboundSet",
    "Outgoing",
    "PartnerWriter",
    "read_inbound",
]

WRAP = 999_999_999


@dataclass(frozen=True)
class Outgoing:
    """One interchange to send ``delay`` seconds after what triggered it (``copies`` times)."""

    set_id: str
    reference: str  # the document it carries: PO, ASN, invoice, receipt number
    body: bytes
    controls: tuple[int, int, int]  # ISA13, GS06, first ST02
    delay: float = 0.0
    copies: int = 1


class ControlNumbers:
    """ISA13, GS06 and ST02 counters of one simulated partner, thread-safe."""

    def __init__(self, first: int = 1) -> None:
        self._next = {"isa": first, "gs": first, "st": first}
        self._lock = threading.Lock()

    def take(self, sets: int = 1) -> tuple[int, int, int]:
        """The numbers of one interchange of one group holding ``sets`` transaction sets."""
        with self._lock:
            isa, gs, st = self._next["isa"], self._next["gs"], self._next["st"]
            self._next["isa"] = isa % WRAP + 1
            self._next["gs"] = gs % WRAP + 1
            self._next["st"] = (st + sets - 1) % WRAP + 1
        return isa, gs, st


@dataclass
class InboundSet:
    """A received transaction set, its canonical document (when it maps) and its problems."""

    transaction: TransactionSet
    document: BaseModel | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    def sender(self) -> Party:
        """Who sent it, as the receiver of our answer: ISA id and GS02 application code."""
        application = self.transaction.group.gs.element(2).strip() or None
        return Party(*self.transaction.interchange.sender(), application=application)


@dataclass
class Inbound:
    """One received file: its sets, the acknowledgements it held, and how it was encoded."""

    reader: X12Reader
    sets: list[InboundSet]
    acknowledgements: list[FunctionalAck]

    def acknowledgement_replies(
        self, kind: str, controls: Callable[[int], tuple[int, int, int]], at: datetime
    ) -> list[tuple[Interchange, bytes, tuple[int, int, int]]]:
        """The 997/999 interchange answering each received interchange (none for FA only)."""
        replies = []
        for interchange in self.reader.interchanges:
            mine = [s for s in self.sets if s.transaction.interchange is interchange]
            groups = [g for g in interchange.groups if g.functional_id != "FA"]
            if not groups:
                continue
            numbers = controls(len(groups))
            text = acknowledgement_interchange(
                interchange,
                by_set(p for s in mine for p in s.problems),
                kind=kind,
                controls=numbers,
                at=at,
                transactions=[s.transaction for s in mine],
            )
            if text is not None:
                replies.append((interchange, encode(text, self.reader.encoding), numbers))
        return replies


def read_inbound(data: bytes, identity: X12Identity, takes: Iterable[str]) -> Inbound:
    """Read, check and map a received file; ``MalformedDocument`` when it is no X12 at all.

    ``takes`` are the transaction sets this partner acts on; any other is
    refused in its acknowledgement (AK5 code 1, as an unsupported set).
    """
    reader = X12Reader(data)
    found: list[InboundSet] = []
    acks: list[FunctionalAck] = []
    for transaction in reader.sets():
        if transaction.set_id in ACK_SETS:
            acks += _acknowledgement(transaction)
        else:
            found.append(_inbound_set(transaction, identity, frozenset(takes)))
    if not found and not acks:
        errors = "; ".join(str(p) for p in reader.errors[:3])
        raise MalformedDocument(
            "reading an interchange: it holds no transaction set"
            + (f" ({errors})" if errors else "")
        )
    return Inbound(reader, found, acks)


def _acknowledgement(transaction: TransactionSet) -> list[FunctionalAck]:
    try:
        return [read_acknowledgement(transaction, transaction.interchange.sender()[1])]
    except SchemaViolation:
        return []


def _inbound_set(
    transaction: TransactionSet, identity: X12Identity, takes: frozenset[str]
) -> InboundSet:
    found = InboundSet(transaction, problems=list(transaction.problems))
    refusals = [
        p
        for p in support_problems(transaction)
        if not (p.code == "unsupported_set" and transaction.set_id in takes)
    ]
    if transaction.set_id not in takes and not any(p.code == "unsupported_set" for p in refusals):
        refusals.append(_not_taken(transaction, takes))
    found.problems += refusals
    if any(p.severity is Severity.ERROR for p in found.problems):
        return found
    version = version_family(transaction.group.version) or identity.version
    options = map_options(identity, transaction.set_id, version)
    result = map_for(transaction.set_id, options.map_version).read(transaction, options)
    found.document = result.document
    found.problems += result.problems
    return found


def _not_taken(transaction: TransactionSet, takes: frozenset[str]) -> Problem:
    group = transaction.group
    where = Location(
        interchange=group.interchange.control,
        group=group.control,
        transaction_set=transaction.control,
        segment_position=1,
        segment_tag="ST",
    )
    message = (
        f"transaction set {transaction.set_id!r} is not one this partner takes "
        f"({', '.join(sorted(takes))})"
    )
    return Problem("unsupported_set", message, where, Severity.ERROR, "1")


class PartnerWriter:
    """Documents as this partner sends them: its maps' options, envelope and control numbers."""

    def __init__(self, identity: X12Identity, controls: ControlNumbers) -> None:
        self.identity = identity
        self.controls = controls

    def body(self, set_id: str, document: BaseModel) -> Sequence[Fields]:
        """The transaction set body of ``document`` in this partner's version and options."""
        options = map_options(self.identity, set_id, self.identity.version)
        return self._map(set_id).write(document, options)

    def interchange(
        self, set_id: str, body: Sequence[Fields], to: Party, at: datetime
    ) -> tuple[bytes, tuple[int, int, int]]:
        """One interchange, one group, one set; with the next control numbers."""
        isa, gs, st = numbers = self.controls.take()
        text = self.envelope(to).interchange(
            self._map(set_id).functional_id, [(set_id, body)],
            interchange_control=isa, group_control=gs, first_set_control=st, at=at,
        )  # fmt: skip
        return text.encode(), numbers

    def envelope(self, to: Party) -> Envelope:
        me = self.identity
        d = me.delimiters
        return Envelope(
            Party(me.qualifier, me.id, me.application),
            to,
            version=me.gs_version,
            delimiters=Delimiters(
                d.element, d.component, d.segment, d.repetition, "\n" if d.line_break else ""
            ),
            usage=me.usage,
        )

    def _map(self, set_id: str) -> X12Map:
        return map_for(set_id, self.identity.map_version(set_id))
