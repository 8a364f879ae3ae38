"""X12 810 Invoice ↔ canonical ``Invoice`` (functional group IN), 004010 and 005010, VICS.

What the map reads and writes (``options`` names a partner's variation):

========================  ==========================================================
segment                   canonical field
========================  ==========================================================
BIG01 / BIG02             ``invoice_date`` / ``invoice_number``
BIG04                     ``po_number`` (else a header REF*PO); BIG03 PO date, BIG05
                          release: read, not kept (the model has no field for them)
BIG07                     written ``DI`` (option ``transaction_type``); a credit memo
                          (CR, CN) is refused: the model has no credit note
CUR02                     ``currency`` (USD when absent, as X12 partners mean it)
REF*VN / REF*SI           ``sales_order_number`` / ``asn_number`` (options
                          ``sales_order_number``, ``asn_number``)
N1 loop                   ``seller`` (SU, SE, VN; option ``seller``) and ``buyer`` (BY,
                          BT, SO; option ``buyer``): N102 name, N104 party id (N103
                          92, option ``party_id``), a GLN with UL, a D-U-N-S with 1
                          or 9, else in the loop's REF*LU / REF*DUN (as the 850 map);
                          no N104, or no N1: the ISA sender (seller) or receiver
                          (buyer), with a warning. RI, ST: read, not kept.
ITD                       ``payment_terms`` (ITD12, else "2% 10, Net 30" from ITD03,
                          ITD05, ITD07), ``due_date`` (ITD06)
DTM*011, FOB, CAD, ISS    read and checked, not kept (no canonical field)
IT1 loop                  a line: IT101 ``line_number`` (else the IT1's position),
                          IT102/IT103 ``quantity`` (unit EA when absent; code list
                          ``uom``), IT104 ``unit_price`` (IT105 HP/TP: per hundred or
                          thousand; written empty, or the per-unit code of option
                          ``price_basis``), ``amount`` = quantity x price in the minor
                          unit (half up);
                          product ids: BP (option ``sku``) → ``item.sku``, VP/VN →
                          ``supplier_part_number``, UP/EN/UK → ``gtin``; PID*F
                          ``description``; REF*LI ``po_line_number`` (option
                          ``po_line_number``); SAC and TXI: charges of the line
TDS01 (N2)                ``total``
SAC loop (summary)        ``charges``: SAC01 C charge / A allowance (N: informational,
                          skipped), SAC02 code (code list ``sac``), SAC05 amount (N2),
                          SAC15 description; SAC12 01/03/04/05 (settled outside this
                          invoice) skipped; TXI tax amounts are H850 charges
CTT01                     the number of IT1 loops (a mismatch is a warning)
========================  ==========================================================

The canonical invoice checks lines + charges - allowances = total; a file
whose figures do not add up gives a located problem at TDS01, not a
document. Charges are listed line by line, then those of the whole invoice.

Versions: 005010 carries longer references (REF02 50) and quantities (IT102
15), and any number of SAC loops (25 in 004010). VICS (GS08 ``004010VICS``):
IT101 is the PO line, so ``po_line_number`` defaults to it, and SAC12 is
written (02 off invoice, 06 paid by the customer). Partners that send ISS
before TDS (as Walmart's and OopFactory's samples do) are read as well.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import ClassVar

from pydantic import BaseModel

from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps.base import (
    MapOptions,
    MapResult,
    fields,
    format_date,
    format_decimal,
)
from distsync.formats.x12.maps.helpers_810_846 import (
    base_version,
    chunks,
    finish,
    implied,
    item_pairs,
    model_of,
    party_segments,
    sent_version,
)
from distsync.formats.x12.maps.m810_read import InvoiceReading
from distsync.formats.x12.problems import Severity
from distsync.formats.x12.schema import (
    UNBOUNDED,
    LoopSpec,
    SegmentSpec,
    SetSpec,
    Usage,
    el,
    loop,
    seg,
)
from distsync.formats.x12.validate import validate
from distsync.formats.x12.writer import Fields
from distsync.model.invoices import ChargeAllowance, ChargeIndicator, Invoice, InvoiceLine

__all__ = ["INVOICE_810", "Invoice810"]

TERMS = re.compile(
    r"^(?:(?P<percent>\d{1,3}(?:\.\d{1,2})?)% (?P<days>\d{1,3}))?(?:, )?(?:Net (?P<net>\d{1,3}))?$"
)
DESCRIPTION_WIDTH = 80


def _party_loop(reference_length: int) -> tuple[Usage, ...]:
    return (
        seg("N1", "party",
            el(1, "entity identifier", "ID", 2, 3, required=True),
            el(2, "name", "AN", 1, 60), el(3, "id qualifier", "ID", 1, 2),
            el(4, "identification code", "AN", 2, 80)),
        seg("N2", "additional name", max_use=2), seg("N3", "address", max_use=2),
        seg("N4", "geographic location"), _ref(reference_length),
        seg("PER", "contact", max_use=3), seg("DMG", "demographics"),
    )  # fmt: skip


def _ref(length: int, max_use: int = 12) -> SegmentSpec:
    return seg("REF", "reference",
               el(1, "qualifier", "ID", 2, 3, required=True),
               el(2, "reference", "AN", 1, length), el(3, "description", "AN", 1, 80),
               max_use=max_use)  # fmt: skip


def _sac_loop(version: str) -> LoopSpec:
    sac = seg("SAC", "charge or allowance",
              el(1, "indicator", "ID", 1, 1, required=True, codes=["A", "C", "N"]),
              el(2, "code", "ID", 4, 4), el(5, "amount", "N2", 1, 15),
              el(7, "percent", "R", 1, 6), el(12, "method of handling", "ID", 2, 2),
              el(15, "description", "AN", 1, 80))  # fmt: skip
    if version == "004010":
        return loop("SAC", sac, _txi(), max_use=25)
    return loop("SAC", sac, seg("DTM", "date", max_use=UNBOUNDED),
                loop("TXI", _txi(), seg("DTM", "date")))  # fmt: skip


def _txi() -> SegmentSpec:
    return seg("TXI", "tax", el(1, "tax type", "ID", 2, 2, required=True),
               el(2, "amount", "R", 1, 18), max_use=UNBOUNDED)  # fmt: skip


def spec_810(options: MapOptions) -> SetSpec:
    """The 810 as this map reads and writes it, for the options' version."""
    version = base_version(options)
    reference = 30 if version == "004010" else 50
    iss = loop("ISS", seg("ISS", "shipped"), seg("PID", "description"), max_use=UNBOUNDED)
    body = (
        *_heading(reference),
        _line_loop(version, reference),
        iss,  # before TDS, as several partners send it
        seg("TDS", "total monetary value",
            el(1, "total invoice amount", "N2", 1, 15, required=True),
            el(2, "amount subject to terms discount", "N2", 1, 15), min_use=1),
        _txi(), seg("CAD", "carrier detail"), seg("AMT", "amount", max_use=UNBOUNDED),
        _sac_loop(version), iss,
        seg("CTT", "transaction totals", el(1, "number of line items", "N0", 1, 6, required=True),
            el(2, "hash total", "R", 1, 10)),
    )  # fmt: skip
    return options.adjust(SetSpec("810", "Invoice", body))


