"""Reading the 856 heading and shipment level: BSN, dates, references, carrier, parties."""

from __future__ import annotations

import re
from typing import Any

from distsync.formats.x12.maps.hl import HlLevel, Placed
from distsync.formats.x12.maps.m856_codes import DELIVERY, PURPOSES, SHIPPED, SUPPLIER_ROLES
from distsync.formats.x12.maps.m856_context import ReadContext

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
CONTACTS = {"TE": "phone", "EM": "email"}
PARTY_LOOP = frozenset({"N2", "N3", "N4", "REF", "PER"})

Parties = dict[str, list[Placed]]


def split_parties(segments: list[Placed]) -> tuple[list[Placed], Parties]:
    """A level's own segments, and its N1 loops by entity code (the first loop of each)."""
    own: list[Placed] = []
    parties: Parties = {}
    current: list[Placed] | None = None
    for placed in segments:
        tag = placed[1].tag
        if tag == "N1":
            current = [placed]
            parties.setdefault(placed[1].element(1).strip(), current)
        elif current is not None and tag in PARTY_LOOP:
            current.append(placed)
        else:
            own.append(placed)
    return own, parties


def first(segments: list[Placed], tag: str, qualifier: str | None = None) -> Placed | None:
    for placed in segments:
        if placed[1].tag == tag and (qualifier is None or placed[1].element(1) == qualifier):
            return placed
    return None


def read_header(ctx: ReadContext, header: list[Placed], shipment: HlLevel) -> dict[str, Any]:
    """The notice's own fields (everything but ``orders``)."""
    own, parties = split_parties(shipment.segments)
    data: dict[str, Any] = {}
    bsn = first(header, "BSN")
    if bsn is not None:
        data |= _beginning(ctx, bsn)
    data |= _dates(ctx, header + own, data.get("issued_at"))
    data |= _references(ctx, own)
    data["carrier"] = _carrier(ctx, own, parties)
    data["supplier"] = _supplier(ctx, parties)
    data["ship_to_warehouse_id"] = _ship_to(ctx, shipment, parties)
    data["ship_from"] = _address(ctx, "ship_from", parties.get("SF"))
    return {key: value for key, value in data.items() if value is not None}


def _beginning(ctx: ReadContext, bsn: Placed) -> dict[str, Any]:
    ctx.note("", bsn[0])
    ctx.note("purpose", bsn[0], 1)
    return {
        "purpose": PURPOSES.get(bsn[1].element(1)),
        "asn_number": ctx.text("asn_number", bsn, 2),
        "issued_at": ctx.moment("issued_at", bsn, 3, 4),
    }


