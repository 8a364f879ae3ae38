"""855 Purchase Order Acknowledgment ↔ ``PoAcknowledgement`` (004010 and 005010).

==============================  ===================================================
segment                         canonical field
==============================  ===================================================
BAK02 acknowledgment type       ``status``: AC, AE → accepted with changes; RD, RF,
                                RJ, RN, RO, RV → rejected; AD, AK, AT, AP → what the
                                lines say (all accepted, all rejected, or mixed).
                                Written AD/AK (accepted, with/without lines), AC,
                                RD/RJ (rejected, with/without lines)
BAK03, BAK08                    ``po_number``, ``ack_number``
REF*PP                          ``po_revision``
DTM*097 / BAK09                 ``acknowledged_at`` (BAK09, else BAK04, at midnight
                                UTC when there is no DTM*097)
N1*SU (SE, VN)                  ``supplier`` (absent: the interchange sender)
PO1 (number, ids), PID*F        line number and item
ACK01                           line ``status``: IA, AC, AR, AA accepted; IC, IP, IQ,
                                DR changed; IR, ID, R1..R9 rejected; IB, BP
                                backordered; IS substituted. Written IA, IC, IR,
                                IB, IS (through the partner's ``line_status`` list)
ACK02/ACK03                     ``changed_quantity``
ACK04/ACK05                     ``changed_delivery_date`` (067 current schedule
                                delivery, 017, 069, 002, then 068 current schedule
                                ship; else a DTM of the line or the header)
PO104 (CUR for the currency)    ``changed_unit_price``
ACK07..ACK28                    ``substitute_item``
N9 + MSG in the PO1 loop        ``reason``
==============================  ===================================================

A PO1 without ACK is accepted (rejected under a rejecting BAK02). With
several ACKs, the first that is not an acceptance speaks for the line.
Change fields are read only for the statuses that may carry them. The
canonical acknowledgement carries neither the order date nor the ordered
quantities: BAK04 is written with the acknowledgement date, and PO1 carries
the line number, the confirmed price and the item only.

Partner options: code lists ``ack_type`` (BAK02), ``line_status`` (ACK01),
``uom``; qualifiers ``ack_date`` (ACK04, 067), ``supplier_entity`` (SU),
``supplier_id`` (N103, 92), ``buyer_item``/``vendor_item``, ``price_basis``
(PO105, UM), ``reason`` (N901, L1). Element rules follow the set's GS08.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import ClassVar

from pydantic import BaseModel

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps.base import MapOptions, MapResult, fields, format_date
from distsync.formats.x12.maps.m855_lines import LINE_CODES, ack_line_segments, read_ack_line
from distsync.formats.x12.maps.po_common import (
    REVISION,
    SetReading,
    errors_in,
    finish,
    first,
    groups,
    issued_at_segment,
    read_issued_at,
    read_options,
    read_revision,
    sections,
    value,
)
from distsync.formats.x12.maps.po_items import check_totals
from distsync.formats.x12.maps.po_parties import (
    party_from,
    party_loop,
    party_segments,
    read_party,
    supplier_entities,
)
from distsync.formats.x12.schema import SetSpec, el, loop, seg
from distsync.formats.x12.tokenizer import Segment
from distsync.formats.x12.validate import validate
from distsync.formats.x12.writer import Fields
from distsync.model.parties import PartyRef
from distsync.model.procurement import AckLine, AckStatus, PoAcknowledgement

from . import po_specs as specs

WITH_CHANGES = frozenset({"AC", "AE"})
REJECTIONS = frozenset({"RD", "RF", "RJ", "RN", "RO", "RV"})
BY_LINES = frozenset({"AD", "AK", "AT", "AP"})
ACK_TYPES = sorted(WITH_CHANGES | REJECTIONS | BY_LINES | {"AH", "NA", "ZZ"})


def spec_855(options: MapOptions) -> SetSpec:
    """The 855 as this map reads and writes it."""
    return SetSpec("855", "Purchase Order Acknowledgment", (
        seg("BAK", "beginning segment for purchase order acknowledgment",
            el(1, "transaction set purpose code", "ID", 2, 2, required=True),
            el(2, "acknowledgment type", "ID", 2, 2, required=True, codes=ACK_TYPES),
            el(3, "purchase order number", "AN", 1, 22, required=True),
            el(4, "date", "DT", 8, 8, required=True),
            el(5, "release number", "AN", 1, 30),
            el(8, "reference identification", "AN", 1, specs.reference_length(options)),
            el(9, "date", "DT", 8, 8),
            min_use=1),
        specs.cur(), specs.ref(options), specs.per(options), specs.fob(),
        seg("CTP", "pricing information"), specs.header_charges(), specs.itd(),
        specs.dtm(), specs.pid(200), specs.td5(), specs.notes(options),
        specs.parties(options),
        loop("PO1",
             seg("PO1", "baseline item data",
                 el(1, "assigned identification", "AN", 1, 20),
                 el(2, "quantity ordered", "R", 1, 15),
                 el(3, "unit or basis for measurement code", "ID", 2, 2),
                 el(4, "unit price", "R", 1, 17),
                 el(5, "basis of unit price code", "ID", 2, 2),
                 *specs.product_id_elements(6, 10),
                 min_use=1),
             specs.cur(), specs.line_prices(), loop("PID", specs.pid(), max_use=1000),
             specs.po4(), specs.ref(options), specs.per(options), specs.line_charges(),
             specs.itd(2), specs.fob(), specs.dtm(), specs.td5(),
             seg("MSG", "message text", el(1, "free-form message text", "AN", 1, 264)),
             loop("ACK",
                  seg("ACK", "line item acknowledgment",
                      el(1, "line item status code", "ID", 2, 2, required=True,
                         codes=LINE_CODES),
                      el(2, "quantity", "R", 1, 15),
                      el(3, "unit or basis for measurement code", "ID", 2, 2),
                      el(4, "date/time qualifier", "ID", 3, 3),
                      el(5, "date", "DT", 8, 8),
                      *specs.product_id_elements(7, 11),
                      min_use=1),
                  specs.dtm(1),
                  max_use=104),
             specs.schedules(options), specs.notes(options), specs.line_parties(options),
             max_use=100_000),
        specs.totals(),
    ))  # fmt: skip


class PoAcknowledgement855:
    """The 855 map: a supplier's acknowledgement of a purchase order, and back."""

    set_id: ClassVar[str] = "855"
    map_version: ClassVar[str] = "1"
    functional_id: ClassVar[str] = "PR"
    document: ClassVar[type[BaseModel]] = PoAcknowledgement

    def spec(self, options: MapOptions) -> SetSpec:
        return options.adjust(spec_855(options))

    def read(self, transaction: TransactionSet, options: MapOptions) -> MapResult:
        options = read_options(transaction, options)
        problems = validate(transaction, self.spec(options))
        if errors_in(problems):
            return MapResult(None, problems)
        reading = SetReading(transaction, options, problems)
        return reading.result(_read(reading))

    def write(self, document: BaseModel, options: MapOptions) -> Sequence[Fields]:
        if not isinstance(document, PoAcknowledgement):
            raise SchemaViolation(f"writing an 855: expected an acknowledgement, got {document!r}")
        return finish(_body(document, options), self.spec(options), options)


