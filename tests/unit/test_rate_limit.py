"""Token buckets per client and route group, the route groups, and the ``api`` config section."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from distsync.api.rate_limit import ClientKeys, RateLimiter, route_group, throttled_counter
from distsync.config_api import ApiPolicy, Bucket, RateLimits


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def limiter(limits: RateLimits, clock: FakeClock, **options: int) -> RateLimiter:
    return RateLimiter(limits, clock=clock, **options)


SMALL = RateLimits(groups={"inbound": Bucket(rate=2, burst=3), "sync": Bucket(rate=1, burst=1)})


def test_a_client_may_spend_its_burst_at_once_then_waits_for_the_refill() -> None:
    clock = FakeClock()
    buckets = limiter(SMALL, clock)

    allowed = [buckets.check("inbound", "client:a", "a") for _ in range(3)]
    refused = buckets.check("inbound", "client:a", "a")

    assert allowed == [None, None, None]
    assert refused is not None
    assert (refused.group, refused.limit) == ("inbound", 3)
    assert refused.retry_after == pytest.approx(0.5)  # one token at 2/s


def test_the_bucket_refills_at_its_rate_and_never_above_its_burst() -> None:
    clock = FakeClock()
    buckets = limiter(SMALL, clock)
    for _ in range(3):
        buckets.check("inbound", "client:a", "a")

    clock.now += 0.5
    assert buckets.check("inbound", "client:a", "a") is None
    assert buckets.check("inbound", "client:a", "a") is not None

    clock.now += 3600  # a long quiet spell gives back the burst, not more
    results = [buckets.check("inbound", "client:a", "a") for _ in range(4)]
    assert results[:3] == [None, None, None]
    assert results[3] is not None


def test_the_wait_shrinks_as_time_passes() -> None:
    clock = FakeClock()
    buckets = limiter(SMALL, clock)
    buckets.check("sync", "client:a", "a")
    clock.now += 0.25

    refused = buckets.check("sync", "client:a", "a")

    assert refused is not None
    assert refused.retry_after == pytest.approx(0.75)


def test_clients_and_groups_have_buckets_of_their_own() -> None:
    clock = FakeClock()
    buckets = limiter(SMALL, clock)
    for _ in range(3):
        buckets.check("inbound", "client:a", "a")

    assert buckets.check("inbound", "client:a", "a") is not None
    assert buckets.check("sync", "client:a", "a") is None
    assert buckets.check("inbound", "client:b", "b") is None


def test_a_client_override_beats_the_group_which_beats_the_default() -> None:
    limits = RateLimits.model_validate(
        {
            "default": {"rate": "600/min", "burst": 7},
            "groups": {"inbound": {"rate": "50/s", "burst": 100}},
            "clients": {"acme-portal": {"inbound": {"rate": "10/s", "burst": 20}}},
        }
    )

    assert limits.bucket("inbound", "acme-portal") == Bucket(rate=10, burst=20)
    assert limits.bucket("inbound", "other") == Bucket(rate=50, burst=100)
    assert limits.bucket("inbound", None) == Bucket(rate=50, burst=100)
    assert limits.bucket("ops", "acme-portal") == Bucket(rate=10, burst=7)


def test_without_configuration_each_group_has_its_built_in_limit() -> None:
    limits = RateLimits()

    assert limits.bucket("inbound", None).rate > limits.bucket("sync", None).rate
    assert limits.bucket("token", None) == Bucket(rate=5, burst=10)


def test_a_client_override_is_ignored_for_an_unrecognised_caller() -> None:
    clock = FakeClock()
    limits = RateLimits(
        groups={"inbound": Bucket(rate=1, burst=1)},
        clients={"big": {"inbound": Bucket(rate=100, burst=100)}},
    )
    buckets = limiter(limits, clock)

    assert buckets.check("inbound", "peer:10.0.0.1", None) is None
    assert buckets.check("inbound", "peer:10.0.0.1", None) is not None
    assert [buckets.check("inbound", "client:big", "big") for _ in range(50)] == [None] * 50


def test_idle_buckets_are_forgotten_when_there_are_too_many() -> None:
    clock = FakeClock()
    buckets = limiter(SMALL, clock, max_buckets=2)
    buckets.check("inbound", "peer:a", None)
    buckets.check("inbound", "peer:b", None)
    clock.now += 10  # both full again

    buckets.check("inbound", "peer:c", None)

    assert len(buckets._buckets) == 1


def test_a_busy_bucket_survives_while_idle_ones_are_dropped() -> None:
    clock = FakeClock()
    buckets = limiter(SMALL, clock, max_buckets=2)
    buckets.check("inbound", "peer:idle", None)
    clock.now += 1.0  # idle is full again
    buckets.check("sync", "peer:busy", None)  # empty, refills in 1 s
    clock.now += 0.1

    buckets.check("inbound", "peer:new", None)

    assert buckets.check("sync", "peer:busy", None) is not None


@pytest.mark.parametrize(
    ("method", "path", "group"),
    [
        ("POST", "/v1/inbound/acme/asn", "inbound"),
        ("POST", "/v1/inbound/x12/acme", "inbound"),
        ("POST", "/v1/edi/acme", "inbound"),
        ("POST", "/v1/as2", "inbound"),
        ("POST", "/v1/webhooks/shopify/shop", "inbound"),
        ("GET", "/v1/availability", "sync"),
        ("POST", "/v1/orders/validate", "sync"),
        ("POST", "/v1/shipping/rates", "sync"),
        ("GET", "/v1/xref/acme", "sync"),
        ("PUT", "/v1/xref/acme/sku/A-1", "ops"),
        ("GET", "/ops/procure/overdue", "ops"),
        ("POST", "/oauth/token", "token"),
        ("GET", "/healthz", None),
        ("GET", "/readyz", None),
        ("GET", "/metrics", None),
        ("GET", "/openapi.json", None),
        ("GET", "/docs", None),
        ("GET", "/.well-known/jwks.json", None),
    ],
)
def test_each_route_falls_in_its_group(method: str, path: str, group: str | None) -> None:
    assert route_group(method, path) == group


def test_a_credential_spends_its_clients_bucket_only_once_it_was_verified() -> None:
    keys = ClientKeys()

    assert keys.client_for(b"Bearer token-of-acme") is None
    keys.learn(b"Bearer token-of-acme", "acme")

    assert keys.client_for(b"Bearer token-of-acme") == "acme"
    assert keys.client_for(b"Bearer forged-token-claiming-acme") is None
    assert keys.client_for(None) is None


def test_the_oldest_remembered_credential_is_forgotten_first() -> None:
    keys = ClientKeys(max_remembered=2)
    keys.learn(b"k1", "a")
    keys.learn(b"k2", "b")
    keys.learn(b"k3", "c")

    assert [keys.client_for(k) for k in (b"k1", b"k2", b"k3")] == [None, "b", "c"]


def test_the_throttled_counter_has_a_series_per_group_from_the_start() -> None:
    registry = CollectorRegistry()
    counter = throttled_counter(registry)
    counter.labels("inbound").inc()

    assert registry.get_sample_value("distsync_api_throttled_total", {"group": "inbound"}) == 1
    assert registry.get_sample_value("distsync_api_throttled_total", {"group": "ops"}) == 0


def test_the_api_section_reads_rates_as_people_write_them() -> None:
    policy = ApiPolicy.model_validate(
        {
            "max_body_bytes": {"inbound": 5_242_880},
            "rate_limits": {"groups": {"ops": {"rate": "1200/h", "burst": 5}}, "enabled": False},
        }
    )

    assert policy.body_limit("inbound", 1_048_576) == 5_242_880
    assert policy.body_limit("sync", 1_048_576) == 1_048_576
    assert policy.body_limit(None, 1_048_576) == 1_048_576
    assert policy.rate_limits.groups["ops"].rate == pytest.approx(1 / 3)
    assert policy.rate_limits.enabled is False


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rate_limits": {"groups": {"inbound": {"rate": "fast", "burst": 1}}}}, "rate"),
        ({"rate_limits": {"groups": {"inbound": {"rate": "5/s", "burst": 0}}}}, "burst"),
        ({"rate_limits": {"groups": {"bulk": {"rate": "5/s", "burst": 1}}}}, "bulk"),
        ({"rate_limits": {"default": {"rate": "5/s", "burst": 1, "extra": 1}}}, "extra"),
        ({"max_body_bytes": {"inbound": 10}}, "inbound"),
    ],
)
def test_a_wrong_api_section_is_refused_naming_the_field(data: object, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        ApiPolicy.model_validate(data)
