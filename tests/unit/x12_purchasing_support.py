"""Shared by the 850, 860 and 855 map tests: golden files, envelopes, the corpus, strategies."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import strategies as st

from distsync.errors import MalformedDocument, SchemaViolation
from distsync.formats.x12.envelope import TransactionSet, X12Reader
from distsync.formats.x12.maps.base import MapOptions, MapResult, X12Map
from distsync.formats.x12.problems import Problem, Severity
from distsync.formats.x12.support import support_problems
from distsync.formats.x12.writer import Envelope, Fields, Party
from distsync.model.identifiers import gs1_check_digit
from distsync.model.items import ItemRef
from distsync.model.money import Money
from distsync.model.parties import Address, PartyRef
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from distsync.model.units import Quantity
from tests.x12_corpus import corpus_root

GOLDEN = Path(__file__).resolve().parent / "x12_golden"
CORPUS = corpus_root()
BROKEN_MARKS = ("fail", "Corrupt", "Invalid")
ALLOWED = (MalformedDocument, SchemaViolation)
AT = datetime(2024, 5, 6, 13, 15, tzinfo=UTC)


# -- files and interchanges ----------------------------------------------------------


def corpus_files(set_id: str) -> list[Path]:
    """The corpus files of a set; skips (locally) or fails (CI) when the corpus is missing."""
    folder = CORPUS / set_id
    if not folder.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the X12 conformance corpus is missing at {CORPUS}")
        pytest.skip(f"the X12 conformance corpus is not at {CORPUS}")
    return sorted(p for p in folder.iterdir() if p.is_file())


def corpus_names(set_id: str) -> list[str]:
    """File names of a corpus set, for parametrizing (empty when the corpus is absent)."""
    folder = CORPUS / set_id
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def is_broken(name: str) -> bool:
    return any(mark in name for mark in BROKEN_MARKS)


def golden_sets(*parts: str) -> list[TransactionSet]:
    return X12Reader(GOLDEN.joinpath(*parts).read_bytes()).read_all()


def interchange(
    set_id: str,
    functional_id: str,
    body: Sequence[Fields],
    version: str = "004010",
    sender: str = "NORTHWIND",
) -> str:
    receiver = "ACMESUPPLY" if sender == "NORTHWIND" else "NORTHWIND"
    envelope = Envelope(Party("ZZ", sender), Party("ZZ", receiver), version=version)
    return envelope.interchange(
        functional_id,
        [(set_id, body)],
        interchange_control=7,
        group_control=7,
        first_set_control=1,
        at=AT,
    )


def one_set(text: str) -> TransactionSet:
    (found,) = X12Reader(text.encode("utf-8", "surrogateescape")).read_all()
    return found


def round_trip(
    x12_map: X12Map, document: object, options: MapOptions | None = None, version: str = "004010"
) -> MapResult:
    """Write the document, wrap it in an interchange, read it back."""
    chosen = options or MapOptions(version=version)
    body = x12_map.write(document, chosen)  # type: ignore[arg-type]
    text = interchange(x12_map.set_id, x12_map.functional_id, body, version)
    return x12_map.read(one_set(text), chosen)


def texts(body: Sequence[Fields]) -> list[str]:
    """Segments as ``TAG*a*b`` without trailing empty elements."""
    out = []
    for segment in body:
        values = list(segment)
        while len(values) > 1 and values[-1] == "":
            values.pop()
        out.append("*".join(values))
    return out


def errors(problems: Sequence[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == Severity.ERROR]


def codes(problems: Sequence[Problem]) -> set[tuple[str, str | None]]:
    """(code, segment tag) of every problem."""
    return {(p.code, p.location.segment_tag) for p in problems}


def all_problems(x12_map: X12Map, data: bytes, options: MapOptions) -> list[Problem]:
    """Everything wrong with a file: the reader's, support (version, set) and the map's."""
    reader = X12Reader(data)
    found: list[Problem] = []
    for transaction in reader.read_all():
        found += support_problems(transaction)
        found += x12_map.read(transaction, options).problems
    return [*reader.problems, *found]


# -- mutations -----------------------------------------------------------------------

mutation_text = st.text(alphabet="AZ09-. >:/_xé", max_size=12)


@st.composite
def mutated(draw: st.DrawFn, segments: Sequence[str]) -> list[str]:
    """A few random edits of body segments (``TAG*a*b``): drop, repeat, swap, rewrite values."""
    body = list(segments)
    for _ in range(draw(st.integers(1, 4))):
        if not body:
            break
        index = draw(st.integers(0, len(body) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "swap", "value", "cut"]))
        parts = body[index].split("*")
        if action == "drop":
            body.pop(index)
        elif action == "repeat":
            body.insert(index, body[index])
        elif action == "swap":
            other = draw(st.integers(0, len(body) - 1))
            body[index], body[other] = body[other], body[index]
        elif action == "value" and len(parts) > 1:
            parts[draw(st.integers(1, len(parts) - 1))] = draw(mutation_text)
            body[index] = "*".join(parts)
        else:
            body[index] = "*".join(parts[: draw(st.integers(1, max(1, len(parts))))])
    return body


def read_mutated(x12_map: X12Map, set_id: str, functional_id: str, body: list[str]) -> None:
    """Read a mutated body; only the taxonomy's permanent errors may come out."""
    segments = [s.split("*") for s in body if s]
    text = interchange(set_id, functional_id, segments)
    try:
        for transaction in X12Reader(text.encode()).read_all():
            x12_map.read(transaction, MapOptions())
    except ALLOWED:
        pass