def _dtm() -> SegmentSpec:
    return seg("DTM", "date", el(1, "qualifier", "ID", 3, 3, required=True),
               el(2, "date", "DT", 8, 8), el(3, "time", "TM", 4, 8), max_use=10)  # fmt: skip


def _heading(reference: int) -> tuple[Usage, ...]:
    return (
        seg("BIG", "beginning of invoice",
            el(1, "invoice date", "DT", 8, 8, required=True),
            el(2, "invoice number", "AN", 1, 22, required=True),
            el(3, "PO date", "DT", 8, 8), el(4, "PO number", "AN", 1, 22),
            el(5, "release number", "AN", 1, 30), el(7, "transaction type", "ID", 2, 2),
            min_use=1),
        seg("NTE", "note", max_use=100),
        seg("CUR", "currency", el(1, "entity", "ID", 2, 3, required=True),
            el(2, "currency", "ID", 3, 3, required=True)),
        _ref(reference), seg("YNQ", "question", max_use=10), seg("PER", "contact", max_use=3),
        loop("N1", *_party_loop(reference), max_use=200),
        seg("ITD", "terms of sale",
            el(3, "discount percent", "R", 1, 6), el(4, "discount due date", "DT", 8, 8),
            el(5, "discount days", "N0", 1, 3), el(6, "net due date", "DT", 8, 8),
            el(7, "net days", "N0", 1, 3), el(12, "description", "AN", 1, 80),
            max_use=UNBOUNDED),
        _dtm(), seg("FOB", "F.O.B.", el(1, "payment method", "ID", 2, 2, required=True)),
        seg("PID", "description", max_use=200), seg("MEA", "measurements", max_use=40),
        seg("PWK", "paperwork", max_use=25), seg("PKG", "packaging", max_use=25),
        seg("L7", "tariff"), seg("BAL", "balance", max_use=UNBOUNDED), seg("INC", "installment"),
        seg("PAM", "amounts", max_use=UNBOUNDED),
    )  # fmt: skip


