"""The demo scenario: ACME ships against four purchase orders; the WMS hears of each ASN once.

``run_demo(base_dir)`` recreates ``base_dir/var/demo.sqlite`` (the embedded
profile), starts the simulated WMS, and drives the runtime the way partners
would: raw JSON through intake, the worker in rounds, a retry after the WMS
answers 503, a duplicate, a malformed document, an unknown SKU parked and
then resolved by replay. It checks its own outcome and returns 0 only when
every check holds. It writes ``base_dir/var/demo-landscape.yaml`` so that the
``distsync`` commands can inspect what happened.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import structlog
import yaml
from rich.console import Console

from distsync.bootstrap import Overrides, Services, build
from distsync.config import Landscape, build_landscape
from distsync.connectors.http_json import HttpJsonConnector
from distsync.demo import documents, flow
from distsync.demo.report import Check, Reporter, Tally
from distsync.demo.wms_simulator import WmsSimulator
from distsync.errors import DistsyncError, PermanentError
from distsync.model.asn import AdvanceShipNotice
from distsync.model.procurement import PurchaseOrder
from distsync.runtime.ports import EventFilter, ParkedRecord, RecordStatus
from distsync.telemetry import configure_logging

__all__ = ["DEMO_RUNTIME", "run_demo"]

DEMO_RUNTIME: dict[str, Any] = {
    "database": "demo.sqlite",
    "poll_interval_ms": 50,
    "retry": {"max_attempts": 5, "base_seconds": 0.2, "cap_seconds": 1.0},
}
"""The demo's ``runtime`` section: quick retries, so the 503s are over in a moment."""

SHIPPED = (
    ("ASN-88121", "PO-2024-00118"),
    ("ASN-88122", "PO-2024-00119"),
    ("ASN-88123", "PO-2024-00120"),
)
MALFORMED = ("ASN-88124", "PO-2024-00120")
WMS_FAILURES = 2
SETTLE_SECONDS = 20.0


class DemoFailed(DistsyncError):
    """The scenario could not go on (the runtime did not settle in time)."""


def run_demo(base_dir: Path, *, console: Console | None = None) -> int:
    """Run the demo under ``base_dir/var``; 0 when every check of its outcome holds."""
    if not structlog.is_configured():
        configure_logging("error", stream=sys.stderr)
    return asyncio.run(_play(base_dir, Reporter(console or Console())))


async def _play(base_dir: Path, report: Reporter) -> int:
    landscape_file, landscape = _prepare(base_dir / "var")
    with WmsSimulator(fail_first=WMS_FAILURES) as wms:
        report.intro(Path(landscape.runtime.database), wms.url, WMS_FAILURES)
        connector = HttpJsonConnector(flow.WMS, wms.url, timeout_seconds=5.0)
        overrides = Overrides(connectors={flow.WMS: connector}, subscriptions=flow.subscriptions())
        services = build(landscape, overrides=overrides)
        try:
            await connector.connect()
            checks = await Scenario(services, wms, report).play()
        finally:
            await services.close()
    report.checks(checks)
    report.next_steps(landscape_file)
    return 0 if all(check.passed for check in checks) else 1


def _prepare(var_dir: Path) -> tuple[Path, Landscape]:
    """A fresh database and the landscape file that points at it."""
    var_dir.mkdir(parents=True, exist_ok=True)
    database = var_dir / DEMO_RUNTIME["database"]
    for leftover in (database, *(Path(f"{database}{s}") for s in ("-wal", "-shm", "-journal"))):
        leftover.unlink(missing_ok=True)
    data = {"runtime": DEMO_RUNTIME}
    landscape_file = var_dir / "demo-landscape.yaml"
    landscape_file.write_text(
        "# Written by `distsync demo`: the demo's database, for the distsync commands.\n"
        + yaml.safe_dump(data, sort_keys=False),
        encoding="utf-8",
    )
    return landscape_file, build_landscape(data, base_dir=var_dir)