def _dates(ctx: ReadContext, segments: list[Placed], issued: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    shipped = first(segments, "DTM", SHIPPED)
    if shipped is not None:
        data["shipped_at"] = ctx.moment("shipped_at", shipped, 2, 3)
    elif issued is not None:
        ctx.problem("no shipped date (DTM*011): the notice's date is taken", 0, warning=True,
                    code="shipped_date_missing")  # fmt: skip
        ctx.note("shipped_at", *ctx.sources["issued_at"])
        data["shipped_at"] = issued
    wanted = (ctx.options.qualifier("delivery_date", DELIVERY[0]), *DELIVERY)
    delivery = next((p for p in segments if p[1].tag == "DTM" and p[1].element(1) in wanted), None)
    if delivery is not None:
        data["expected_delivery_date"] = ctx.day("expected_delivery_date", delivery, 2)
    return data


def _references(ctx: ReadContext, own: list[Placed]) -> dict[str, Any]:
    tracking = ctx.options.qualifier("tracking", "CN")
    numbers: list[str | None] = []
    for placed in own:
        if placed[1].tag == "REF" and placed[1].element(1) == tracking:
            numbers.append(ctx.text(f"tracking_numbers.{len(numbers)}", placed, 2))
    bill = ctx.text("bill_of_lading", first(own, "REF", "BM"), 2)
    return {"tracking_numbers": [n for n in numbers if n], "bill_of_lading": bill}


def _carrier(ctx: ReadContext, own: list[Placed], parties: Parties) -> dict[str, Any] | None:
    td5 = next((p for p in own if p[1].tag == "TD5" and _names_carrier(p)), None)
    loop = parties.get("CA")
    if td5 is None and loop is None:
        return None
    scac = ctx.text("carrier.scac", td5, 3) if td5 and td5[1].element(2) == "2" else None
    service = ctx.text("carrier.service", td5, 12)
    name = ctx.text("carrier.name", td5, 5) or ctx.text("carrier.name", _head(loop), 2)
    party_id = ctx.text("carrier.party_id", _head(loop), 4)
    if party_id is None and scac is not None:
        ctx.note("carrier.party_id", *ctx.sources["carrier.scac"])
        party_id = scac
    if party_id is None:
        where = (td5 or _head(loop) or (0, None))[0]
        ctx.problem("carrier has no SCAC (TD503) and no id (N1*CA): not kept", where,
                    warning=True, code="carrier_unidentified")  # fmt: skip
        return None
    if service is not None:
        service = ctx.options.from_partner("service_level", service)
    return {"party_id": _party_id(ctx, party_id), "name": name, "scac": scac,
            "service": service}  # fmt: skip


def _names_carrier(td5: Placed) -> bool:
    return any(td5[1].element(position).strip() for position in (3, 5, 12))


def _head(loop: list[Placed] | None) -> Placed | None:
    return loop[0] if loop else None


def _supplier(ctx: ReadContext, parties: Parties) -> dict[str, Any]:
    loop = next((parties[role] for role in SUPPLIER_ROLES if role in parties), None)
    sender = ctx.transaction.group.gs.element(2).strip()
    if loop is None:
        return {"party_id": _party_id(ctx, sender)}
    n1 = loop[0]
    ctx.note("supplier", n1[0])
    qualifier, code = n1[1].element(3), ctx.text("supplier.party_id", n1, 4)
    party: dict[str, Any] = {"name": ctx.text("supplier.name", n1, 2)}
    if code is not None and qualifier == "UL":
        party["gln"] = ctx.text("supplier.gln", n1, 4)
    if code is not None and qualifier in ("1", "9"):
        ctx.note("supplier.duns", n1[0], 4)
        party["duns"] = code[:9]
    mapped = _party_id(ctx, code) if code else None
    if code is not None and (mapped != code or _is_code(code)):
        party["party_id"] = mapped
    else:  # no usable id on the N1: the partner as the envelope names it
        ctx.note("supplier.party_id", n1[0])
        party["party_id"] = _party_id(ctx, sender)
    return {key: value for key, value in party.items() if value is not None}


def _party_id(ctx: ReadContext, code: str) -> str:
    return ctx.options.from_partner("party", code)


def _is_code(value: str) -> bool:
    """Whether a partner's id can serve as our party id as it is (the model's ``Code``)."""
    return CODE.match(value) is not None


def _ship_to(ctx: ReadContext, shipment: HlLevel, parties: Parties) -> str | None:
    order_parties = (split_parties(order.segments)[1] for order in shipment.children)
    loop = parties.get("ST") or next((p["ST"] for p in order_parties if "ST" in p), None)
    if loop is None:
        ctx.problem("no ship-to (N1*ST) on the shipment or an order", shipment.index)
        ctx.failed.add("ship_to_warehouse_id")
        return None
    code = ctx.text("ship_to_warehouse_id", loop[0], 4)
    if code is None:
        ctx.problem("the ship-to (N1*ST) has no identification code (N104)", loop[0][0], 4)
        ctx.failed.add("ship_to_warehouse_id")
        return None
    return ctx.options.from_partner("warehouse", code)


def _address(ctx: ReadContext, path: str, loop: list[Placed] | None) -> dict[str, Any] | None:
    if loop is None:
        return None
    lines = [p for p in loop if p[1].tag == "N3"]
    n4 = first(loop, "N4")
    if not lines or n4 is None:
        return None
    n1 = loop[0]
    ctx.note(path, n1[0])
    ctx.note(f"{path}.lines", lines[0][0], 1)
    address = {
        "name": ctx.text(f"{path}.name", n1, 2),
        "gln": ctx.text(f"{path}.gln", n1, 4) if n1[1].element(3) == "UL" else None,
        "lines": [s.element(e).strip() for _, s in lines for e in (1, 2) if s.element(e).strip()],
        "city": ctx.text(f"{path}.city", n4, 1),
        "region": ctx.text(f"{path}.region", n4, 2),
        "postal_code": ctx.text(f"{path}.postal_code", n4, 3),
        "country": ctx.text(f"{path}.country", n4, 4) or ctx.options.qualifier("country", "US"),
    }
    address |= _contact(ctx, path, first(loop, "PER"))
    return {key: value for key, value in address.items() if value is not None}


def _contact(ctx: ReadContext, path: str, per: Placed | None) -> dict[str, Any]:
    if per is None:
        return {}
    found: dict[str, Any] = {}
    for position in (3, 5, 7):
        field = CONTACTS.get(per[1].element(position))
        if field is not None and field not in found:
            found[field] = ctx.text(f"{path}.{field}", per, position + 1)
    return found
