"""What the flows need from the world, as Protocols; ``bootstrap`` supplies the implementations.

The runtime's own ports (the log, the document store) live in
``runtime/ports.py``; these are the few the business flows add: a source of
purchase orders (the ERP), where new events go (intake), and the parked
documents a resolution acts on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from distsync.model.envelope import Envelope
from distsync.model.procurement import PurchaseOrder
from distsync.runtime.messages import StoredEvent
from distsync.runtime.operations import ParkedRecord, RecordStatus, ReplaySelection
from distsync.runtime.ports import AppendResult, DocumentStore, DocumentWriter


@runtime_checkable
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


class ExceptionDesk(Protocol):
    """What a flow does with parked documents once a person resolved one of them.

    The backend (``runtime.ports.Backend``) is one: a flow reads the parked
    event back, runs events again and closes related exceptions.
    """

    async def get_event(self, event_id: str) -> StoredEvent | None: ...

    async def exception(self, exception_id: int) -> ParkedRecord | None: ...

    async def requeue(self, selection: ReplaySelection, *, actor: str, reason: str) -> int: ...

    async def exceptions(
        self,
        *,
        status: RecordStatus | None = RecordStatus.OPEN,
        reason_code: str | None = None,
        limit: int = 100,
    ) -> list[ParkedRecord]: ...

    async def resolve(
        self,
        exception_id: int,
        *,
        action: str,
        actor: str,
        note: str,
        params: Mapping[str, str] | None = None,
    ) -> ParkedRecord: ...
