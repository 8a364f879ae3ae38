"""A procure landscape whose ERP is a real Tryton sandbox, and Tryton's own view of the outcome.

The ERP is declared as a ``tryton`` system, so ``bootstrap`` builds its
connector from the registry inside its delivery policy and adds the procure
jobs that poll it, exactly as ``distsync serve`` does. The helpers run those
jobs, let the worker settle, and read back from Tryton what the connector's
own read methods do not say (a shipment's state, the moves still expected).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_map import x2many_create
from distsync.connectors.tryton_rpc import TrytonRpc
from distsync.erp.sandbox import TrytonSandbox
from distsync.model.base import Document
from distsync.model.envelope import Envelope, new_event_id
from distsync.partners.keys import purchase_orders
from distsync.runtime.operations import LogStats

__all__ = [
    "DELIVERY",
    "PASSWORD_ENV",
    "TrytonBook",
    "create_orders",
    "envelope",
    "open_services",
    "partners",
    "run_job",
    "settle",
    "tryton_system",
]

PASSWORD_ENV = "DISTSYNC_TEST_PROCURE_ERP_PASSWORD"
EVENT_TYPES = {
    "AdvanceShipNotice": "asn.received",
    "Receipt": "receipt.recorded",
    "Invoice": "invoice.received",
}
SETTLE_SECONDS = 120.0
ORDER_DATE, DELIVERY = date(2026, 11, 2), date(2026, 11, 16)
CREATE_BATCH = 10
Line = tuple[int, str, int, str, str]  # line number, SKU, quantity, unit, unit price


def tryton_system(sandbox: TrytonSandbox, **extra: Any) -> dict[str, Any]:
    """The ``systems.erp`` entry for the sandbox; its password is read from ``PASSWORD_ENV``."""
    return {
        "type": "tryton",
        "url": sandbox.url,
        "database": sandbox.database,
        "user": sandbox.user,
        "password_env": PASSWORD_ENV,
        "warehouse": sandbox.warehouse,
        "poll_settle_seconds": 0,
    } | extra


def partners(supplier_url: str, warehouse_url: str) -> dict[str, Any]:
    """ACME (``SUP-ACME``, X12 over HTTP) and the 3PL that runs WH-EAST (``east3pl``)."""
    return {
        "acme": {
            "kind": "supplier",
            "party_id": "SUP-ACME",
            "x12": {"qualifier": "ZZ", "id": "ACME"},
            "channel": {"transport": "http", "url": supplier_url},
            "receives": ["x12-850"],
            "sends": ["x12-855", "x12-856", "x12-810"],
        },
        "east3pl": {
            "kind": "warehouse",
            "x12": {"qualifier": "ZZ", "id": "EAST3PL"},
            "channel": {"transport": "http", "url": warehouse_url},
            "receives": ["x12-943"],
            "sends": ["x12-944"],
        },
    }


def open_services(
    tmp_path: Path,
    sandbox: TrytonSandbox,
    *,
    partners: Mapping[str, Any],
    procure: Mapping[str, Any],
    erp: Mapping[str, Any] | None = None,
    runtime: Mapping[str, Any] | None = None,
    overrides: Overrides | None = None,
) -> Services:
    """Services of a landscape on a real SQLite file with the sandbox as its ``erp``."""
    data = {
        "runtime": {"database": str(tmp_path / "var" / "distsync.sqlite"), **(runtime or {})},
        "x12": {"qualifier": "ZZ", "id": "NORTHWIND"},
        "systems": {"erp": tryton_system(sandbox, **(erp or {}))},
        "partners": dict(partners),
        "flows": {"procure": {"enabled": True, "erp": "erp", **procure}},
    }
    return build(build_landscape(data, base_dir=tmp_path), overrides=overrides)


async def run_job(services: Services, name: str) -> None:
    """Run the job called ``name`` until it says there is nothing more to read."""
    (job,) = [job for job in services.jobs if job.name == name]
    while await job.run():
        pass


async def settle(services: Services, *, seconds: float = SETTLE_SECONDS) -> LogStats:
    """Run the worker until no subscription has work pending, in flight or waiting to retry."""
    worker = services.worker("test")
    deadline = time.monotonic() + seconds
    while True:
        await worker.drain()
        stats = await services.backend.stats()
        if all(s.pending + s.in_flight + s.waiting_retry == 0 for s in stats.subscriptions):
            return stats
        if time.monotonic() > deadline:
            raise AssertionError(f"the worker did not settle within {seconds:.0f} s: {stats}")
        await asyncio.sleep(0.05)


def envelope(document: Document, *, partner: str, at: datetime) -> Envelope:
    """``document`` as its partner's channel appends it, received ``at`` (a new event each time)."""
    event_type = EVENT_TYPES[type(document).__name__]
    first = purchase_orders(document)[0]
    event_id = new_event_id()
    return Envelope(
        event_id=event_id,
        type=event_type,
        schema_version=1,
        source_system=f"partner:{partner}",
        partner=partner,
        correlation_id=f"po:{first}",
        idempotency_key=f"test:{event_id}",
        partition_key=first,
        occurred_at=at,
        received_at=at,
        payload=document.model_dump(mode="json"),
    )


