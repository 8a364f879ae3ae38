"""Parties and places of the purchasing maps: N1 loops to ``PartyRef`` and ``Address``, and back.

An N1 names one party: ``N1*{entity}*{name}*{qualifier}*{id}``. The id is
read as the party id whatever its qualifier (92 assigned by buyer, 91 by
seller, ZZ, 9 D-U-N-S+4, ...); under ``UL`` it is also the GLN, under ``1``
also the D-U-N-S. Identifiers the N1 does not carry travel in REF segments of
the loop: ``REF*LU`` (location number) holds a GLN, ``REF*DUN`` a D-U-N-S.

Writing puts our party id in N104 under the qualifier of the partner's
profile (``{role}_id``, default ``92``). A partner may ask for ``UL`` or
``1``: the N1 then carries the GLN or D-U-N-S, and the party id does not
travel (it reads back as that identifier).

The ship-to N1 carries the warehouse id in N104 (or, when the partner asks
for ``UL``, the GLN of the address) and the delivery address in
N1 (addressee), N3 (up to four lines), N4 (city, state, postal code,
country; the United States when N404 is empty, as X12 guides have it) and
PER (telephone ``TE``, e-mail ``EM``).
"""

from __future__ import annotations

from collections.abc import Sequence

from distsync.formats.x12.maps.base import MapOptions, fields
from distsync.formats.x12.maps.po_common import SetReading, first, refusal, value
from distsync.formats.x12.tokenizer import Segment
from distsync.formats.x12.writer import Fields
from distsync.model.parties import Address, PartyRef

ASSIGNED_BY_BUYER = "92"
GLN = "UL"
DUNS = "1"
GLN_REF = "LU"
DUNS_REF = "DUN"
DEFAULT_COUNTRY = "US"
ALPHA3 = {"USA": "US", "CAN": "CA", "MEX": "MX"}
SHIP_TO = ("ST", "BS")  # ship to; bill and ship to
BUYER = ("BY",)
SUPPLIERS = ("SU", "SE", "VN")  # supplier/manufacturer, selling party, vendor


def party_loop(loops: Sequence[list[Segment]], entities: Sequence[str]) -> list[Segment] | None:
    """The first N1 loop for the first entity code (in order of preference) that has one."""
    for entity in entities:
        for loop in loops:
            if loop[0].element(1) == entity:
                return loop
    return None


def supplier_entities(options: MapOptions) -> tuple[str, ...]:
    chosen = options.qualifier("supplier_entity", "SU")
    return (chosen, *(e for e in SUPPLIERS if e != chosen))


# -- reading -------------------------------------------------------------------------


def read_party(reading: SetReading, loop: list[Segment]) -> PartyRef | None:
    """The party an N1 loop names."""
    n1 = loop[0]
    qualifier, code = value(n1, 3), value(n1, 4)
    if not code:
        reading.fail(n1, 4, f"the {n1.element(1)} party has no identification code")
        return None
    refs = _references(loop)
    gln = code if qualifier == GLN else refs.get(GLN_REF)
    duns = code if qualifier == DUNS else refs.get(DUNS_REF)
    return reading.attempt(
        n1, 4, lambda: PartyRef(party_id=code, name=value(n1, 2) or None, gln=gln, duns=duns)
    )


def party_from(reading: SetReading, where: Segment, party_id: str, what: str) -> PartyRef | None:
    """A party known only by an id from elsewhere (the envelope, a REF), with a warning."""
    if not party_id:
        reading.fail(where, None, f"no {what} party: no N1 loop and no id to fall back on")
        return None
    reading.warn(where, "party_from_envelope", f"no N1 loop for the {what}: id {party_id!r} used")
    return reading.attempt(where, None, lambda: PartyRef(party_id=party_id))


def read_ship_to(reading: SetReading, loop: list[Segment]) -> tuple[str | None, Address | None]:
    """The warehouse id (N104) and the delivery address of a ship-to loop."""
    n1 = loop[0]
    warehouse = value(n1, 4)
    if not warehouse:
        reading.fail(n1, 4, "the ship-to has no identification code (our warehouse id)")
    return warehouse or None, _address(reading, loop)


