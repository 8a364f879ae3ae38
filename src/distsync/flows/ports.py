"""What the flows need from the world, as Protocols; ``bootstrap`` supplies the implementations.

The runtime's own ports (the log, the document store) live in
``runtime/ports.py``; these are the few the business flows add: a source of
purchase orders (the ERP), and where new events go (intake).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from distsync.model.envelope import Envelope
from distsync.model.procurement import PurchaseOrder
from distsync.runtime.ports import AppendResult, DocumentStore, DocumentWriter


class PurchaseOrderFeed(Protocol):
    """An ERP's confirmed purchase orders, read in pages after a cursor it defines.

    ``cursor`` is the text the previous page returned (``None``: from the
    start). The feed returns the orders confirmed or changed after it, oldest
    first, and the cursor to pass next time (``None`` when nothing was read).
    Reading the same cursor twice returns the same orders: the cursor is only
    stored once the page's events are in the log.
    """

    async def read_purchase_orders_since(
        self, cursor: str | None, *, limit: int
    ) -> tuple[list[PurchaseOrder], str | None]: ...


class EventSink(Protocol):
    """Where a source appends what it read (``runtime.intake.Intake``)."""

    async def accept(self, envelopes: Sequence[Envelope]) -> AppendResult: ...


class StateStore(DocumentStore, DocumentWriter, Protocol):
    """Documents read and written outside a delivery (cursors)."""