def create_orders(sandbox: TrytonSandbox, numbers: Sequence[str], lines: Sequence[Line]) -> None:
    """Purchases to ACME for WH-EAST, created, quoted and confirmed ten to a JSON-RPC call.

    The values are those ``create_purchase_order`` writes (``tryton_ops_purchase``);
    the connector makes one order at a time, about three times slower.
    """
    rpc = _rpc(sandbox)
    try:
        directory = TrytonDirectory(rpc)
        for start in range(0, len(numbers), CREATE_BATCH):
            chunk = numbers[start : start + CREATE_BATCH]
            values = [_purchase(directory, number, lines) for number in chunk]
            ids = rpc.model("purchase.purchase", "create", values)
            rpc.model("purchase.purchase", "quote", ids)
            rpc.model("purchase.purchase", "confirm", ids)
        unprocessed = rpc.model(
            "purchase.purchase", "search",
            [["reference", "in", list(numbers)], ["state", "=", "confirmed"]], 0, None, None,
        )  # fmt: skip
        if unprocessed:  # confirmed, but processing was lost (see connectors/tryton_workflow.py)
            rpc.model("purchase.purchase", "process", unprocessed)
    finally:
        rpc.close()


def _purchase(directory: TrytonDirectory, number: str, lines: Sequence[Line]) -> dict[str, Any]:
    company, _, _ = directory.company()
    supplier = directory.party("SUP-ACME")
    rows = [
        {
            "type": "line",
            "sequence": line,
            "product": directory.product(sku, document_ref=number).id,
            "quantity": float(quantity),
            "unit": directory.unit(uom).id,
            "unit_price": Decimal(price),
            "delivery_date_edit": True,
            "delivery_date_store": DELIVERY,
        }
        for line, sku, quantity, uom, price in lines
    ]
    return {
        "company": company,
        "party": supplier.id,
        "invoice_address": supplier.address,
        "warehouse": directory.warehouse("WH-EAST").id,
        "currency": directory.currency("USD"),
        "invoice_method": "manual",
        "reference": number,
        "purchase_date": ORDER_DATE,
        "lines": x2many_create(rows),
    }


def _rpc(sandbox: TrytonSandbox) -> TrytonRpc:
    return TrytonRpc(
        url=sandbox.url, database=sandbox.database, user=sandbox.user, password=sandbox.password
    )


class TrytonBook:
    """Tryton's records read over JSON-RPC, for what the connector's read methods leave out."""

    def __init__(self, sandbox: TrytonSandbox) -> None:
        self.rpc = _rpc(sandbox)

    def close(self) -> None:
        self.rpc.close()

    def shipments(self, reference: str) -> list[str]:
        """The state of every incoming shipment whose reference is ``reference``."""
        rows = self.rpc.model(
            "stock.shipment.in", "search_read", [["reference", "=", reference]],
            0, None, [["id", "ASC"]], ["state"],
        )  # fmt: skip
        return [str(row["state"]) for row in rows]

    def shipment_states(self, prefix: str) -> dict[str, list[str]]:
        """Reference -> states of every incoming shipment whose reference starts with ``prefix``."""
        rows = self.rpc.model(
            "stock.shipment.in", "search_read", [["reference", "like", f"{prefix}%"]],
            0, None, [["id", "ASC"]], ["reference", "state"],
        )  # fmt: skip
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(str(row["reference"]), []).append(str(row["state"]))
        return found

    def still_expected(self, po_number: str) -> dict[tuple[int, str], tuple[Decimal, str]]:
        """The purchase's moves not received yet: (line, SKU) -> quantity and unit symbol."""
        rows = self.rpc.model(
            "stock.move", "search_read",
            [["purchase.reference", "=", po_number], ["state", "=", "draft"]],
            0, None, [["id", "ASC"]],
            ["origin.sequence", "product.code", "quantity", "unit.symbol"],
        )  # fmt: skip
        return {
            (int(row["origin."]["sequence"]), str(row["product."]["code"])): (
                Decimal(str(row["quantity"])),
                str(row["unit."]["symbol"]),
            )
            for row in rows
        }

    def received_by_reference(self, prefix: str) -> dict[str, dict[str, Decimal]]:
        """Receipt number -> SKU -> quantity on its done shipment's moves, in the moves' units."""
        shipments = self.rpc.model(
            "stock.shipment.in", "search_read",
            [["reference", "like", f"{prefix}%"], ["state", "=", "done"]],
            0, None, None, ["reference", "incoming_moves"],
        )  # fmt: skip
        move_ids = [move for row in shipments for move in row["incoming_moves"]]
        moves = self.rpc.model("stock.move", "read", move_ids, ["product.code", "quantity"])
        by_id = {int(m["id"]): m for m in moves}
        found: dict[str, dict[str, Decimal]] = {}
        for row in shipments:
            lines = found.setdefault(str(row["reference"]), {})
            for move_id in row["incoming_moves"]:
                move = by_id[int(move_id)]
                sku = str(move["product."]["code"])
                lines[sku] = lines.get(sku, Decimal(0)) + Decimal(str(move["quantity"]))
        return found