def _address(reading: SetReading, loop: list[Segment]) -> Address | None:
    n3s = [s for s in loop if s.tag == "N3"]
    n4 = first(loop, "N4")
    if not n3s or n4 is None:
        return None
    n1, refs = loop[0], _references(loop)
    contact = _contact(first(loop, "PER"))
    details = {
        "name": value(n1, 2) or None,
        "lines": [v for n3 in n3s for v in (value(n3, 1), value(n3, 2)) if v],
        "city": value(n4, 1),
        "region": value(n4, 2) or None,
        "postal_code": value(n4, 3),
        "country": _country(reading.options, value(n4, 4)),
        "gln": value(n1, 4) if value(n1, 3) == GLN else refs.get(GLN_REF),
        **contact,
    }
    try:
        return Address.model_validate(details)
    except ValueError as exc:
        reading.warn(n4, "address_not_mapped", f"the ship-to address is left out: {refusal(exc)}")
        return None


def _references(loop: list[Segment]) -> dict[str, str]:
    found: dict[str, str] = {}
    for ref in (s for s in loop if s.tag == "REF"):
        found.setdefault(value(ref, 1), value(ref, 2))
    return {k: v for k, v in found.items() if v}


def _contact(per: Segment | None) -> dict[str, str]:
    names = {"TE": "phone", "EM": "email"}
    contact: dict[str, str] = {}
    for position in (3, 5, 7):
        field = names.get(value(per, position))
        if field and value(per, position + 1):
            contact.setdefault(field, value(per, position + 1))
    return contact


def _country(options: MapOptions, code: str) -> str:
    translated = options.from_partner("country", code)
    return ALPHA3.get(translated, translated) or DEFAULT_COUNTRY


# -- writing -------------------------------------------------------------------------


def party_segments(entity: str, party: PartyRef, options: MapOptions, role: str) -> list[Fields]:
    """N1 (and REF) for a party; ``role`` picks the partner's qualifier (``{role}_id``)."""
    qualifier = options.qualifier(f"{role}_id", ASSIGNED_BY_BUYER)
    code = {GLN: party.gln, DUNS: party.duns}.get(qualifier, party.party_id)
    if code is None:
        qualifier, code = ASSIGNED_BY_BUYER, party.party_id
    segments: list[Fields] = [fields("N1", entity, party.name, qualifier, code)]
    if party.gln and qualifier != GLN:
        segments.append(fields("REF", GLN_REF, party.gln))
    if party.duns and qualifier != DUNS:
        segments.append(fields("REF", DUNS_REF, party.duns))
    return segments


def ship_to_segments(
    warehouse_id: str, address: Address | None, options: MapOptions
) -> list[Fields]:
    """N1*ST with the warehouse id, then the address (N3, N4, REF*LU, PER)."""
    qualifier = options.qualifier("ship_to_id", ASSIGNED_BY_BUYER)
    code = warehouse_id
    if qualifier == GLN:  # the partner wants the location's GLN (VICS), when there is one
        code = address.gln if address and address.gln else warehouse_id
        qualifier = GLN if address and address.gln else ASSIGNED_BY_BUYER
    name = address.name if address else None
    segments: list[Fields] = [fields("N1", "ST", name, qualifier, code)]
    if address is None:
        return segments
    lines = list(address.lines)
    segments += [fields("N3", *lines[i : i + 2]) for i in range(0, len(lines), 2)]
    country = options.to_partner("country", address.country)
    segments.append(fields("N4", address.city, address.region, address.postal_code, country))
    if address.gln and qualifier != GLN:
        segments.append(fields("REF", GLN_REF, address.gln))
    contact = [("TE", address.phone), ("EM", address.email)]
    numbers = [part for kind, number in contact if number for part in (kind, number)]
    if numbers:
        segments.append(fields("PER", "IC", None, *numbers))
    return segments
