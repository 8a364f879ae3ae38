"""A procure landscape on a real SQLite file, driven one event at a time.

The ERP, the supplier's channel and the 3PL's are recording connectors: what
the flow asks of them is what these tests check. (The Tryton and simulator
tests drive the same flow against real servers.) Documents are the model's
examples: ``PO-2024-00117`` to ACME (``SUP-ACME``), five lines for WH-EAST.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.flows.procure_state import PoRecord, load_po
from distsync.model.base import Document
from distsync.model.envelope import Envelope, new_event_id
from distsync.partners.keys import purchase_orders
from distsync.runtime.operations import ParkedRecord
from distsync.runtime.ports import EventFilter, OutboundRequest
from distsync.testing import FrozenClock, RecordingConnector

PO = "PO-2024-00117"
START = datetime(2024, 5, 10, 9, 0, tzinfo=UTC)
EVENT_TYPES = {
    "PurchaseOrder": "purchase_order.confirmed",
    "PoAcknowledgement": "po_ack.received",
    "AdvanceShipNotice": "asn.received",
    "Receipt": "receipt.recorded",
    "Invoice": "invoice.received",
}
SOURCES = {"purchase_order.confirmed": "erp", "receipt.recorded": "partner:eastwms"}


def landscape_data(
    tmp_path: Path, acme: dict[str, Any] | None = None, **procure: Any
) -> dict[str, Any]:
    """The landscape; ``acme`` adds keys to ACME's partner entry, ``procure`` to the flow's."""
    nowhere = "http://127.0.0.1:9"
    data = {
        "runtime": {"database": str(tmp_path / "var" / "distsync.sqlite")},
        "x12": {"qualifier": "ZZ", "id": "NORTHWIND"},
        "systems": {"erp": {"type": "http-json", "url": nowhere}},
        "partners": {
            "acme": {
                "kind": "supplier",
                "party_id": "SUP-ACME",
                "x12": {"qualifier": "ZZ", "id": "ACME"},
                "channel": {"transport": "http", "url": nowhere},
                "sends": ["x12-855", "x12-856", "x12-810"],
                "receives": ["x12-850"],
            },
            "eastwms": {
                "kind": "warehouse",
                "x12": {"qualifier": "ZZ", "id": "EASTWMS"},
                "channel": {"transport": "http", "url": nowhere},
                "sends": ["x12-944"],
                "receives": ["x12-943"],
            },
        },
        "flows": {
            "procure": {"enabled": True, "warehouses": {"WH-EAST": "partner:eastwms"}} | procure
        },
    }
    data["partners"]["acme"].update(acme or {})
    return data


@dataclass
class ProcureWorld:
    """The services of a procure landscape, with its endpoints recorded."""

    services: Services
    clock: FrozenClock
    erp: RecordingConnector
    supplier: RecordingConnector
    warehouse: RecordingConnector

    @classmethod
    def open(
        cls, tmp_path: Path, acme: dict[str, Any] | None = None, **procure: Any
    ) -> ProcureWorld:
        data = landscape_data(tmp_path, acme, **procure)
        landscape = build_landscape(data, base_dir=tmp_path)
        clock = FrozenClock(START)
        erp, supplier, warehouse = RecordingConnector(), RecordingConnector(), RecordingConnector()
        connectors = {"erp": erp, "partner:acme": supplier, "partner:eastwms": warehouse}
        services = build(landscape, overrides=Overrides(connectors=connectors, clock=clock))
        return cls(services, clock, erp, supplier, warehouse)

    async def receive(
        self, document: Document, *, partner: str | None = "acme", key: str | None = None
    ) -> Envelope:
        """The document enters the log as its partner's channel would append it; then drain."""
        envelope = self.envelope(document, partner=partner, key=key)
        await self.services.intake.accept([envelope])
        await self.drain()
        return envelope

    def envelope(
        self, document: Document, *, partner: str | None = "acme", key: str | None = None
    ) -> Envelope:
        event_type = EVENT_TYPES[type(document).__name__]
        numbers = purchase_orders(document)
        now = self.clock()
        event_id = new_event_id()
        return Envelope(
            event_id=event_id,
            type=event_type,
            schema_version=1,
            source_system=SOURCES.get(event_type, f"partner:{partner}"),
            partner=None if event_type == "purchase_order.confirmed" else partner,
            correlation_id=f"po:{numbers[0]}",
            idempotency_key=key or f"test:{event_id}",
            partition_key=numbers[0],
            occurred_at=now,
            received_at=now,
            payload=document.model_dump(mode="json"),
        )

    async def drain(self) -> None:
        await self.services.worker("test").drain()

    async def later(self, seconds: float) -> None:
        """Time passes (retries come due), then the worker runs."""
        self.clock.advance(seconds)
        await self.drain()

    async def record(self, po_number: str = PO) -> PoRecord:
        record = await load_po(self.services.backend, po_number)
        assert record is not None, f"no record of {po_number}"
        return record

    async def exceptions(self, reason_code: str | None = None) -> list[ParkedRecord]:
        return await self.services.backend.exceptions(reason_code=reason_code)

    async def resolve(self, exception: ParkedRecord, action: str, **params: str) -> None:
        await self.services.backend.resolve(
            exception.id, action=action, actor="buyer@northwind", note="checked", params=params
        )
        await self.drain()

    async def events(self, event_type: str) -> list[Envelope]:
        stored = await self.services.backend.list_events(
            EventFilter(types=(event_type,)), limit=1000
        )
        return [event.envelope for event in stored]

    async def close(self) -> None:
        await self.services.close()


def calls(connector: RecordingConnector, operation: str) -> list[OutboundRequest]:
    """What an endpoint really received for ``operation``, once per idempotency key."""
    return [r for r in connector.effects.values() if r.operation == operation]