class Scenario:
    """The story, step by step; each step reports what it did and what the runtime did."""

    def __init__(self, services: Services, wms: WmsSimulator, report: Reporter) -> None:
        self.services = services
        self.backend = services.backend
        self.wms = wms
        self.report = report
        self.worker = services.worker("demo")
        self.rejected = 0
        self.checks: list[Check] = []

    async def play(self) -> list[Check]:
        await self.worker.register()  # before intake: deliveries exist only for subscribers
        await self.confirm_orders()
        await self.receive_notices()
        await self.receive_retransmission()
        await self.receive_malformed()
        await self.process("The worker runs: flows check each ASN, the outbox calls the WMS")
        parked = await self.summarise("Where things stand")
        if len(parked) == 1:
            await self.resolve(parked[0])
        await self.summarise("After the resolution")
        await self.final_checks()
        return self.checks

    async def confirm_orders(self) -> None:
        self.report.step("The ERP confirms four purchase orders to ACME")
        orders = [documents.purchase_order(number) for number in documents.ORDER_NUMBERS]
        result = await self.services.intake.accept_raw(
            [documents.order_envelope(o) for o in orders]
        )
        self.report.ok(f"{len(result.appended)} stored: {', '.join(documents.ORDER_NUMBERS)}")
        await self.settle()
        self.report.ok("demo.purchasing keeps each order as a document for receiving to check")

    async def receive_notices(self) -> None:
        self.report.step("ACME sends four advance ship notices")
        notices = [documents.shipped_first_pallet(*shipped) for shipped in SHIPPED]
        notices.append(documents.substitute_asn())
        result = await self.services.intake.accept_raw([documents.asn_envelope(n) for n in notices])
        for notice in notices:
            self.report.ok(f"{notice.asn_number} for {_order_numbers(notice)} stored")
        self.checks.append(Check("four ship notices stored", len(result.appended) == 4))

    async def receive_retransmission(self) -> None:
        asn_number, po_number = SHIPPED[0]
        self.report.step(f"ACME's AS2 gateway sends {asn_number} again")
        again = documents.shipped_first_pallet(asn_number, po_number)
        result = await self.services.intake.accept_raw([documents.asn_envelope(again)])
        for original in result.duplicates.values():
            self.report.ok(f"recorded as a duplicate of event {original}: not processed again")
        self.checks.append(
            Check(
                "the retransmission is recorded as a duplicate",
                len(result.duplicates) == 1 and not result.appended,
            )
        )

    async def receive_malformed(self) -> None:
        asn_number, po_number = MALFORMED
        self.report.step(f"ACME sends {asn_number} with a ship time that has no UTC offset")
        before = await self.backend.stats()
        try:
            await self.services.intake.accept_raw(
                [documents.malformed_asn_envelope(asn_number, po_number)]
            )
        except PermanentError as error:
            self.rejected += 1
            self.report.refused(f"rejected ({type(error).__name__}): {error}")
        after = await self.backend.stats()
        self.report.ok(f"nothing stored, nothing lost: still {after.events} events in the log")
        self.checks.append(
            Check(
                "the malformed notice is rejected and the log is untouched",
                self.rejected == 1 and after.events == before.events,
            )
        )

    async def process(self, title: str) -> None:
        self.report.step(title)
        await self.settle()
        failures, calls = self.wms.failures, self.wms.calls
        self.report.ok(
            f"the WMS took {len(self.wms.effects)} expected receipts in {calls} calls "
            f"({failures} answered 503 and were retried)"
        )

    async def summarise(self, title: str) -> list[ParkedRecord]:
        tally = await self.tally()
        self.report.tally(title, tally)
        return list(tally.parked)

    async def resolve(self, record: ParkedRecord) -> None:
        facts = record.facts
        self.report.step(
            f"A buyer maps {facts['sku']}: {facts['po_number']} line {facts['po_line_number']} "
            "accepts ACME's substitute, then replays the ASN"
        )
        revised = await self._accept_substitute(record)
        self.report.ok(f"{revised.po_number} revision {revised.revision} stored and applied")
        resolved = await self.backend.resolve(
            record.id,
            action="replay",
            actor="demo-buyer",
            note=f"{facts['sku']} accepted as substitute on {revised.po_number} "
            f"rev {revised.revision}",
        )
        self.report.ok(f"exception #{resolved.id} is {resolved.status.value}; the ASN runs again")
        await self.process("The worker runs the replayed ASN")

    async def _accept_substitute(self, record: ParkedRecord) -> PurchaseOrder:
        po_number, line_number = record.facts["po_number"], int(record.facts["po_line_number"])
        notice = record.event.envelope.document(AdvanceShipNotice)
        substitute = next(e.item.item for e in notice.items() if e.path == record.facts["path"])
        stored = await self.backend.get_document("purchase_order", po_number)
        if stored is None:
            raise DemoFailed(f"mapping {record.facts['sku']}: {po_number} is not stored")
        order = PurchaseOrder.model_validate(stored.body, strict=False)
        revised = documents.accepting_substitute(order, line_number, substitute)
        envelope = documents.order_envelope(revised, "purchase_order.revised")
        await self.services.intake.accept_raw([envelope])
        await self.settle()
        return revised

    async def settle(self) -> None:
        """Run the worker in rounds until nothing is pending, waiting or in flight."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_SECONDS
        while True:
            await self.worker.drain()
            stats = await self.backend.stats()
            if all(s.pending + s.in_flight + s.waiting_retry == 0 for s in stats.subscriptions):
                return
            if loop.time() > deadline:
                raise DemoFailed(f"the runtime did not settle within {SETTLE_SECONDS}s: {stats}")
            await asyncio.sleep(0.05)

    async def tally(self) -> Tally:
        stats = await self.backend.stats()
        return Tally(
            events=stats.events,
            duplicates=stats.duplicates,
            rejected=self.rejected,
            delivered=len(self.wms.effects),
            wms_calls=self.wms.calls,
            wms_unavailable=self.wms.failures,
            wms_repeats=self.wms.repeats,
            retries=await self._retries(),
            dead_letters=stats.dead_letters_open,
            parked=tuple(await self.backend.exceptions()),
        )

    async def _retries(self) -> int:
        calls = await self.backend.list_events(EventFilter(types=("outbound.requested",)))
        histories = [await self.backend.attempts(e.envelope.event_id) for e in calls]
        return sum(1 for history in histories for a in history if a.outcome == "retry")

    async def final_checks(self) -> None:
        every_asn = {f"asn:{number}" for number, _ in SHIPPED} | {"asn:ASN-88120"}
        calls = await self.backend.list_events(EventFilter(types=("outbound.requested",)))
        stats = await self.backend.stats()
        replayed = await self.backend.exceptions(status=RecordStatus.REPLAYED)
        self.checks += [
            Check(
                "every valid ASN reached the WMS exactly once",
                set(self.wms.effects) == every_asn and self.wms.repeats == 0,
                f"{len(self.wms.effects)} expected receipts, {self.wms.repeats} repeats",
            ),
            Check(
                "the duplicate was not processed twice",
                len(calls) == len(every_asn) and stats.duplicates == 1,
                f"{len(calls)} outbound calls for {len(every_asn)} ASNs",
            ),
            Check("the WMS outage was retried", self.wms.failures == WMS_FAILURES),
            Check("the unknown SKU was parked, then replayed", len(replayed) == 1),
            Check(
                "no dead letters, no open exceptions",
                stats.dead_letters_open == 0 and stats.exceptions_open == 0,
            ),
        ]


def _order_numbers(notice: AdvanceShipNotice) -> str:
    return ", ".join(order.po_number for order in notice.orders)