def _line_loop(version: str, reference: int) -> LoopSpec:
    quantity = 10 if version == "004010" else 15
    pairs = [el(p, "product id qualifier" if p % 2 == 0 else "product id",
                "ID" if p % 2 == 0 else "AN", 2 if p % 2 == 0 else 1, 2 if p % 2 == 0 else 48)
             for p in range(6, 26)]  # fmt: skip
    pid = seg("PID", "description", el(1, "type", "ID", 1, 1, required=True),
              el(2, "characteristic", "AN", 2, 3), el(5, "description", "AN", 1, 80))  # fmt: skip
    return loop("IT1",
        seg("IT1", "invoice line", el(1, "line number", "AN", 1, 20),
            el(2, "quantity invoiced", "R", 1, quantity, required=True),
            el(3, "unit", "ID", 2, 2), el(4, "unit price", "R", 1, 17, required=True),
            el(5, "price basis", "ID", 2, 2), *pairs),
        seg("CRC", "conditions"), seg("QTY", "quantity", max_use=5),
        seg("CUR", "currency"), seg("IT3", "additional item data", max_use=5),
        _txi(), seg("CTP", "pricing", max_use=25), seg("PAM", "amounts", max_use=10),
        seg("MEA", "measurements", max_use=40),
        loop("PID", pid, seg("MEA", "measurements", max_use=10), max_use=1000),
        seg("PWK", "paperwork", max_use=25), seg("PKG", "packaging", max_use=25),
        seg("PO4", "packing"), seg("ITD", "terms", max_use=2), _ref(reference, UNBOUNDED),
        seg("YNQ", "question", max_use=10), seg("PER", "contact", max_use=5),
        seg("SDQ", "destination quantity", max_use=500), _dtm(),
        seg("CAD", "carrier", max_use=UNBOUNDED), seg("L7", "tariff", max_use=UNBOUNDED),
        seg("SR", "requested service"), _sac_loop(version),
        loop("SLN", seg("SLN", "subline"), seg("DTM", "date"),
             seg("REF", "reference", max_use=UNBOUNDED), seg("PID", "description", max_use=1000),
             seg("SAC", "charge or allowance", max_use=25), seg("TC2", "commodity", max_use=2),
             seg("TXI", "tax", max_use=10), max_use=1000),
        loop("N1", *_party_loop(reference), max_use=200),
        max_use=200_000)  # fmt: skip


