"""What the 810 and 846 maps share.

- ``tree``: a validated set's segments grouped by the loops of its spec, so a
  map reads "the REF of this IT1 loop" instead of counting positions;
- ``Problems``: mapping problems located at a segment and element, with the
  canonical model's refusals (pydantic errors) turned into them;
- N1 parties, product identifier pairs, and the last touches on written
  segments (the partner's extra and skipped segments, element checks).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import ValidationError

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps.base import MapOptions, fields, format_decimal
from distsync.formats.x12.problems import Location, Problem, Severity
from distsync.formats.x12.schema import LoopSpec, SegmentSpec, SetSpec, Usage
from distsync.formats.x12.tokenizer import Segment
from distsync.formats.x12.validate import element_problem
from distsync.model.parties import PartyRef

T = TypeVar("T")

VERSIONS = ("004010", "005010")
DEFAULT_UOM = "EA"  # X12 lets the unit go unsaid; partners then mean eaches
GTIN_QUALIFIERS = {12: "UP", 13: "EN", 14: "UK", 8: "EN"}
DUNS_QUALIFIERS = ("1", "9")  # D-U-N-S, and D-U-N-S with a four-character suffix
ASSIGNED_BY_BUYER = "92"
REFUSED = (ValidationError, SchemaViolation, ArithmeticError)


def sent_version(transaction: TransactionSet, options: MapOptions) -> MapOptions:
    """The options with the version the set was sent in (GS08), when it is one the maps know."""
    sent = transaction.group.version
    if sent[:6] in VERSIONS and sent != options.version:
        return replace(options, version=sent)
    return options


def base_version(options: MapOptions) -> str:
    return "005010" if options.version.startswith("005") else "004010"


# -- the set as a tree of loops -------------------------------------------------------


@dataclass
class Block:
    """A segment as read, with the blocks of the loop it starts (none for a plain segment)."""

    tag: str
    index: int  # in the set's body: 0 is the segment after ST, -1 the ST itself
    segment: Segment
    children: list[Block] = field(default_factory=list)

    def all(self, tag: str) -> list[Block]:
        return [block for block in self.children if block.tag == tag]

    def first(self, tag: str) -> Block | None:
        return next((block for block in self.children if block.tag == tag), None)


def tree(transaction: TransactionSet, spec: SetSpec) -> Block:
    """The set's body grouped as the validator walked it (segments the spec lacks are left out)."""
    blocks, _ = _blocks(transaction.body, spec.body, spec.tags(), 0, top=True)
    return Block("ST", -1, transaction.st, blocks)


def _blocks(
    body: Sequence[Segment], usages: Sequence[Usage], known: set[str], index: int, *, top: bool
) -> tuple[list[Block], int]:
    found: list[Block] = []
    current = 0
    while index < len(body):
        tag = body[index].tag
        match = _match(usages, current, tag) if tag in known else None
        if match is None or (not top and match == 0 and found):
            if tag in known and not top:
                break
            index += 1
            continue
        current = match
        usage = usages[match]
        if isinstance(usage, LoopSpec):
            inner, end = _blocks(body, usage.children, known, index, top=False)
            found.append(Block(tag, index, body[index], inner[1:]))
            index = end
        else:
            found.append(Block(tag, index, body[index]))
            index += 1
    return found, index


def _match(usages: Sequence[Usage], start: int, tag: str) -> int | None:
    return next((m for m in range(start, len(usages)) if usages[m].tag == tag), None)


# -- located problems -----------------------------------------------------------------

LIST_ITEM = re.compile(r"\b(lines|charges|balances)\.(\d+)\b")
Anchor = tuple[int, int | None]  # body index, element position


