"""Cross-reference sheets: CSV text to mappings and back, with every bad row named by line.

The shape is made for the people who keep these sheets in a spreadsheet::

    kind,partner_value,our_value,partner_uom,factor
    sku,ACME-100,FAS-10432,CS,12
    sku,ACME-200,FAS-20001,,
    uom,CS,CA,,
    warehouse,0614141000029,WH-EAST,,

- The header row names the columns, in any order, in any case; ``partner_value``
  and ``our_value`` are required. Without a ``kind`` column every row is a
  ``sku`` mapping (a partner's ``sku_xref`` file is often just that).
- Blank rows, and rows whose first cell starts with ``#``, are skipped.
- Cells are trimmed; an empty ``partner_uom`` or ``factor`` means none.
  ``factor`` is a decimal with a point (``12``, ``0.5``).
- Commas separate cells; a sheet whose header holds semicolons and no comma
  (what some spreadsheets save) is read with semicolons. A UTF-8 byte-order
  mark is allowed.

Reading is all or nothing: :func:`read_sheet` returns every mapping, or
raises :class:`SheetInvalid` listing every problem (line, column, what is
wrong). :func:`write_sheet` writes the same shape, so an exported sheet
imports back unchanged. This module does no I/O.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from distsync.errors import SchemaViolation
from distsync.store.ports import XrefEntry, XrefKey, XrefKind, factor_text

__all__ = [
    "COLUMNS",
    "SheetInvalid",
    "SheetProblem",
    "decode_sheet",
    "parse_factor",
    "read_sheet",
    "write_sheet",
]

COLUMNS = ("kind", "partner_value", "our_value", "partner_uom", "factor")
REQUIRED = ("partner_value", "our_value")
KINDS = ", ".join(kind.value for kind in XrefKind)
_DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")


@dataclass(frozen=True)
class SheetProblem:
    """One thing wrong in a sheet: the line, the column (when one is to blame), what."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f": {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class SheetInvalid(SchemaViolation):
    """A sheet with problems; nothing of it is imported. ``problems`` lists them all."""

    def __init__(self, source: str, problems: Iterable[SheetProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "".join(f"\n  {source}: {problem}" for problem in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"reading {source}: {count} {noun}, nothing imported:{lines}")


def decode_sheet(raw: bytes, *, source: str) -> str:
    """The sheet's text: UTF-8, with or without a byte-order mark."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problem = SheetProblem(line, None, "not UTF-8 text: save the sheet as CSV UTF-8")
        raise SheetInvalid(source, [problem]) from exc


def read_sheet(text: str, *, source: str) -> list[XrefEntry]:
    """Every mapping in the sheet, or ``SheetInvalid`` naming every bad row and column."""
    rows = _rows(text)
    header = next(rows, None)
    if header is None:
        wanted = ",".join(COLUMNS)
        raise SheetInvalid(source, [SheetProblem(1, None, f"no header row (write {wanted})")])
    columns, problems = _columns(*header)
    if problems:
        raise SheetInvalid(source, problems)
    entries: list[XrefEntry] = []
    seen: dict[XrefKey, int] = {}
    for line, cells in rows:
        entry, found = _entry(line, columns, cells)
        if entry is not None and entry.key in seen:
            message = f"{entry.partner_value!r} ({entry.kind}) is also on line {seen[entry.key]}"
            found.append(SheetProblem(line, "partner_value", message))
        problems += found
        if entry is not None and not found:
            seen[entry.key] = line
            entries.append(entry)
    if problems:
        raise SheetInvalid(source, problems)
    return entries


def write_sheet(entries: Iterable[XrefEntry]) -> str:
    """The sheet of ``entries``: a header and one row each, by kind and partner value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for entry in sorted(entries, key=lambda e: e.key):
        factor = "" if entry.factor is None else factor_text(entry.factor)
        uom = entry.partner_uom or ""
        writer.writerow([entry.kind.value, entry.partner_value, entry.our_value, uom, factor])
    return out.getvalue()


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Rows that hold something, each with the line it starts on."""
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    start = 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        trimmed = [cell.strip() for cell in cells]
        if any(trimmed) and not trimmed[0].startswith("#"):
            yield line, trimmed


def _delimiter(text: str) -> str:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return ";" if ";" in stripped and "," not in stripped else ","
    return ","


def _columns(line: int, names: list[str]) -> tuple[dict[str, int], list[SheetProblem]]:
    columns: dict[str, int] = {}
    problems: list[SheetProblem] = []
    for index, raw in enumerate(names):
        name = re.sub(r"[\s-]+", "_", raw.lower())
        if not name:
            continue  # spreadsheets save empty columns after the last one
        if name not in COLUMNS:
            problems.append(SheetProblem(line, raw, _unknown(name)))
        elif name in columns:
            problems.append(SheetProblem(line, raw, "the column is named twice"))
        else:
            columns[name] = index
    for name in REQUIRED:
        if name not in columns and not any(p.column == name for p in problems):
            problems.append(SheetProblem(line, None, f"the header has no {name} column"))
    return columns, problems


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name, COLUMNS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown column; {hint}the columns are {', '.join(COLUMNS)}"


def _entry(
    line: int, columns: dict[str, int], cells: list[str]
) -> tuple[XrefEntry | None, list[SheetProblem]]:
    """The row's mapping (``None`` when a cell cannot even be read) and its problems."""
    problems: list[SheetProblem] = []
    named = set(columns.values())
    stray = [index + 1 for index, cell in enumerate(cells) if cell and index not in named]
    if stray:
        message = f"a value in column {stray[0]}, which the header row does not name"
        problems.append(SheetProblem(line, None, message))

    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    kind = _kind(cell("kind") if "kind" in columns else "sku")
    factor = _factor(cell("factor"))
    for name, value in (("partner_value", cell("partner_value")), ("our_value", cell("our_value"))):
        if not value:
            problems.append(SheetProblem(line, name, "is empty"))
    if kind is None:
        problems.append(SheetProblem(line, "kind", f"{cell('kind')!r} is not one of {KINDS}"))
    if isinstance(factor, str):
        problems.append(SheetProblem(line, "factor", factor))
    if problems or kind is None or isinstance(factor, str):
        return None, problems
    entry = XrefEntry(
        kind, cell("partner_value"), cell("our_value"), cell("partner_uom") or None, factor
    )
    return entry, [SheetProblem(line, p.field, p.message) for p in entry.problems()]


def _kind(text: str) -> XrefKind | None:
    try:
        return XrefKind(text.lower())
    except ValueError:
        return None


def parse_factor(text: str) -> Decimal:
    """A factor as people write it (``12``, ``0.5``); ``ValueError`` says what is wrong."""
    if _DECIMAL.fullmatch(text):
        return Decimal(text)
    if re.fullmatch(r"[0-9]+,[0-9]+", text):
        point = text.replace(",", ".")
        raise ValueError(f"{text!r} is not a decimal number: write it with a point ({point})")
    raise ValueError(f"{text!r} is not a decimal number")


def _factor(text: str) -> Decimal | str | None:
    """The factor, ``None`` when empty, or the message saying why it is not a number."""
    if not text:
        return None
    try:
        return parse_factor(text)
    except ValueError as exc:
        return str(exc)