class Invoice810:
    """The 810 map: reads and writes ``Invoice``."""

    set_id: ClassVar[str] = "810"
    map_version: ClassVar[str] = "1"
    functional_id: ClassVar[str] = "IN"
    document: ClassVar[type[BaseModel]] = Invoice

    def spec(self, options: MapOptions) -> SetSpec:
        return spec_810(options)

    def read(self, transaction: TransactionSet, options: MapOptions) -> MapResult:
        options = sent_version(transaction, options)
        spec = self.spec(options)
        problems = validate(transaction, spec)
        if any(p.severity is Severity.ERROR for p in problems):
            return MapResult(None, problems)
        reading = InvoiceReading(transaction, spec, options)
        invoice = reading.invoice()
        problems += reading.problems.found
        return MapResult(None if reading.problems.has_errors else invoice, problems)

    def write(self, document: BaseModel, options: MapOptions) -> Sequence[Fields]:
        invoice = model_of(document, Invoice, "810")
        vics = "VICS" in options.version.upper()
        blocks = [*_header(invoice, options)]
        blocks += [_line(invoice, line, options, vics=vics) for line in invoice.lines]
        blocks.append([fields("TDS", implied(invoice.total.amount, "TDS01 (total)"))])
        blocks += [[_sac(c, options, vics=vics)] for c in invoice.charges if c.line_number is None]
        blocks.append([fields("CTT", len(invoice.lines))])
        return finish(blocks, self.spec(options), options, invoice.describe())


def _header(invoice: Invoice, options: MapOptions) -> list[list[list[str]]]:
    blocks = [[fields("BIG", format_date(invoice.invoice_date), invoice.invoice_number, None,
                      invoice.po_number, None, None, options.qualifier("transaction_type", "DI"))],
              [fields("CUR", "SE", invoice.currency)]]  # fmt: skip
    for role, value in (("sales_order_number", invoice.sales_order_number),
                        ("asn_number", invoice.asn_number)):  # fmt: skip
        if value is not None:
            default = "VN" if role == "sales_order_number" else "SI"
            blocks.append([fields("REF", options.qualifier(role, default), value)])
    blocks.append(party_segments(options.qualifier("seller", "SU"), invoice.seller, options))
    blocks.append(party_segments(options.qualifier("buyer", "BY"), invoice.buyer, options))
    terms = _terms(invoice.payment_terms, invoice.due_date)
    return blocks + ([[terms]] if terms else [])


def _terms(text: str | None, due: date | None) -> list[str] | None:
    """ITD: the terms in words (ITD12) and, when they read "2% 10, Net 30", in figures."""
    if text is None and due is None:
        return None
    match = TERMS.match(text or "") if text else None
    percent, days, net = match.group("percent", "days", "net") if match else (None, None, None)
    kind = "08" if percent else "05" if net else None
    basis = "3" if kind else None  # from the invoice date
    due_text = format_date(due) if due else None
    return fields("ITD", kind, basis, percent, None, days, due_text, net, *[None] * 4, text)


def _line(
    invoice: Invoice, line: InvoiceLine, options: MapOptions, *, vics: bool
) -> list[list[str]]:
    item = line.item
    pairs = item_pairs(item.sku, item.supplier_part_number, item.gtin, options, "BP")
    segments = [fields("IT1", line.line_number, format_decimal(line.quantity.value),
                       options.to_partner("uom", line.quantity.uom),
                       format_decimal(line.unit_price.amount), options.qualifier("price_basis", ""),
                       *pairs)]  # fmt: skip
    for part in chunks(item.description or "", DESCRIPTION_WIDTH):
        segments.append(fields("PID", "F", None, None, None, part))
    po_line = line.po_line_number
    if po_line is not None and not (vics and po_line == line.line_number):
        segments.append(fields("REF", options.qualifier("po_line_number", "LI"), po_line))
    charges = (c for c in invoice.charges if c.line_number == line.line_number)
    return segments + [_sac(charge, options, vics=vics) for charge in charges]


def _sac(charge: ChargeAllowance, options: MapOptions, *, vics: bool) -> list[str]:
    allowance = charge.indicator is ChargeIndicator.ALLOWANCE
    handling = ("02" if allowance else "06") if vics else None
    amount = implied(charge.amount.amount, f"SAC05 (charge {charge.code})")
    code = options.to_partner("sac", charge.code)
    indicator = "A" if allowance else "C"
    return fields("SAC", indicator, code, None, None, amount, *[None] * 6, handling, None, None,
                  charge.description)  # fmt: skip


INVOICE_810 = Invoice810()
