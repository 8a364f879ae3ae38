"""Procure-to-pay benchmark: ship notices matched per second against open PO lines.

For each size of the open book (1,000 / 10,000 / 100,000 PO lines by default),
in the same run:

- **indexed**: ``rules.asn_match.match_asn`` against an ``OpenLineIndex``, as the
  procure flow runs it: each clean match is applied to the index at once (the
  balances it consumes), so later notices see earlier ones;
- **naive scan**: the same matcher against open lines kept in a list and
  searched line by line (the look-ups a straightforward implementation makes),
  on fewer notices at the larger sizes so that a round stays short.

The book: purchase orders of five lines with three suppliers, 400 items
counted in eaches and shipped by the case of 12. The notices are generated
before the timing starts: one or two orders each, about three items, partial
shipments (one to three cases, or loose eaches), the supplier's own part
numbers mapped through a cross-reference, lots; one notice in fifty carries a
part number nobody mapped (an ``unknown_sku`` exception, as in real traffic).
Figures are medians of the rounds, after a warm-up; the sizes take turns in
every round, and each round starts from a fresh book.

The issue's target: at least 2,000 notices/s on one core against 10,000 open
lines, with a cost that stays flat from 1,000 to 100,000 lines.

With ``--flow`` it measures instead PO-to-posted-receipt latency through
the whole flow on a real Tryton (``bench/procure_flow.py``), and ``--record``
writes those figures between the ``bench/procure.py flow`` markers of
docs/benchmarks.md.

Usage::

    python bench/procure.py                        # 1,000 / 10,000 / 100,000 lines
    python bench/procure.py --lines 10000 --asns 5000 --rounds 7
    python bench/procure.py --record               # also write docs/benchmarks.md
    python bench/procure.py --flow --orders 15 --poll 0.5 [--record]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from distsync.model.asn import AdvanceShipNotice, AsnItem, AsnOrder, AsnPack
from distsync.model.items import Item, ItemRef, UomConversion
from distsync.model.parties import PartyRef
from distsync.model.units import Quantity
from distsync.rules.asn_index import OpenLineIndex, OpenLines, OpenPoLine
from distsync.rules.asn_match import AsnMatch, match_asn
from distsync.rules.tolerances import Tolerances
from distsync.rules.xref import MappingXref
from machine import machine

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADING = "## Procure-to-pay matching (bench/procure.py)"
MATCH_BEGIN, MATCH_END = "<!-- bench/procure.py begin -->", "<!-- bench/procure.py end -->"
FLOW_BEGIN, FLOW_END = "<!-- bench/procure.py flow begin -->", "<!-- bench/procure.py flow end -->"
SUPPLIERS = ("SUP-ACME", "SUP-BOLTCO", "SUP-GLOVEX")
SKUS = tuple(f"SKU-{n:04d}" for n in range(400))
LINES_PER_PO = 5
ORDERED_CASES = 40
REQUESTED = date(2026, 3, 16)
TOLERANCES = Tolerances(asn_qty_pct=Decimal(2), asn_date_days=Decimal(3))
INTRO = """\
```console
$ .venv/bin/python bench/procure.py --rounds 7 --record
```

What one run measures, per size of the open book (purchase orders of five
lines, three suppliers, 400 items counted in eaches and shipped in cases of
12): notices of one or two orders and about three items each (partial
shipments in cases or loose eaches, the supplier's part numbers through a
cross-reference, lots; one in fifty with an unmapped part number, which
raises `unknown_sku`) matched by `rules.asn_match.match_asn`, each clean
match applied to the balances at once. *Indexed* is the matcher against
`OpenLineIndex`; *naive scan* is the same matcher against the open lines in
a list, searched line by line, on fewer notices at the larger sizes. The
notices are built before the clock starts; the sizes take turns in every
round, so that a noisy moment of this shared machine weighs on all of them.
Each figure is the median of the rounds after a warm-up, each ratio
compares figures of the same run. The issue's target: at least 2,000
notices/s on one core against 10,000 open lines, flat from 1,000 to 100,000
lines."""
FLOW_PLACEHOLDER = """\
### PO to posted receipt (flow latency)

