"""Reading a validated 810 into an ``Invoice`` (see ``m810`` for what maps to what)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps.base import MapOptions, format_decimal, x12_date, x12_decimal
from distsync.formats.x12.maps.helpers_810_846 import (
    DEFAULT_UOM,
    PARTY_ELEMENTS,
    SUPPLIER_PART,
    Anchor,
    Block,
    Problems,
    gtin_id,
    interchange_party,
    party,
    pick,
    product_ids,
    sku_id,
    tree,
    whole_number,
)
from distsync.formats.x12.schema import SetSpec
from distsync.formats.x12.tokenizer import Segment
from distsync.model.invoices import ChargeAllowance, ChargeIndicator, Invoice, InvoiceLine
from distsync.model.items import ItemRef
from distsync.model.money import Money, minor_unit
from distsync.model.parties import PartyRef
from distsync.model.units import Quantity

DEFAULT_CURRENCY = "USD"
SELLER_ROLES = ("SU", "SE", "VN")
BUYER_ROLES = ("BY", "BT", "SO")
CREDIT_TYPES = {"CR": "a credit memo", "CN": "a credit invoice"}
INDICATORS = {"A": ChargeIndicator.ALLOWANCE, "C": ChargeIndicator.CHARGE}
SETTLED_ELSEWHERE = ("01", "03", "04", "05")  # bill back, check, credit account, paid by vendor
PRICE_PER = {"HP": Decimal(100), "TP": Decimal(1000)}  # price per hundred, per thousand
TAX = "H850"
DESCRIBED = ("", "08")  # PID02: no characteristic, or the product itself


class InvoiceReading:
    """One 810 set being read; ``problems`` gathers what the canonical model refuses."""

    def __init__(self, transaction: TransactionSet, spec: SetSpec, options: MapOptions) -> None:
        self.transaction = transaction
        self.options = options
        self.root = tree(transaction, spec)
        self.problems = Problems(transaction)
        self.currency = DEFAULT_CURRENCY
        self.vics = "VICS" in options.version.upper()
        self.charges: list[tuple[ChargeAllowance, int]] = []
        self.anchors: dict[str, Anchor] = {}

    def invoice(self) -> Invoice | None:
        big, tds = self.root.first("BIG"), self.root.first("TDS")
        if big is None or tds is None:
            self.problems.add("the set has no BIG or no TDS segment to map", -1)
            return None
        self._refuse_credit(big)
        if not self._read_currency():
            return None
        header = self._header(big)
        lines = [self._line(block, n) for n, block in enumerate(self.root.all("IT1"), 1)]
        self._summary_charges()
        total = self.problems.attempt(
            lambda: self._money(tds.segment.element(1), 2), tds.index, {"amount": 1}
        )
        self._check_count(len(lines))
        if self.problems.has_errors or total is None:
            return None
        found = tuple(line for line in lines if line is not None)
        return self._document(header, found, total, tds.index)

    def _document(
        self, header: dict[str, Any], lines: tuple[InvoiceLine, ...], total: Money, tds: int
    ) -> Invoice | None:
        self.anchors |= {f"lines.{i}": (b.index, None) for i, b in enumerate(self.root.all("IT1"))}
        self.anchors |= {f"charges.{i}": (index, 5) for i, (_, index) in enumerate(self.charges)}
        self.anchors["total"] = (tds, 1)
        return self.problems.attempt_document(
            lambda: Invoice(
                **header,
                currency=self.currency,
                lines=lines,
                charges=tuple(charge for charge, _ in self.charges),
                total=total,
            ),
            self.anchors,
            (tds, 1),
        )

    # -- header -----------------------------------------------------------------------

    def _refuse_credit(self, big: Block) -> None:
        kind = big.segment.element(7)
        if kind in CREDIT_TYPES:
            self.problems.add(
                f"transaction type {kind} is {CREDIT_TYPES[kind]}, not an invoice; "
                "distsync has no canonical credit note to map it to",
                big.index,
                7,
            )

    def _read_currency(self) -> bool:
        cur = self.root.first("CUR")
        if cur is None:
            return True
        code = cur.segment.element(2).strip()
        checked = self.problems.attempt(
            lambda: Money(amount=Decimal(0), currency=code), cur.index, {"currency": 2}
        )
        self.currency = code
        return checked is not None

    def _header(self, big: Block) -> dict[str, Any]:
        segment = big.segment
        due_date, terms = self._terms()
        return {
            "invoice_number": segment.element(2).strip(),
            "invoice_date": self.problems.attempt(
                lambda: x12_date(segment.element(1), "BIG01 (invoice date)"), big.index
            ),
            "po_number": segment.element(4).strip() or self._reference("PO"),
            "sales_order_number": self._reference(self._qualifier("sales_order_number", "VN")),
            "asn_number": self._reference(self._qualifier("asn_number", "SI")),
            "seller": self._party(SELLER_ROLES, "seller", "SU", sender=True),
            "buyer": self._party(BUYER_ROLES, "buyer", "BY", sender=False),
            "due_date": due_date,
            "payment_terms": terms,
        }

    def _qualifier(self, role: str, default: str) -> str:
        return self.options.qualifier(role, default)

    def _reference(self, qualifier: str) -> str | None:
        found = next((b for b in self.root.all("REF") if b.segment.element(1) == qualifier), None)
        return (found.segment.element(2).strip() or None) if found else None

    def _party(
        self, roles: Sequence[str], option: str, default: str, *, sender: bool
    ) -> PartyRef | None:
        wanted = (self.options.qualifier(option, default), *roles)
        n1s = self.root.all("N1")
        found = next((b for role in wanted for b in n1s if b.segment.element(1) == role), None)
        fallback = interchange_party(self.transaction, sender=sender)
        if found is None or not found.segment.element(4).strip():
            where = (found.index, 4) if found else (-1, None)
            envelope = "sender" if sender else "receiver"
            self.problems.warn(f"no id for the {option}: the interchange {envelope} "
                               f"{fallback!r} is used", *where)  # fmt: skip
        if found is None:
            return self.problems.attempt(lambda: PartyRef(party_id=fallback), -1)
        return self.problems.attempt(lambda: party(found, fallback), found.index, PARTY_ELEMENTS)

    def _terms(self) -> tuple[date | None, str | None]:
        itds = self.root.all("ITD")
        if not itds:
            return None, None
        first = itds[0].segment
        described: str | None = first.element(12).strip()
        terms = described or self.problems.attempt(lambda: _terms_text(first), itds[0].index)
        dated = next((b for b in itds if b.segment.element(6)), None)
        if dated is None:
            return None, terms
        due = self.problems.attempt(
            lambda: x12_date(dated.segment.element(6), "ITD06 (net due date)"), dated.index
        )
        self.anchors["due_date"] = (dated.index, 6)
        return due, terms

    # -- lines ------------------------------------------------------------------------

    def _line(self, block: Block, position: int) -> InvoiceLine | None:
        it1 = block.segment
        number = whole_number(it1.element(1)) or position
        item = self._item(block)
        quantity = self.problems.attempt(
            lambda: Quantity(
                value=x12_decimal(it1.element(2), "IT102 (quantity)"),
                uom=self.options.from_partner("uom", it1.element(3) or DEFAULT_UOM),
            ),
            block.index,
            {"value": 2, "uom": 3},
        )
        price = self.problems.attempt(lambda: self._unit_price(it1), block.index, {"amount": 4})
        po_line = self._po_line(block, number)
        self._line_charges(block, number)
        if item is None or quantity is None or price is None:
            return None
        amount = (quantity.value * price.amount).quantize(minor_unit(self.currency), ROUND_HALF_UP)
        return self.problems.attempt(
            lambda: InvoiceLine(
                line_number=number,
                po_line_number=po_line,
                item=item,
                quantity=quantity,
                unit_price=price,
                amount=Money(amount=amount, currency=self.currency),
            ),
            block.index,
            {"line_number": 1},
        )

    def _item(self, block: Block) -> ItemRef | None:
        ids = product_ids(block.segment, 6, 25)
        sku, part, gtin = sku_id(ids, self.options), pick(ids, SUPPLIER_PART), gtin_id(ids)
        elements = {"sku": sku[0] if sku else 7, "supplier_part_number": part[0] if part else 7,
                    "gtin": gtin[0] if gtin else 7}  # fmt: skip
        return self.problems.attempt(
            lambda: ItemRef(
                sku=sku[1] if sku else "",
                supplier_part_number=part[1] if part else None,
                gtin=gtin[1] if gtin else None,
                description=_description(block) or None,
            ),
            block.index,
            elements,
        )

    def _unit_price(self, it1: Segment) -> Money:
        price = x12_decimal(it1.element(4), "IT104 (unit price)")
        per = PRICE_PER.get(it1.element(5), Decimal(1))
        return Money(amount=price / per, currency=self.currency)

    def _po_line(self, block: Block, number: int) -> int | None:
        """The PO line: REF*LI, else (VICS) IT101."""
        qualifier = self.options.qualifier("po_line_number", "LI")
        ref = next((b for b in block.all("REF") if b.segment.element(1) == qualifier), None)
        if ref is None:
            return number if self.vics and whole_number(block.segment.element(1)) else None
        found = whole_number(ref.segment.element(2))
        if found is None:
            self.problems.add(f"{ref.segment.element(2)!r} is not a PO line number", ref.index, 2)
        return found

    # -- charges ----------------------------------------------------------------------

    def _line_charges(self, block: Block, number: int) -> None:
        for child in block.children:
            self._charge(child, number)

    def _summary_charges(self) -> None:
        for block in self.root.children:
            self._charge(block, None)

    def _charge(self, block: Block, line_number: int | None) -> None:
        if block.tag == "TXI":
            self._tax(block, line_number)
            return
        sac = block.segment
        indicator = INDICATORS.get(sac.element(1))
        if block.tag != "SAC" or indicator is None or sac.element(12) in SETTLED_ELSEWHERE:
            return
        if not sac.element(5):
            self.problems.add("a charge or allowance without an amount (SAC05) cannot be totalled",
                              block.index, 5)  # fmt: skip
            return
        self._add_charge(block.index, {"code": 2, "amount": 5, "description": 15},
                         indicator=indicator, code=self.options.from_partner("sac", sac.element(2)),
                         amount=sac.element(5), implied=2, line_number=line_number,
                         description=sac.element(15).strip() or None)  # fmt: skip

    def _tax(self, block: Block, line_number: int | None) -> None:
        txi = block.segment
        if txi.element(2):
            self._add_charge(block.index, {"amount": 2}, indicator=ChargeIndicator.CHARGE,
                             code=TAX, amount=txi.element(2), implied=None,
                             line_number=line_number,
                             description=f"tax {txi.element(1)}")  # fmt: skip

    def _add_charge(self, index: int, elements: dict[str, int], *, amount: str,
                    implied: int | None, **values: Any) -> None:  # fmt: skip
        charge = self.problems.attempt(
            lambda: ChargeAllowance(amount=self._money(amount, implied), **values),
            index,
            elements,
        )
        if charge is not None:
            self.charges.append((charge, index))

    def _money(self, value: str, implied: int | None) -> Money:
        return Money(amount=x12_decimal(value, "amount", implied), currency=self.currency)

    def _check_count(self, lines: int) -> None:
        ctt = self.root.first("CTT")
        stated = whole_number(ctt.segment.element(1)) if ctt else None
        if ctt is not None and stated != lines:
            self.problems.warn(f"CTT01 says {ctt.segment.element(1)} lines, the set has {lines}",
                               ctt.index, 1)  # fmt: skip


def _description(block: Block) -> str:
    """PID*F descriptions of the item, continued from one PID to the next."""
    pids = [b.segment for b in block.all("PID")]
    return "".join(p.element(5) for p in pids if p.element(1) == "F" and p.element(2) in DESCRIBED)


def _terms_text(itd: Segment) -> str | None:
    """ "2% 10, Net 30" from the discount percent and days and the net days of an ITD."""
    parts = []
    if itd.element(3):
        percent = format_decimal(x12_decimal(itd.element(3), "ITD03 (discount percent)"))
        days = whole_number(itd.element(5))
        parts.append(f"{percent}% {days}" if days is not None else f"{percent}%")
    net = whole_number(itd.element(7))
    if net is not None:
        parts.append(f"Net {net}")
    return ", ".join(parts) or None
