"""Test helpers for the 856 map: sample notices of any size, a hypothesis strategy, the envelope.

``sample_asn(orders, packs, items)`` builds a deterministic notice (for tests
and the benchmark): ``orders`` purchase orders, ``packs`` labelled cartons
each, ``items`` lines per carton, with GTINs, lots and expiry dates.
``notices()`` draws notices whose every field survives an 856 and back.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import strategies as st

from distsync.formats.x12.envelope import TransactionSet, X12Reader
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.m856 import ADVANCE_SHIP_NOTICE_856
from distsync.formats.x12.writer import Envelope, Party
from distsync.model.asn import AdvanceShipNotice, AsnItem, AsnOrder, AsnPack, AsnPurpose, PackKind
from distsync.model.examples.master import ACME, CATALOG, UPS
from distsync.model.identifiers import gs1_check_digit
from distsync.model.items import ItemRef
from distsync.model.parties import Address, CarrierRef, PartyRef
from distsync.model.units import Quantity
from tests.x12_corpus import corpus_root

GOLDEN = Path(__file__).resolve().parent / "x12_golden" / "856"
SHIPPED = datetime(2024, 5, 16, 18, 30, tzinfo=UTC)


def corpus_856() -> Path:
    """The shared corpus folder of 856 files: skipped locally when absent, a failure in CI."""
    folder = corpus_root() / "856"
    if not folder.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the X12 conformance corpus is missing: {folder}")
        pytest.skip(f"the X12 conformance corpus is not here: {folder}")
    return folder


def with_check_digit(digits: str) -> str:
    return digits + str(gs1_check_digit(digits))


def sample_asn(orders: int, packs: int, items: int) -> AdvanceShipNotice:
    """A notice of ``orders`` x ``packs`` cartons x ``items`` lines, the same on every call."""
    return AdvanceShipNotice(
        asn_number=f"ASN-S{orders}-{packs}-{items}",
        issued_at=SHIPPED + timedelta(minutes=35),
        supplier=PartyRef(party_id=ACME.party_id, name=ACME.name),
        ship_to_warehouse_id="WH-EAST",
        carrier=UPS.model_copy(update={"service": None}),
        tracking_numbers=("1Z9999990312345678",),
        bill_of_lading="BOL-55102",
        shipped_at=SHIPPED,
        expected_delivery_date=date(2024, 5, 20),
        orders=[_sample_order(o, packs, items) for o in range(orders)],
    )


def _sample_order(o: int, packs: int, items: int) -> AsnOrder:
    cartons = []
    for p in range(packs):
        label = with_check_digit(f"0081234{o:05d}{p:05d}")
        lines = [_sample_item(line, (o * packs + p) * items + line) for line in range(items)]
        cartons.append(AsnPack(sscc=label, gross_weight=Quantity(value=Decimal("12.5"), uom="KG"),
                               items=lines))  # fmt: skip
    return AsnOrder(po_number=f"PO-2024-{o + 1:05d}", packs=cartons)


def _sample_item(line: int, serial: int) -> AsnItem:
    entry = CATALOG[serial % len(CATALOG)]
    ref = ItemRef(sku=entry.sku, supplier_part_number=entry.acme_part_number, gtin=entry.gtin,
                  description=entry.description)  # fmt: skip
    return AsnItem(po_line_number=line + 1, item=ref, quantity=Quantity(value=6, uom="CA"),
                   lot=f"L2405-{serial:04d}", expiry_date=date(2027, 4, 30))  # fmt: skip


def interchange(
    notice: AdvanceShipNotice, options: MapOptions | None = None, version: str = "004010"
) -> bytes:
    """The notice as a whole X12 interchange from ACME to Northwind."""
    options = options or MapOptions(version=version)
    body = ADVANCE_SHIP_NOTICE_856.write(notice, options)
    envelope = Envelope(Party("ZZ", "ACME"), Party("ZZ", "NORTHWIND"), version=version)
    text = envelope.interchange("SH", [("856", body)], interchange_control=1, group_control=1,
                                first_set_control=1, at=SHIPPED)  # fmt: skip
    return text.encode()


def only_set(data: bytes) -> TransactionSet:
    (found,) = X12Reader(data).read_all()
    return found


# -- hypothesis: notices every field of which an 856 carries ---------------------------

SAFE = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
codes = st.text(SAFE, min_size=2, max_size=20).map(lambda s: "C" + s)
words = st.lists(st.text("abcdefghij", min_size=1, max_size=12), min_size=1, max_size=12)
names = words.map(lambda w: " ".join(w)[:35].strip()).filter(bool)
zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=-4)), timezone(timedelta(hours=5, minutes=30))]
)
moments = st.builds(
    lambda day, minutes, tz: datetime(2024, 1, 1, tzinfo=UTC).astimezone(tz)
    + timedelta(days=day, minutes=minutes),
    st.integers(0, 900), st.integers(0, 1439), zones,
)  # fmt: skip
quantities = st.builds(
    lambda units, places: Quantity(value=Decimal(units).scaleb(-places), uom="EA"),
    st.integers(1, 9_999_999), st.integers(0, 3),
)  # fmt: skip
tracking = codes.map(lambda code: "1Z" + code)
gtins = st.one_of(
    st.none(),
    st.text("0123456789", min_size=11, max_size=11).map(with_check_digit),
    st.text("0123456789", min_size=12, max_size=13).map(with_check_digit),
)


@st.composite
def _item(draw: st.DrawFn, serial_prefix: str) -> AsnItem:
    serials: list[str] = []
    if draw(st.booleans()):
        quantity = Quantity(value=draw(st.integers(1, 3)), uom="EA")
        serials = [f"{serial_prefix}-{n}" for n in range(int(quantity.value))]
    else:
        unit = draw(st.sampled_from(["EA", "CA", "KG"]))
        quantity = draw(quantities).model_copy(update={"uom": unit})
    ref = ItemRef(
        sku=draw(codes),
        supplier_part_number=draw(st.none() | codes),
        gtin=draw(gtins),
        description=draw(st.none() | words.map(" ".join)),
    )
    return AsnItem(
        po_line_number=draw(st.integers(1, 999_999)),
        item=ref,
        quantity=quantity,
        lot=draw(st.none() | codes),
        serial_numbers=serials,
        expiry_date=draw(st.none() | st.dates(date(2024, 1, 1), date(2035, 12, 31))),
    )


weights = st.builds(
    lambda v: Quantity(value=Decimal(v).scaleb(-1), uom="LB"), st.integers(1, 99_999)
)


@st.composite
def _pack(draw: st.DrawFn, label: str) -> AsnPack:
    items = [draw(_item(f"SN{label}{i}")) for i in range(draw(st.integers(1, 3)))]
    return AsnPack(
        sscc=draw(st.none() | st.just(with_check_digit(f"00812345{label}"))),
        kind=draw(st.sampled_from(PackKind)),
        tracking_number=draw(st.none() | tracking),
        gross_weight=draw(st.none() | weights),
        items=items,
    )


@st.composite
def _carrier(draw: st.DrawFn) -> CarrierRef:
    scac = draw(st.none() | st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=4))
    party_id = draw(st.just(scac) | codes) or draw(codes)
    return CarrierRef(
        party_id=party_id,
        scac=scac,
        name=draw(st.none() | names),
        service=draw(st.sampled_from([None, "CG", "ND"])),
    )


@st.composite
def _ship_from(draw: st.DrawFn) -> Address:
    return Address(
        name=draw(st.none() | names),
        lines=draw(st.lists(names, min_size=1, max_size=4)),
        city=draw(st.text("abcdefghij", min_size=2, max_size=30)),
        region=draw(st.none() | st.just("OR")),
        postal_code="97210",
        country=draw(st.sampled_from(["US", "CA"])),
        gln=draw(st.none() | st.just("0812345000016")),
        phone=draw(st.none() | st.just("503-555-0142")),
        email=draw(st.none() | st.just("dock@cascade.example")),
    )


@st.composite
def notices(draw: st.DrawFn) -> AdvanceShipNotice:
    """A notice whose fields all survive write then read with the default options."""
    orders = []
    for o in range(draw(st.integers(1, 3))):
        packs = [draw(_pack(f"{o:04d}{p:05d}")) for p in range(draw(st.integers(1, 3)))]
        orders.append(AsnOrder(po_number=f"PO-{o}-{draw(codes)}"[:22], packs=packs))
    shipped = draw(moments)
    delivery = st.integers(1, 30).map(lambda days: shipped.date() + timedelta(days=days))
    return AdvanceShipNotice(
        asn_number=draw(codes),
        purpose=draw(st.sampled_from(AsnPurpose)),
        issued_at=shipped + timedelta(minutes=draw(st.integers(0, 600))),
        supplier=PartyRef(party_id=draw(codes), name=draw(st.none() | names)),
        ship_from=draw(st.none() | _ship_from()),
        ship_to_warehouse_id=draw(codes),
        carrier=draw(st.none() | _carrier()),
        tracking_numbers=draw(st.lists(tracking, max_size=3)),
        bill_of_lading=draw(st.none() | codes),
        shipped_at=shipped,
        expected_delivery_date=draw(st.none() | delivery),
        orders=orders,
    )