class Problems:
    """Mapping problems of one transaction set, each located at a segment (and element)."""

    def __init__(self, transaction: TransactionSet) -> None:
        self.transaction = transaction
        self.found: list[Problem] = []

    @property
    def has_errors(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.found)

    def location(self, index: int, element: int | None = None) -> Location:
        segments = self.transaction.segments
        position = min(index + 2, len(segments))  # ST is position 1
        group = self.transaction.group
        return Location(
            interchange=group.interchange.control,
            group=group.control,
            transaction_set=self.transaction.control,
            segment_position=position,
            segment_tag=segments[position - 1].tag,
            element_position=element,
        )

    def add(self, message: str, index: int, element: int | None = None) -> None:
        where = self.location(index, element)
        text = f"{where.segment_tag}: {message}"
        self.found.append(Problem("mapping_error", text, where, Severity.ERROR, "8"))

    def warn(self, message: str, index: int, element: int | None = None) -> None:
        where = self.location(index, element)
        text = f"{where.segment_tag}: {message}"
        self.found.append(Problem("mapping_warning", text, where, Severity.WARNING))

    def attempt(
        self, build: Callable[[], T], index: int, elements: Mapping[str, int] | None = None
    ) -> T | None:
        """``build()``, or None with a problem at ``index`` when a value is refused."""
        try:
            return build()
        except REFUSED as exc:
            self.refused(exc, lambda _key, _message: (index, None), elements or {})
            return None

    def attempt_document(
        self, build: Callable[[], T], anchors: Mapping[str, Anchor], default: Anchor
    ) -> T | None:
        """``build()`` of a document; a refusal is located at the list item or field it names."""
        try:
            return build()
        except REFUSED as exc:
            self.refused(exc, lambda key, message: _anchor(anchors, key, message, default), {})
            return None

    def refused(
        self,
        exc: BaseException,
        where: Callable[[str, str], Anchor],
        elements: Mapping[str, int],
    ) -> None:
        if not isinstance(exc, ValidationError):
            index, element = where("", str(exc))
            self.add(str(exc) or type(exc).__name__, index, element)
            return
        for error in exc.errors():
            loc = error["loc"]
            path = ".".join(str(part) for part in loc)
            key = ".".join(str(part) for part in loc[:2])
            index, element = where(key, error["msg"])
            name = next((str(part) for part in reversed(loc) if isinstance(part, str)), "")
            text = error["msg"].removeprefix("Value error, ")
            message = f"{path}: {text}" if path else text
            self.add(message, index, element or elements.get(name))


def _anchor(anchors: Mapping[str, Anchor], key: str, message: str, default: Anchor) -> Anchor:
    if key in anchors:
        return anchors[key]
    item = LIST_ITEM.search(message)
    if item and item.group(0) in anchors:
        return anchors[item.group(0)]
    named = next((name for name in anchors if "." not in name and name in message), None)
    return anchors[named] if named else default


# -- parties (N1) ----------------------------------------------------------------------


def interchange_party(transaction: TransactionSet, *, sender: bool) -> str:
    """The ISA sender or receiver id: the party when the set names it without an id."""
    interchange = transaction.interchange
    return (interchange.sender() if sender else interchange.receiver())[1]


GLN_REF, DUNS_REF = "LU", "DUN"  # identifiers the N1 itself does not carry, as the 850 map


def party(n1_loop: Block, fallback_id: str) -> PartyRef:
    """An N1 loop as a party: N104 is the id (also the GLN under UL, the D-U-N-S under 1 or 9);
    a GLN or D-U-N-S besides it comes in the loop's REF*LU or REF*DUN."""
    n1 = n1_loop.segment
    qualifier, ident = n1.element(3).strip(), n1.element(4).strip()
    refs = {b.segment.element(1): b.segment.element(2).strip() for b in n1_loop.all("REF")}
    return PartyRef(
        party_id=ident or fallback_id,
        name=n1.element(2).strip() or None,
        gln=ident if qualifier == "UL" and ident else refs.get(GLN_REF) or None,
        duns=ident[:9] if qualifier in DUNS_QUALIFIERS and ident else refs.get(DUNS_REF) or None,
    )


PARTY_ELEMENTS = {"party_id": 4, "gln": 4, "duns": 4, "name": 2}


def party_segments(role: str, party_ref: PartyRef, options: MapOptions) -> list[list[str]]:
    """The N1 of a party, and REF*LU / REF*DUN for a GLN or D-U-N-S its N104 does not carry."""
    qualifier, ident = party_identifier(party_ref, options)
    segments = [fields("N1", role, party_ref.name, qualifier, ident)]
    if party_ref.gln and qualifier != "UL":
        segments.append(fields("REF", GLN_REF, party_ref.gln))
    if party_ref.duns and qualifier not in DUNS_QUALIFIERS:
        segments.append(fields("REF", DUNS_REF, party_ref.duns))
    return segments


def party_identifier(party_ref: PartyRef, options: MapOptions) -> tuple[str, str]:
    """N103/N104: the identifier the partner asks for (option ``party_id``), else our party id.

    A GLN or D-U-N-S equal to the party id is written with its own qualifier,
    so that reading it back gives the same party.
    """
    wanted = options.qualifier("party_id", ASSIGNED_BY_BUYER)
    if wanted == "UL" and party_ref.gln:
        return "UL", party_ref.gln
    if wanted == "1" and party_ref.duns:
        return "1", party_ref.duns
    ident, duns = party_ref.party_id, party_ref.duns
    if ident == party_ref.gln:
        return "UL", ident
    if duns and ident.startswith(duns) and len(ident) in (9, 13):
        return ("1" if ident == duns else "9"), ident
    return assigned_qualifier(options), ident


def assigned_qualifier(options: MapOptions) -> str:
    """The N103 for one of our own ids: the partner's choice (option ``party_id``), else 92."""
    wanted = options.qualifier("party_id", ASSIGNED_BY_BUYER)
    return ASSIGNED_BY_BUYER if wanted in ("UL", *DUNS_QUALIFIERS) else wanted