Not measured yet: it needs the procure flow (`flows/procure.py`), which
comes in a later change of issue 5 and adds its figures here."""


def items() -> dict[str, Item]:
    case = (UomConversion(uom="CA", base_quantity=Decimal(12)),)
    return {
        sku: Item(sku=sku, description=f"Item {sku}", base_uom="EA", conversions=case)
        for sku in SKUS
    }


def xref() -> MappingXref:
    return MappingXref(skus={f"P-{sku[4:]}": sku for sku in SKUS})


def book(size: int) -> list[OpenPoLine]:
    """``size`` open lines: purchase orders of five lines, round-robin over the suppliers."""
    lines = []
    for n in range(size):
        po, number = divmod(n, LINES_PER_PO)
        lines.append(
            OpenPoLine(
                po_number=f"PO-{po:06d}",
                line_number=number + 1,
                sku=SKUS[(po * 7 + number * 31) % len(SKUS)],
                uom="EA",
                ordered=Decimal(ORDERED_CASES * 12),
                warehouse_id="WH-EAST",
                requested_delivery_date=REQUESTED,
                supplier_id=SUPPLIERS[po % len(SUPPLIERS)],
            )
        )
    return lines


def notices(lines: list[OpenPoLine], count: int, seed: int = 5) -> list[AdvanceShipNotice]:
    """``count`` notices against the book, each a few partial shipments of one supplier."""
    rng = random.Random(seed)
    orders = len(lines) // LINES_PER_PO
    built = []
    for n in range(count):
        first = rng.randrange(orders)
        chosen = [first]
        step = len(SUPPLIERS) * rng.randrange(1, 20)  # another order of the same supplier
        second = first + step if first + step < orders else first - step
        if rng.random() < 0.5 and second >= 0:
            chosen.append(second)
        built.append(_notice(n, lines, chosen, rng, unknown=n % 50 == 49))
    return built


def _notice(
    n: int, lines: list[OpenPoLine], pos: list[int], rng: random.Random, *, unknown: bool
) -> AdvanceShipNotice:
    orders = []
    for po, count in zip(pos, (3,) if len(pos) == 1 else (2, 1), strict=True):
        picked = rng.sample(range(LINES_PER_PO), count)
        shipped = [_item(lines[po * LINES_PER_PO + i], rng) for i in sorted(picked)]
        orders.append(
            AsnOrder(
                po_number=lines[po * LINES_PER_PO].po_number, packs=(AsnPack(items=tuple(shipped)),)
            )
        )
    if unknown:
        first = orders[0].packs[0].items[0]
        stray = first.model_copy(update={"item": ItemRef(sku="X-1", supplier_part_number="X-1")})
        orders[0] = AsnOrder(po_number=orders[0].po_number, packs=(AsnPack(items=(stray,)),))
    return AdvanceShipNotice(
        asn_number=f"ASN-{n:07d}",
        issued_at=datetime(2026, 3, 12, 15, tzinfo=UTC),
        supplier=PartyRef(party_id=SUPPLIERS[pos[0] % len(SUPPLIERS)]),
        ship_to_warehouse_id="WH-EAST",
        shipped_at=datetime(2026, 3, 12, 14, tzinfo=UTC),
        expected_delivery_date=REQUESTED,
        orders=tuple(orders),
    )


def _item(line: OpenPoLine, rng: random.Random) -> AsnItem:
    loose = rng.random() < 0.2
    quantity = Quantity(
        value=Decimal(rng.randint(1, 11) if loose else rng.randint(1, 3)),
        uom="EA" if loose else "CA",
    )
    part = f"P-{line.sku[4:]}"
    return AsnItem(
        po_line_number=line.line_number,
        item=ItemRef(sku=part, supplier_part_number=part),
        quantity=quantity,
        lot=f"L{rng.randrange(10_000):04d}",
    )


class ScanLines:
    """The naive baseline: open lines in a list, every look-up a scan over all of them."""

    def __init__(self, lines: list[OpenPoLine]) -> None:
        self.lines = list(lines)

    def supplier_of(self, po_number: str) -> str | None:
        return next((ln.supplier_id for ln in self.lines if ln.po_number == po_number), None)

    def line(self, po_number: str, line_number: int) -> OpenPoLine | None:
        return next(
            (
                ln
                for ln in self.lines
                if ln.po_number == po_number and ln.line_number == line_number
            ),
            None,
        )

    def lines_with_sku(self, po_number: str, sku: str) -> tuple[OpenPoLine, ...]:
        return tuple(ln for ln in self.lines if ln.po_number == po_number and ln.sku == sku)

    def apply(self, match: AsnMatch) -> None:
        for use in match.lines:
            for i, ln in enumerate(self.lines):
                if (ln.po_number, ln.line_number) == (use.po_number, use.line_number):
                    self.lines[i] = replace(ln, shipped=ln.shipped + use.quantity)


@dataclass
class Round:
    seconds: float
    matched: int
    parked: int


class Book(OpenLines, Protocol):
    """Open lines that take a clean match's consumption."""

    def apply(self, match: AsnMatch) -> None: ...


def run(lines: Book, asns: list[AdvanceShipNotice], masters: dict[str, Item]) -> Round:
    partners = xref()
    apply = lines.apply
    matched = parked = 0
    started = time.perf_counter()
    for asn in asns:
        result = match_asn(asn, lines, xref=partners, items=masters, tolerances=TOLERANCES)
        if result.ok:
            apply(result)
            matched += 1
        else:
            parked += 1
    return Round(time.perf_counter() - started, matched, parked)


@dataclass
class Size:
    """One size of the open book, its notices, and what each round measured."""

    lines: list[OpenPoLine]
    documents: list[AdvanceShipNotice]
    naive_asns: int
    indexed: list[Round] = field(default_factory=list)
    naive: list[Round] = field(default_factory=list)
    build_seconds: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.lines)

    @staticmethod
    def rate(rounds: list[Round]) -> float:
        return statistics.median((r.matched + r.parked) / r.seconds for r in rounds)


