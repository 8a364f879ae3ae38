"""What refuses a received file whole, and who sent it.

A file is refused whole (:class:`InterchangeRefused`, with located problems,
nothing appended) when it holds no interchange, when an interchange comes
from a sender that is no partner (or not the partner the caller named), when
it is addressed to someone other than us, and when it has errors a 997/999
cannot report: IEA missing or wrong, a bad ISA13, segments outside their
envelopes (X12 leaves those to a TA1, which distsync does not write).
"""

from __future__ import annotations

from distsync.config import Landscape
from distsync.config_x12 import X12Identity
from distsync.errors import MalformedDocument, PermanentError
from distsync.formats.x12.envelope import Interchange, TransactionSet
from distsync.formats.x12.inspect import Inspection, OptionsFor
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.problems import Location, Problem, Severity
from distsync.formats.x12.support import version_family
from distsync.x12_partners import map_options, partner_x12

__all__ = [
    "InterchangeRefused",
    "UnknownPartner",
    "options_for",
    "refuse_unreportable",
    "sender_name",
    "set_problem",
    "x12_profile",
]


class InterchangeRefused(MalformedDocument):
    """A file refused whole, with the located problems that refuse it."""

    def __init__(self, message: str, problems: tuple[Problem, ...] | list[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class UnknownPartner(PermanentError):
    """A partner name the landscape does not declare with an x12 profile."""


def options_for(landscape: Landscape) -> OptionsFor:
    """Map options for a received set: its version, and the sender's profile for the set."""

    def options(transaction: TransactionSet) -> MapOptions:
        identity = partner_x12(landscape, transaction.interchange.sender())
        version = version_family(transaction.group.version) or "004010"
        return map_options(identity, transaction.set_id, version)

    return options


def x12_profile(landscape: Landscape, name: str) -> X12Identity:
    """Partner ``name``'s X12 profile, or :class:`UnknownPartner`."""
    partner = landscape.partners.get(name)
    if partner is None or partner.x12 is None:
        raise UnknownPartner(f"receiving X12 from {name!r}: no partner of that name trades X12")
    return partner.x12


def refuse_unreportable(found: Inspection) -> None:
    """Refuse a file without interchanges, or with errors no 997/999 can carry."""
    if not found.reader.interchanges:
        raise InterchangeRefused("receiving X12: the file holds no interchange")
    attached = {id(p) for s in found.sets for p in s.problems}
    for interchange in found.reader.interchanges:
        attached |= {id(p) for g in interchange.groups for p in g.problems}
    loose = [p for p in found.reader.errors if id(p) not in attached]
    if loose:
        raise InterchangeRefused(f"receiving X12: {loose[0]}", loose)


def sender_name(landscape: Landscape, interchange: Interchange, wanted: str | None) -> str:
    """The partner that sent ``interchange`` (it must be ``wanted`` when given), addressed to us."""
    sender, receiver = interchange.sender(), interchange.receiver()
    names = [
        name
        for name, partner in landscape.partners.items()
        if partner.x12 is not None and (partner.x12.qualifier, partner.x12.id) == sender
    ]
    where = f"interchange {interchange.control}"
    if not names:
        _refuse(interchange, "unknown_sender", 6, f"{where}: the sender {'/'.join(sender)} "
                "(ISA05/ISA06) is no partner in the landscape")  # fmt: skip
    if wanted is not None and wanted not in names:
        _refuse(interchange, "wrong_sender", 6, f"{where}: the sender {'/'.join(sender)} "
                f"(ISA05/ISA06) is not partner {wanted}")  # fmt: skip
    ours = landscape.x12
    if ours is not None and receiver != (ours.qualifier, ours.id):
        _refuse(interchange, "wrong_receiver", 8, f"{where}: addressed to {'/'.join(receiver)} "
                f"(ISA07/ISA08), not to us ({ours.qualifier}/{ours.id})")  # fmt: skip
    return wanted or names[0]


def set_problem(transaction: TransactionSet, code: str, message: str, ack_code: str) -> Problem:
    """A problem of a whole set (AK5/IK5 ``ack_code``), located at the set."""
    t = transaction
    where = Location(
        interchange=t.interchange.control, group=t.group.control, transaction_set=t.control
    )
    return Problem(code, f"set {t.set_id} {t.control}: {message}", where, Severity.ERROR, ack_code)


def _refuse(interchange: Interchange, code: str, element: int, message: str) -> None:
    where = Location(interchange=interchange.control, segment_tag="ISA", element_position=element)
    raise InterchangeRefused(message, [Problem(code, message, where)])
