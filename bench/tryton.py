"""Tryton benchmark: purchase orders and receipts through the connector vs raw JSON-RPC.

Against one sandbox Tryton (one trytond, SQLite), in the same run:

- **raw**: a minimal JSON-RPC client written here, without distsync, making
  only the calls the work needs, with every id known beforehand: per order
  ``create``, ``quote``, ``confirm``; per receipt ``read`` of the order's
  moves, ``stock.shipment.in.create`` (adding the moves), ``receive``, ``do``.
- **connector**: ``TrytonConnector.send`` with the canonical ``PurchaseOrder``
  and ``Receipt`` as JSON, as the outbox calls it: parsing and validating the
  document, mapping it, the look-up by reference that makes it idempotent,
  then the same calls.

Both run one call after another (Tryton on SQLite serialises writes), in
alternating rounds so that a database growing during the run weighs on
both alike. Each figure is the median of the rounds. Usage::

    python bench/tryton.py                   # 3 rounds of 20 orders with 3 lines each
    python bench/tryton.py --orders 30 --rounds 5
    python bench/tryton.py --record          # also write the results into docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import http.client
import json
import statistics
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from distsync.connectors.tryton import TrytonConfig, TrytonConnector
from distsync.erp.sandbox import TrytonSandbox
from distsync.model.examples.master import ACME, NORTHWIND, at, qty, usd
from distsync.model.items import ItemRef
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from distsync.model.receipts import Receipt, ReceiptLine
from distsync.runtime.ports import OutboundRequest
from machine import machine

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench/tryton.py begin -->", "<!-- bench/tryton.py end -->"
LINES = (("FAS-10432", 500, "0.08"), ("LUB-5500", 24, "4.60"), ("DRL-1800", 3, "89.00"))


class RawTryton:
    """Just enough JSON-RPC for the benchmark: session login, tagged Decimal and date."""

    def __init__(self, url: str, database: str, user: str, password: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.path = f"/{database}/rpc/"
        self.auth = ""
        uid, token = self.call("common.db.login", [user, {"password": password}, "en"])[:2]
        self.auth = "Session " + base64.b64encode(f"{user}:{uid}:{token}".encode()).decode()
        self.ctx = self.call("model.res.user.get_preferences", [True, {}])

    def call(self, method: str, params: list[Any]) -> Any:
        body = json.dumps({"id": 1, "method": method, "params": params}, default=_tag)
        headers = {"Content-Type": "application/json"}
        if self.auth:
            headers["Authorization"] = self.auth
        self.conn.request("POST", self.path, body, headers)
        answer = json.loads(self.conn.getresponse().read())
        if answer.get("error"):
            raise RuntimeError(answer["error"])
        return answer["result"]

    def model(self, name: str, method: str, *args: Any) -> Any:
        return self.call(f"model.{name}.{method}", [*args, self.ctx])


def _tag(value: object) -> object:
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    raise TypeError(type(value).__name__)


@dataclass(frozen=True)
class Ids:
    """What the raw client knows beforehand."""

    company: int
    currency: int
    party: int
    address: int
    warehouse: int
    input: int
    storage: int
    products: tuple[int, ...]
    unit: int


def ids_of(raw: RawTryton) -> Ids:
    (party,) = raw.model("party.party", "search_read", [["code", "=", ACME.party_id]], 0, 1,
                         None, ["addresses"])  # fmt: skip
    (wh,) = raw.model("stock.location", "search_read", [["type", "=", "warehouse"]], 0, 1, None,
                      ["input_location", "storage_location"])  # fmt: skip
    products = [
        raw.model("product.product", "search", [["code", "=", sku]], 0, 1, None)[0]
        for sku, _, _ in LINES
    ]
    unit = raw.model("product.uom", "search", [["symbol", "=", "u"]], 0, 1, None)[0]
    currency = raw.model("currency.currency", "search", [["code", "=", "USD"]], 0, 1, None)[0]
    return Ids(raw.ctx["company"], currency, party["id"], party["addresses"][0], wh["id"],
               wh["input_location"], wh["storage_location"], tuple(products), unit)  # fmt: skip


def raw_round(raw: RawTryton, ids: Ids, numbers: list[str]) -> tuple[float, float]:
    started = time.perf_counter()
    created = [_raw_order(raw, ids, number) for number in numbers]
    ordered = time.perf_counter()
    for purchase, number in zip(created, numbers, strict=True):
        (row,) = raw.model("purchase.purchase", "read", [purchase], ["moves"])
        (shipment,) = raw.model("stock.shipment.in", "create", [{
            "company": ids.company, "supplier": ids.party, "warehouse": ids.warehouse,
            "warehouse_input": ids.input, "warehouse_storage": ids.storage,
            "reference": f"R-{number}", "incoming_moves": [["add", row["moves"]]]}])  # fmt: skip
        raw.model("stock.shipment.in", "receive", [shipment])
        raw.model("stock.shipment.in", "do", [shipment])
    return ordered - started, time.perf_counter() - ordered


def _raw_order(raw: RawTryton, ids: Ids, number: str) -> int:
    pairs = zip(ids.products, LINES, strict=True)
    lines = [
        {"type": "line", "sequence": n, "product": product, "quantity": float(quantity),
         "unit": ids.unit, "unit_price": Decimal(price)}
        for n, (product, (_, quantity, price)) in enumerate(pairs, 1)
    ]  # fmt: skip
    (purchase,) = raw.model("purchase.purchase", "create", [{
        "company": ids.company, "party": ids.party, "invoice_address": ids.address,
        "warehouse": ids.warehouse, "currency": ids.currency, "invoice_method": "manual",
        "reference": number, "purchase_date": date(2026, 11, 2),
        "lines": [["create", lines]]}])  # fmt: skip
    raw.model("purchase.purchase", "quote", [purchase])
    raw.model("purchase.purchase", "confirm", [purchase])
    return int(purchase)


def order(number: str) -> PurchaseOrder:
    return PurchaseOrder(
        po_number=number, revision=0, status=PurchaseOrderStatus.CONFIRMED,
        order_date=date(2026, 11, 2), issued_at=at("2026-11-02T09:00:00+00:00"),
        buyer=NORTHWIND, supplier=ACME, ship_to_warehouse_id="WH-EAST", currency="USD",
        lines=tuple(
            PurchaseOrderLine(line_number=n, item=ItemRef(sku=sku), quantity=qty(q, "EA"),
                              unit_price=usd(price), requested_delivery_date=date(2026, 11, 9))
            for n, (sku, q, price) in enumerate(LINES, 1)
        ),
    )  # fmt: skip


def receipt(number: str) -> Receipt:
    return Receipt(
        receipt_number=f"R-{number}", warehouse_id="WH-EAST",
        received_at=at("2026-11-09T10:00:00+00:00"), po_number=number,
        lines=tuple(
            ReceiptLine(line_number=n, po_line_number=n, item=ItemRef(sku=sku),
                        received_quantity=qty(q, "EA"))
            for n, (sku, q, _) in enumerate(LINES, 1)
        ),
    )  # fmt: skip


async def connector_round(erp: TrytonConnector, numbers: list[str]) -> tuple[float, float]:
    def request(operation: str, body: dict[str, Any], key: str) -> OutboundRequest:
        return OutboundRequest("erp", operation, key, body, key)

    started = time.perf_counter()
    for number in numbers:
        await erp.send(request("create_purchase_order", order(number).model_dump(mode="json"),
                               f"po:{number}"))  # fmt: skip
    ordered = time.perf_counter()
    for number in numbers:
        await erp.send(request("post_receipt", receipt(number).model_dump(mode="json"),
                               f"rec:{number}"))  # fmt: skip
    return ordered - started, time.perf_counter() - ordered


@dataclass
class Results:
    raw: list[tuple[float, float]]
    connector: list[tuple[float, float]]


async def measure(sandbox: TrytonSandbox, orders: int, rounds: int) -> Results:
    raw = RawTryton(sandbox.url, sandbox.database, sandbox.user, sandbox.password)
    ids = ids_of(raw)
    config = TrytonConfig(url=sandbox.url, database=sandbox.database, user=sandbox.user,
                          password_env="UNUSED", warehouse="WH-EAST")  # fmt: skip
    erp = TrytonConnector("erp", config, password=lambda: sandbox.password)
    await erp.connect()
    await connector_round(erp, ["WARM-C"])  # the look-ups each side does once
    raw_round(raw, ids, ["WARM-R"])
    results = Results([], [])
    try:
        for r in range(rounds):
            results.raw.append(raw_round(raw, ids, [f"R{r}-{i}" for i in range(orders)]))
            results.connector.append(
                await connector_round(erp, [f"C{r}-{i}" for i in range(orders)])
            )
            print(
                f"round {r + 1}/{rounds}: raw {results.raw[-1]}, connector {results.connector[-1]}"
            )
    finally:
        await erp.close()
    return results


def rates(runs: list[tuple[float, float]], orders: int) -> tuple[float, float]:
    return (statistics.median(orders / po for po, _ in runs),
            statistics.median(orders / rec for _, rec in runs))  # fmt: skip


def report(results: Results, orders: int, rounds: int) -> str:
    raw_po, raw_rec = rates(results.raw, orders)
    con_po, con_rec = rates(results.connector, orders)
    rows = [
        ("purchase orders created and confirmed", raw_po, con_po),
        ("receipts posted (incoming shipment received and done)", raw_rec, con_rec),
    ]
    table = ["| what | raw JSON-RPC /s | connector /s | connector overhead |", "|---|---|---|---|"]
    table += [f"| {what} | {raw:.2f} | {con:.2f} | {(raw / con - 1) * 100:+.1f}% |"
              for what, raw, con in rows]  # fmt: skip
    return "\n".join([
        "### Results", "",
        f"Machine: {machine()}.",
        f"Run: {rounds} rounds of {orders} purchase orders with {len(LINES)} lines, then a full "
        "receipt of each; trytond 8.2 on SQLite, one sandbox server; medians of the rounds.", "",
        *table,
    ])  # fmt: skip


def record(section: str) -> None:
    text = DOCS.read_text()
    block = f"{BEGIN}\n{section}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Tryton connector (`bench/tryton.py`)\n\n" + block + "\n"
    DOCS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--record", action="store_true")
    options = parser.parse_args()
    with TrytonSandbox() as sandbox:
        results = asyncio.run(measure(sandbox, options.orders, options.rounds))
    section = report(results, options.orders, options.rounds)
    print(section)
    if options.record:
        record(section)


if __name__ == "__main__":
    main()