def prepare(size: int, asns: int) -> Size:
    lines = book(size)
    return Size(lines, notices(lines, asns), max(20, min(asns, asns * 1_000 // size)))


def measure_round(size: Size, masters: dict[str, Item]) -> None:
    started = time.perf_counter()
    index = OpenLineIndex(size.lines)
    size.build_seconds.append(time.perf_counter() - started)
    size.indexed.append(run(index, size.documents, masters))
    size.naive.append(run(ScanLines(size.lines), size.documents[: size.naive_asns], masters))
    indexed, naive = size.indexed[-1], size.naive[-1]
    print(
        f"{len(size.lines):>7,} lines: indexed {len(size.documents) / indexed.seconds:,.0f}/s, "
        f"naive {size.naive_asns / naive.seconds:,.0f}/s",
        flush=True,
    )


def measure(sizes: list[int], asns: int, rounds: int) -> list[Size]:
    """Every size in every round, in turn, so that a noisy moment weighs on all of them."""
    masters = items()
    prepared = [prepare(size, asns) for size in sizes]
    for size in prepared:
        run(OpenLineIndex(size.lines), size.documents[:200], masters)  # warm-up, not counted
    for r in range(rounds):
        print(f"round {r + 1}/{rounds}", flush=True)
        for size in prepared:
            measure_round(size, masters)
    return prepared


def report(sizes: list[Size], asns: int, rounds: int) -> str:
    rows = [
        "| open PO lines | indexed notices/s | naive scan notices/s | indexed vs naive "
        "| clean / parked per round | index built, lines/s |",
        "|---|---|---|---|---|---|",
    ]
    for size in sizes:
        indexed, naive = size.rate(size.indexed), size.rate(size.naive)
        build = statistics.median(size.count / s for s in size.build_seconds)
        last = size.indexed[-1]
        rows.append(
            f"| {size.count:,} | {indexed:,.0f} | {naive:,.0f} ({size.naive_asns:,} notices) "
            f"| {indexed / naive:,.1f}x | {last.matched:,} / {last.parked:,} | {build:,.0f} |"
        )
    lines = [f"Run: {asns:,} notices per round, {rounds} rounds (median).", "", *rows, ""]
    first, last = sizes[0], sizes[-1]
    if len(sizes) > 1:
        flat = last.rate(last.indexed) / first.rate(first.indexed)
        lines.append(
            f"Flatness: indexed at {last.count:,} lines runs at {flat:.2f}x its rate "
            f"at {first.count:,} lines (1.00 is perfectly flat)."
        )
    at_target = next((s for s in sizes if s.count == 10_000), None)
    if at_target is not None:
        rate = at_target.rate(at_target.indexed)
        verdict = "met" if rate >= 2_000 else "not met"
        lines.append(
            f"Target (at least 2,000 notices/s at 10,000 lines): {verdict}, {rate:,.0f}/s."
        )
    return "\n".join(lines)


def record(text: str) -> None:
    current = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    block = f"{MATCH_BEGIN}\n### Results\n\nMachine: {machine()}.\n\n{text}\n{MATCH_END}"
    if MATCH_BEGIN in current and MATCH_END in current:
        head, rest = current.split(MATCH_BEGIN, 1)
        current = head + block + rest.split(MATCH_END, 1)[1]
    else:
        flow = f"{FLOW_BEGIN}\n{FLOW_PLACEHOLDER}\n{FLOW_END}"
        section = f"{HEADING}\n\n{INTRO}\n\n{block}\n\n{flow}\n"
        current = current.rstrip("\n") + "\n\n" + section
    DOCS.write_text(current)


def flow_main(orders: int, poll: float, *, record_it: bool) -> None:
    from procure_flow import measure_flow

    text = measure_flow(orders, poll).report()
    print()
    print(text)
    if record_it:
        current = DOCS.read_text()
        if FLOW_BEGIN not in current:
            raise SystemExit("docs/benchmarks.md has no flow markers: run --record first")
        head, rest = current.split(FLOW_BEGIN, 1)
        block = (
            f"{FLOW_BEGIN}\n### PO to posted receipt (flow latency)\n\n"
            f"Machine: {machine()}.\n\n{text}\n{FLOW_END}"
        )
        DOCS.write_text(head + block + rest.split(FLOW_END, 1)[1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--lines", default="1000,10000,100000", help="sizes of the open book, comma separated"
    )
    parser.add_argument("--asns", type=int, default=2_000, help="notices per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--record", action="store_true", help="write the results into docs/benchmarks.md"
    )
    parser.add_argument(
        "--flow", action="store_true", help="measure PO-to-posted-receipt latency instead"
    )
    parser.add_argument("--orders", type=int, default=15, help="orders through the flow")
    parser.add_argument("--poll", type=float, default=0.5, help="ERP poll interval, seconds")
    args = parser.parse_args()
    if args.flow:
        flow_main(args.orders, args.poll, record_it=args.record)
        return
    sizes = measure([int(n) for n in args.lines.split(",")], args.asns, args.rounds)
    text = report(sizes, args.asns, args.rounds)
    print()
    print(text)
    if args.record:
        record(text)


if __name__ == "__main__":
    main()