# -- strategies for canonical documents ----------------------------------------------

SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
words = st.text(alphabet=SAFE + ".,-/&'()#", min_size=1, max_size=12)


def phrase(max_words: int, max_size: int) -> st.SearchStrategy[str]:
    """Words joined by single spaces: no blanks at the ends, as canonical names require."""
    joined = st.lists(words, min_size=1, max_size=max_words).map(" ".join)
    return joined.filter(lambda t: len(t) <= max_size)


codes_ = st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,19}", fullmatch=True)
ids = st.from_regex(r"[A-Z0-9][A-Z0-9-]{1,19}", fullmatch=True)  # N104 takes 2 to 80
two_letter_units = st.sampled_from(["EA", "CA", "BX", "PK", "RL", "DZ", "KG", "LB", "PL", "CT"])
currencies = st.sampled_from(["USD", "EUR", "CAD", "JPY", "GBP"])


def gs1(length: int) -> st.SearchStrategy[str]:
    data = st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1)
    return data.map(lambda d: d + str(gs1_check_digit(d)))


gtins = st.one_of(gs1(8), gs1(12), gs1(13), gs1(14))
glns = gs1(13)
duns_numbers = st.text(alphabet="0123456789", min_size=9, max_size=9)


def decimals(max_whole: int, places: int, minimum: str = "0") -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=Decimal(minimum),
        max_value=Decimal(10**max_whole - 1),
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


quantities = st.builds(Quantity, value=decimals(6, 3, "0.001"), uom=two_letter_units)


def prices(currency: str) -> st.SearchStrategy[Money]:
    return st.builds(Money, amount=decimals(7, 4), currency=st.just(currency))


items = st.builds(
    ItemRef,
    sku=codes_,
    supplier_part_number=st.none() | codes_,
    gtin=st.none() | gtins,
    description=st.none() | phrase(30, 200),
)
parties = st.builds(
    PartyRef,
    party_id=ids,
    name=st.none() | phrase(6, 60),
    gln=st.none() | glns,
    duns=st.none() | duns_numbers,
)
addresses = st.builds(
    Address,
    name=st.none() | phrase(6, 60),
    lines=st.lists(phrase(6, 55), min_size=1, max_size=4),
    city=phrase(3, 30).filter(lambda t: len(t) >= 2),
    region=st.none() | st.from_regex(r"[A-Z]{2}", fullmatch=True),
    postal_code=st.from_regex(r"[0-9]{5}(-[0-9]{4})?", fullmatch=True),
    country=st.sampled_from(["US", "CA", "MX", "DE"]),
    gln=st.none() | glns,
    phone=st.none() | st.from_regex(r"\+?[0-9]{3}-[0-9]{3}-[0-9]{4}", fullmatch=True),
    email=st.none() | st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.example", fullmatch=True),
)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
offsets = st.sampled_from([0, -4, -5, -7, 1, 2, 5.5])
moments = st.builds(
    lambda day, seconds, hours: (
        datetime.combine(day, datetime.min.time(), UTC).replace(
            tzinfo=timezone(timedelta(hours=hours))
        )
        + timedelta(seconds=seconds)
    ),
    days,
    st.integers(0, 86_399),
    offsets,
)
notes = (
    st.lists(st.one_of(phrase(40, 400), st.just("")), min_size=1, max_size=4)
    .map("\n".join)
    .filter(lambda t: t.strip() != "" and len(t) <= 1000)
)
terms = st.sampled_from(["Net 30", "2% 10, Net 30", "1.5% 15, Net 45", "Due on receipt"])
incoterms = st.sampled_from(["FOB", "CIF", "EXW", "DDP", "FCA"])


@st.composite
def purchase_orders(draw: st.DrawFn) -> PurchaseOrder:
    currency = draw(currencies)
    ordered = draw(days)
    numbers = draw(st.lists(st.integers(1, 999_999), min_size=1, max_size=5, unique=True))
    lines = tuple(
        PurchaseOrderLine(
            line_number=number, item=draw(items), quantity=draw(quantities),
            unit_price=draw(prices(currency)),
            requested_delivery_date=ordered + timedelta(days=draw(st.integers(0, 90))),
            ship_to_warehouse_id=draw(st.none() | ids),
        )
        for number in numbers
    )  # fmt: skip
    return PurchaseOrder(
        po_number=draw(st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,21}", fullmatch=True)),
        revision=draw(st.integers(0, 999)),
        status=draw(st.sampled_from([PurchaseOrderStatus.CONFIRMED,
                                     PurchaseOrderStatus.CANCELLED])),
        order_date=ordered, issued_at=draw(moments), buyer=draw(parties),
        supplier=draw(parties), ship_to_warehouse_id=draw(ids),
        ship_to=draw(st.none() | addresses), currency=currency,
        payment_terms=draw(st.none() | terms), incoterm=draw(st.none() | incoterms),
        note=draw(st.none() | notes), lines=lines,
    )  # fmt: skip