PO_ACKNOWLEDGEMENT_855 = PoAcknowledgement855()


def _read(reading: SetReading) -> PoAcknowledgement | None:
    header, loops, summary = sections(reading.transaction.body, "PO1")
    head = groups(header, "N1")[0]
    bak = first(header, "BAK")
    assert bak is not None  # the spec requires it
    kind = reading.options.from_partner("ack_type", bak.element(2))
    rejecting = kind in REJECTIONS
    lines = [read_ack_line(reading, lp, i, head, rejecting=rejecting) for i, lp in enumerate(loops)]
    check_totals(reading, loops, summary, None)  # hash totals of 855s sum PO102 or ACK02
    supplier = _supplier(reading, header, bak)
    revision = read_revision(reading, head, absent=None)
    day = (bak, 9) if bak.element(9) else (bak, 4)
    acknowledged_at = read_issued_at(reading, head, day)
    known = [line for line in lines if line is not None]
    status = _status(reading, bak, kind, known)
    if reading.failed or supplier is None or acknowledged_at is None or status is None:
        return None
    return reading.attempt_document(bak, [lp[0] for lp in loops], lambda: PoAcknowledgement(
        po_number=value(bak, 3), po_revision=revision, ack_number=value(bak, 8) or None,
        acknowledged_at=acknowledged_at, supplier=supplier, status=status, lines=tuple(known),
    ))  # fmt: skip


def _supplier(reading: SetReading, header: Sequence[Segment], bak: Segment) -> PartyRef | None:
    loop = party_loop(groups(header, "N1")[1], supplier_entities(reading.options))
    if loop is not None:
        return read_party(reading, loop)
    return party_from(reading, bak, reading.transaction.interchange.sender()[1], "supplier")


def _status(
    reading: SetReading, bak: Segment, kind: str, lines: Sequence[AckLine]
) -> AckStatus | None:
    if kind in WITH_CHANGES:
        return AckStatus.ACCEPTED_WITH_CHANGES
    if kind in REJECTIONS:
        return AckStatus.REJECTED
    if kind in BY_LINES:
        return PoAcknowledgement.status_for(lines)
    reading.fail(bak, 2, f"acknowledgment type {kind!r} has no canonical status")
    return None


# -- writing -------------------------------------------------------------------------


def _body(ack: PoAcknowledgement, options: MapOptions) -> list[Fields]:
    currency = next(
        (line.changed_unit_price.currency for line in ack.lines if line.changed_unit_price), None
    )
    header = [
        _bak(ack, options),
        *([fields("CUR", "SE", currency)] if currency else []),
        *([fields("REF", REVISION, ack.po_revision)] if ack.po_revision is not None else []),
        issued_at_segment(ack.acknowledged_at),
        *party_segments(options.qualifier("supplier_entity", "SU"), ack.supplier, options,
                        "supplier"),
    ]  # fmt: skip
    lines = [s for line in ack.lines for s in ack_line_segments(line, options, currency)]
    return [*header, *lines, fields("CTT", len(ack.lines))]


def _bak(ack: PoAcknowledgement, options: MapOptions) -> Fields:
    kind = _ack_type(ack)
    day = format_date(ack.acknowledged_at.astimezone(UTC).date())
    return fields(
        "BAK", "00", options.to_partner("ack_type", kind), ack.po_number, day,
        None, None, None, ack.ack_number, day,
    )  # fmt: skip


def _ack_type(ack: PoAcknowledgement) -> str:
    if ack.status is AckStatus.ACCEPTED_WITH_CHANGES:
        return "AC"
    if ack.status is AckStatus.REJECTED:
        return "RD" if ack.lines else "RJ"
    return "AD" if ack.lines else "AK"