# -- product identifiers --------------------------------------------------------------

SKU_FALLBACK = ("BP", "IN", "SK", "VP", "VN", "UP", "EN", "UK")
SUPPLIER_PART = ("VP", "VN")


def product_ids(segment: Segment, first: int, last: int) -> dict[str, tuple[int, str]]:
    """Qualifier → (element position, id) of the pairs from ``first``; the first of each wins."""
    ids: dict[str, tuple[int, str]] = {}
    for position in range(first, last, 2):
        qualifier, value = segment.element(position).strip(), segment.element(position + 1)
        if qualifier and value.strip():  # X12 drops trailing blanks; some senders do not
            ids.setdefault(qualifier, (position + 1, value.strip()))
    return ids


def pick(ids: Mapping[str, tuple[int, str]], qualifiers: Sequence[str]) -> tuple[int, str] | None:
    return next((ids[q] for q in qualifiers if q in ids), None)


def sku_id(ids: Mapping[str, tuple[int, str]], options: MapOptions) -> tuple[int, str] | None:
    """Our SKU: the partner's qualifier for it (default BP), else their best identifier."""
    chosen = pick(ids, (options.qualifier("sku", "BP"), *SKU_FALLBACK))
    return chosen or next(iter(ids.values()), None)


def gtin_id(ids: Mapping[str, tuple[int, str]]) -> tuple[int, str] | None:
    return next((v for q, v in ids.items() if q in GTIN_QUALIFIERS.values()), None)


def item_pairs(
    sku: str, supplier_part: str | None, gtin: str | None, options: MapOptions, sku_default: str
) -> list[str]:
    pairs = [options.qualifier("sku", sku_default), sku]
    if supplier_part is not None:
        pairs += [options.qualifier("supplier_part_number", "VP"), supplier_part]
    if gtin is not None:
        pairs += [GTIN_QUALIFIERS[len(gtin)], gtin]
    return pairs


# -- numbers --------------------------------------------------------------------------


def implied(value: Decimal, what: str, decimals: int = 2) -> str:
    """``value`` in an Nn element; refused when it has more decimals than the element carries."""
    if value != value.quantize(Decimal(1).scaleb(-decimals)):
        raise SchemaViolation(f"{what}: {value} has more than {decimals} decimals")
    return format_decimal(value, decimals)


def whole_number(value: str) -> int | None:
    digits = value.strip()
    return int(digits) if digits.isdigit() else None


# -- writing --------------------------------------------------------------------------


def finish(
    blocks: Sequence[Sequence[list[str]]], spec: SetSpec, options: MapOptions, what: str
) -> list[list[str]]:
    """The body: the partner's extra segments in place, skipped ones out, every element checked.

    ``blocks`` hold a top-level segment or loop each; an extra segment goes
    before the first block that comes after it in the spec's order.
    """
    order = [usage.tag for usage in spec.body]
    skipped = options.skip_segments
    placed = [
        [s for s in block if s[0] not in skipped] for block in blocks if block[0][0] not in skipped
    ]
    for extra in options.extra_segments:
        rank = _rank(order, extra[0])
        at = next((i for i, b in enumerate(placed) if _rank(order, b[0][0]) > rank), len(placed))
        placed.insert(at, [list(extra)])
    body = [segment for block in placed for segment in block]
    check_written(body, spec, what)
    return body


def _rank(order: Sequence[str], tag: str) -> int:
    return order.index(tag) if tag in order else len(order)


def check_written(body: Sequence[Sequence[str]], spec: SetSpec, what: str) -> None:
    """Refuse to write values the partner would reject: too long, missing, not a number."""
    specs = _segment_specs(spec.body)
    wrong = []
    for segment in body:
        found = specs.get(segment[0])
        for element in found.elements if found else ():
            value = segment[element.position] if element.position < len(segment) else ""
            problem = element_problem(element, value)
            if problem is not None:
                wrong.append(f"{segment[0]}{element.position:02d} ({element.name}): {problem[2]}")
    if wrong:
        raise SchemaViolation(f"writing {what}: " + "; ".join(wrong))


def _segment_specs(usages: Sequence[Usage]) -> dict[str, SegmentSpec]:
    specs: dict[str, SegmentSpec] = {}
    for usage in usages:
        if isinstance(usage, LoopSpec):
            for tag, found in _segment_specs(usage.children).items():
                specs.setdefault(tag, found)
        else:
            specs.setdefault(usage.tag, usage)
    return specs


def chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def model_of(document: Any, kind: type[T], set_id: str) -> T:
    if not isinstance(document, kind):
        raise SchemaViolation(
            f"writing a {set_id}: expected {kind.__name__}, got {type(document).__name__}"
        )
    return document
