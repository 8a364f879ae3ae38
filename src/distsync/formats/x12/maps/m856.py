"""X12 856 Ship Notice/Manifest ↔ canonical ``AdvanceShipNotice`` (004010, 005010, VICS, UCS).

The HL tree: S shipment, O order, T tare (pallet), P pack (carton), I item.
Read: S/O/I (BSN05 0004), S/O/P/I and S/O/T/P/I (0001), S/I and S/P/I with
the purchase order on the item (``hl.py`` checks every parent pointer).
Packs under items (the S/O/I/P shape of BSN05 0002) are refused as a
parent at the wrong level.
Written: S/O/P/I, with a T level for pallets; an order whose only pack is
loose goods without a label is written S/O/I (BSN05 0004).

=====================  =====================================================
segment                canonical field
=====================  =====================================================
BSN01 / 02             ``purpose`` (00 original, 05 replace, 01 cancel; 06,
                       07, 14 read as original) / ``asn_number``
BSN03 + BSN04          ``issued_at``
DTM*011 (head or S)    ``shipped_at`` (the BSN date and time when absent)
DTM*017 / *067         ``expected_delivery_date``
S: TD5 03 / 05 / 12    ``carrier.scac`` (TD502 2) / ``carrier.name`` /
                       ``carrier.service`` (code list ``service_level``)
S: N1*CA 04            ``carrier.party_id`` (the SCAC when absent); written
                       only when our id is not the SCAC
S: REF*BM / REF*CN     ``bill_of_lading`` / ``tracking_numbers``
S: N1*SF + N3 N4 PER   ``ship_from`` (name, GLN, lines, city, region, postal
                       code, country, phone, email)
S/O: N1*ST 04          ``ship_to_warehouse_id`` (code list ``warehouse``)
S: N1*SU (SE VN SF SH) ``supplier``: N104 is our party id with qualifier 92
                       (or via code list ``party``), a GLN with UL, a D-U-N-S
                       with 1/9; the GS02 sender when no N1 names it
O (or I, P, S): PRF01  ``orders[].po_number``
T / P: MAN*GM          ``packs[].sscc`` (SSCC-18, with or without the 00 AI)
T / P: PO4 04 / 06 07  ``packs[].kind`` (PLT, CTN, TOT, LSE) / ``gross_weight``
                       (also read from MEA*PD*G and TD1)
T / P: REF*CN, MAN*CP  ``packs[].tracking_number``
I: LIN01 (or PL)       ``items[].po_line_number``
I: LIN BP/IN/SK/CB     ``item.sku`` (else the vendor part, else the GTIN)
I: LIN VN/VP/VA        ``item.supplier_part_number``
I: LIN UP/UK/EN        ``item.gtin``
I: LIN LT, REF*LT      ``lot``
I: SN1 02 / 03         ``quantity`` (code list ``uom``)
I: PID*F 05            ``item.description`` (split in 80-character pieces)
I: REF*SN              ``serial_numbers``, one REF each
I: DTM*036             ``expiry_date``
CTT 01 / 02            checked (HL or LIN count; SN102 hash total), written
=====================  =====================================================

Read but not kept: TD1 and TD3 (written: TD1 with the pack count and total
weight), SLN, PRF dates, a tare's own label when it holds packs (the model
has one pack level). Times: BSN, DTM without DTM04 are in the partner's time
code (qualifier ``time_code``, default UT); written in that zone, with DTM04.
PID pieces are joined with a space.

Not written, because one N1 or TD5 cannot hold them: the supplier's other
identifiers (N1*SU carries one: qualifier ``supplier`` 92 writes our party
id, UL the GLN, 1 the D-U-N-S), and a carrier service that is not (or does
not map to, through code list ``service_level``) a two-character TD512
code. A ship-from with neither name nor GLN is written ``N1*SF**92*`` with
the supplier's id. ``MapOptions.extra_segments`` are written at the end of
the shipment level; ``skip_segments`` and ``unused_elements`` are honoured.

Partner qualifiers (``MapOptions.qualifiers``): ``buyer_item`` (BP),
``vendor_part`` (VN), ``supplier`` (92, UL or 1), ``ship_to`` (92),
``delivery_date`` (017), ``serial`` (SN), ``tracking`` (CN), ``time_code``
(UT), ``transport_method`` (TD504, empty), ``country`` (US, when N404 is
empty). Code lists: ``uom``, ``packaging``, ``warehouse``, ``party``,
``service_level``.

Versions: 005010 allows 50 characters in REF02 (004010: 30); a VICS or UCS
group (``004010VICS``) requires BSN05. Read uses the group's GS08. The
group's version is not checked here: ``support.support_problems`` does that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from pydantic import BaseModel

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps.base import MapOptions, MapResult
from distsync.formats.x12.maps.m856_read import read_notice
from distsync.formats.x12.maps.m856_spec import spec_856
from distsync.formats.x12.maps.m856_write import write_notice
from distsync.formats.x12.schema import SetSpec
from distsync.formats.x12.writer import Fields
from distsync.model.asn import AdvanceShipNotice

__all__ = ["ADVANCE_SHIP_NOTICE_856", "AdvanceShipNotice856"]


class AdvanceShipNotice856:
    """The 856 map (map version 1); see the module docstring for what it reads and writes."""

    set_id: ClassVar[str] = "856"
    map_version: ClassVar[str] = "1"
    functional_id: ClassVar[str] = "SH"
    document: ClassVar[type[BaseModel]] = AdvanceShipNotice

    def spec(self, options: MapOptions) -> SetSpec:
        return options.adjust(spec_856(options.version))

    def read(self, transaction: TransactionSet, options: MapOptions) -> MapResult:
        """The notice, or the located problems that stop it (never raises for bad content)."""
        version = transaction.group.version
        if version[:6] in ("004010", "005010"):
            options = replace(options, version=version)
        return read_notice(transaction, options, self.spec(options))

    def write(self, document: BaseModel, options: MapOptions) -> Sequence[Fields]:
        """The body segments of the notice; SchemaViolation when a value has no X12 form."""
        if not isinstance(document, AdvanceShipNotice):
            raise SchemaViolation(
                f"writing an 856: expected an advance ship notice, got {type(document).__name__}"
            )
        return write_notice(document, options, self.spec(options))


ADVANCE_SHIP_NOTICE_856 = AdvanceShipNotice856()
