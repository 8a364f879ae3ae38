"""Composition: the landscape's policies laid over what the flows declare."""

from __future__ import annotations

from pathlib import Path

from distsync.bootstrap import Overrides, build
from distsync.config import build_landscape
from distsync.runtime.ports import SubscriptionSpec
from distsync.runtime.retry import RetryPolicy
from distsync.runtime.worker import Subscription
from distsync.testing import InMemoryMessageLog


async def noop(ctx) -> None:
    return None


def subscriptions(tmp_path: Path, runtime: dict, *subs: Subscription) -> dict[str, Subscription]:
    landscape = build_landscape({"runtime": runtime}, base_dir=tmp_path)
    services = build(
        landscape, overrides=Overrides(backend=InMemoryMessageLog(), subscriptions=subs)
    )
    return {sub.spec.name: sub for sub in services.subscriptions}


def test_a_flow_without_a_policy_gets_the_landscape_default(tmp_path: Path) -> None:
    plain = Subscription(SubscriptionSpec("asn", ("asn.*",)), noop)
    built = subscriptions(tmp_path, {"retry": {"max_attempts": 4, "base_seconds": 2}}, plain)
    assert built["asn"].retry == RetryPolicy(max_attempts=4, base_seconds=2, cap_seconds=300)
    assert built["outbox"].retry == RetryPolicy(max_attempts=50, base_seconds=2, cap_seconds=300)


def test_the_outbox_waits_out_an_outage_unless_told_otherwise(tmp_path: Path) -> None:
    patient = subscriptions(tmp_path, {"retry": {"max_attempts": 80}})["outbox"]
    told = subscriptions(tmp_path, {"subscriptions": {"outbox": {"retry": {"max_attempts": 3}}}})

    assert patient.retry.max_attempts == 80
    assert told["outbox"].retry.max_attempts == 3


def test_a_flow_keeps_its_own_policy_unless_the_landscape_names_the_subscription(
    tmp_path: Path,
) -> None:
    own = RetryPolicy(max_attempts=20, base_seconds=5, cap_seconds=600)
    flow = Subscription(SubscriptionSpec("asn", ("asn.*",)), noop, policy=own)
    assert subscriptions(tmp_path, {"retry": {"max_attempts": 4}}, flow)["asn"].retry == own
    tuned = subscriptions(
        tmp_path, {"subscriptions": {"asn": {"retry": {"max_attempts": 3}}}}, flow
    )["asn"]
    assert tuned.retry == RetryPolicy(max_attempts=3, base_seconds=5, cap_seconds=600)


def test_the_landscape_can_make_a_subscription_ordered_and_narrow_its_concurrency(
    tmp_path: Path,
) -> None:
    flow = Subscription(SubscriptionSpec("asn", ("asn.*",)), noop)
    built = subscriptions(
        tmp_path, {"subscriptions": {"asn": {"ordered": True, "concurrency": 2}}}, flow
    )["asn"]
    assert built.spec.ordered
    assert built.concurrency == 2
