"""The overdue-acknowledgement KPI and alert, on the procure flow's real records."""

from __future__ import annotations

from pathlib import Path

from structlog.testing import capture_logs

from distsync.flows.procure_alerts import OverdueWatch
from distsync.model.examples.procurement import example_po_ack, example_purchase_order
from tests.integration.procure_world import PO, ProcureWorld


def overdue_count(world: ProcureWorld, partner: str, waiting_for: str) -> float:
    value = world.services.metrics.registry.get_sample_value(
        "distsync_procure_overdue", {"partner": partner, "waiting_for": waiting_for}
    )
    return value or 0.0


async def test_an_order_unacknowledged_past_its_deadline_is_counted_and_warned_once(
    tmp_path: Path,
) -> None:
    world = ProcureWorld.open(tmp_path, ack_deadline_hours=4)
    try:
        watch = OverdueWatch(world.services.backend, world.services.metrics, world.clock)
        await world.receive(example_purchase_order())
        await watch.run()
        assert overdue_count(world, "acme", "855") == 0

        world.clock.advance(5 * 3600)
        with capture_logs() as logs:
            await watch.run()
            await watch.run()

        assert overdue_count(world, "acme", "855") == 1
        warnings = [line for line in logs if line.get("action") == "procure.ack_overdue"]
        assert len(warnings) == 1
        assert warnings[0]["po_number"] == PO

        await world.receive(example_po_ack())  # parked for a buyer: the supplier did answer
        await watch.run()
        assert overdue_count(world, "acme", "855") == 0
    finally:
        await world.close()


async def test_a_partner_s_own_deadline_wins_over_the_flow_s(tmp_path: Path) -> None:
    world = ProcureWorld.open(tmp_path, acme={"ack_deadline_hours": 1}, ack_deadline_hours=24)
    try:
        watch = OverdueWatch(world.services.backend, world.services.metrics, world.clock)
        await world.receive(example_purchase_order())
        world.clock.advance(2 * 3600)

        await watch.run()

        assert overdue_count(world, "acme", "855") == 1
        record = await world.record()
        assert record.ack_due is not None
        assert (record.ack_due - record.sent_at).total_seconds() == 3600
    finally:
        await world.close()
