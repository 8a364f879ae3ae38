"""The landscape models of ``distsync.config``, validated from plain data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from distsync.config import (
    Channel,
    Landscape,
    Partner,
    Settings,
    SystemConfig,
    build_landscape,
    default_landscape,
)
from distsync.errors import ConfigError

BASE = Path("/srv/distsync")


def errors(data: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        build_landscape(data, base_dir=BASE)
    return [(tuple(error["loc"]), error["msg"]) for error in caught.value.errors()]


def test_default_landscape_is_a_valid_embedded_landscape(tmp_path: Path) -> None:
    landscape = default_landscape(tmp_path)

    assert landscape.runtime.profile == "embedded"
    assert landscape.runtime.database_url == f"sqlite:///{tmp_path}/var/distsync.sqlite"
    assert Landscape.model_validate(landscape.model_dump()) == landscape


def test_runtime_defaults_match_the_documented_ones() -> None:
    runtime = default_landscape(BASE).runtime

    assert (runtime.batch_size, runtime.concurrency, runtime.lease_seconds) == (100, 4, 30)
    assert (runtime.max_payload_bytes, runtime.poll_interval_ms) == (1_048_576, 200)
    assert (runtime.http.host, runtime.http.port, runtime.log_level) == ("127.0.0.1", 8080, "info")
    assert runtime.retry.max_attempts == 8


@pytest.mark.parametrize(
    ("database", "url"),
    [
        ("state/ds.sqlite", "sqlite:////srv/distsync/state/ds.sqlite"),
        ("/var/lib/ds.sqlite", "sqlite:////var/lib/ds.sqlite"),
        ("sqlite:///state/ds.sqlite", "sqlite:////srv/distsync/state/ds.sqlite"),
        ("sqlite:////var/lib/ds.sqlite", "sqlite:////var/lib/ds.sqlite"),
    ],
)
def test_sqlite_database_becomes_an_absolute_sqlalchemy_url(database: str, url: str) -> None:
    landscape = build_landscape({"runtime": {"database": database}}, base_dir=BASE)

    assert landscape.runtime.database_url == url


def test_postgres_profile_keeps_its_url() -> None:
    url = "postgresql+psycopg://ds@127.0.0.1:5432/ds"
    runtime = {"profile": "postgres", "database": url}

    assert build_landscape({"runtime": runtime}, base_dir=BASE).runtime.database_url == url


def test_postgres_profile_refuses_a_sqlite_file() -> None:
    data = {"runtime": {"profile": "cluster", "database": "var/ds.sqlite"}}

    assert errors(data) == [
        (
            ("runtime", "database"),
            "Value error, profile cluster needs a postgresql database, not sqlite",
        )
    ]


@pytest.mark.parametrize(
    "runtime",
    [{"batch_size": 0}, {"batch_size": 10_001}, {"concurrency": 257}, {"lease_seconds": 3601}],
)
def test_runtime_numbers_stay_within_their_bounds(runtime: dict[str, int]) -> None:
    [(loc, _)] = errors({"runtime": runtime})

    assert loc == ("runtime", *runtime)


def test_subscription_policy_lays_overrides_over_the_runtime_defaults() -> None:
    settings = Settings.model_validate(
        {
            "concurrency": 6,
            "retry": {"max_attempts": 3, "base_seconds": 0.5, "cap_seconds": 60},
            "subscriptions": {"procure.asn": {"ordered": True, "retry": {"max_attempts": 5}}},
        }
    )

    asn = settings.subscription_policy("procure.asn")
    other = settings.subscription_policy("inventory.adjusted")

    assert (asn.ordered, asn.concurrency, asn.retry.max_attempts) == (True, 6, 5)
    assert (asn.retry.base_seconds, asn.retry.cap_seconds) == (0.5, 60)
    assert (other.ordered, other.retry) == (False, settings.retry)


@pytest.mark.parametrize(
    ("written", "per_second"),
    [("20/s", 20.0), ("600/min", 10.0), ("3600/h", 1.0), ("2.5 / sec", 2.5), (5, 5.0)],
)
def test_rate_limit_is_held_as_calls_per_second(written: str | int, per_second: float) -> None:
    system = SystemConfig.model_validate({"type": "tryton", "rate_limit": written})

    assert system.rate_limit == per_second


def test_system_collects_secret_references_and_type_specific_keys() -> None:
    landscape = build_landscape(
        {
            "systems": {
                "erp": {
                    "type": "tryton",
                    "database": "dist",
                    "verify_tls": False,
                    "password_env": "ERP_PASSWORD",
                    "cert_file": "certs/erp.pem",
                }
            }
        },
        base_dir=BASE,
    )

    erp = landscape.systems["erp"]
    assert erp.options == {"database": "dist", "verify_tls": False}
    assert erp.secret_env == {"password_env": "ERP_PASSWORD"}
    assert erp.secret_files == {"cert_file": "/srv/distsync/certs/erp.pem"}


def test_system_option_must_be_a_single_value() -> None:
    assert errors({"systems": {"erp": {"type": "tryton", "hosts": ["a", "b"]}}}) == [
        (
            ("systems", "erp", "options", "hosts"),
            "Value error, should be a single value: text, a number, or true/false",
        )
    ]


@pytest.mark.parametrize("key", ["password", "db_password", "access_token", "shop_api_key"])
def test_inline_secret_keys_are_refused_by_the_model(key: str) -> None:
    [(loc, message)] = errors({"systems": {"shop": {"type": "shopify", key: "s3cret"}}})

    assert loc == ("systems", "shop", "secret_env", key, "[key]")
    assert message.endswith(f"use {key}_env or {key}_file")


def test_secret_given_both_ways_is_refused() -> None:
    system = {"type": "tryton", "password_env": "P", "password_file": "p.txt"}

    [(loc, message)] = errors({"systems": {"erp": system}})

    assert loc == ("systems", "erp")
    assert "password_env or password_file, not both" in message


def test_secret_is_read_from_its_variable_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    system = SystemConfig.model_validate({"type": "tryton", "password_env": "DS_TEST_PW"})
    monkeypatch.setenv("DS_TEST_PW", "hunter2")

    assert system.secret("password") == "hunter2"


def test_secret_is_read_from_its_file_relative_to_the_landscape(tmp_path: Path) -> None:
    (tmp_path / "wms.token").write_text("tok-123\n", encoding="utf-8")
    data = {"type": "wms-rest", "token_file": "wms.token"}
    system = SystemConfig.model_validate(data, context={"base_dir": tmp_path})

    assert system.secret("token") == "tok-123"


def test_unset_or_undeclared_secret_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DS_TEST_UNSET", raising=False)
    system = SystemConfig.model_validate({"type": "tryton", "password_env": "DS_TEST_UNSET"})

    with pytest.raises(ConfigError, match="DS_TEST_UNSET"):
        system.secret("password")
    with pytest.raises(ConfigError, match="no token_env or token_file"):
        system.secret("token")


@pytest.mark.parametrize(
    ("channel", "needs"),
    [
        ({"transport": "as2"}, "as2_id"),
        ({"transport": "sftp"}, "url"),
        ({"transport": "directory"}, "path"),
    ],
)
def test_channel_needs_what_its_transport_needs(channel: dict[str, str], needs: str) -> None:
    with pytest.raises(ValidationError, match=f"needs {needs}"):
        Channel.model_validate(channel)


def test_directory_channel_path_is_relative_to_the_landscape() -> None:
    channel = Channel.model_validate(
        {"transport": "directory", "path": "inbox/acme"}, context={"base_dir": BASE}
    )

    assert channel.path == "/srv/distsync/inbox/acme"


def test_partner_exchanging_x12_needs_an_x12_identity() -> None:
    with pytest.raises(ValidationError, match="needs an x12 identity"):
        Partner.model_validate({"kind": "supplier", "sends": ["x12-856"]})


def test_partner_exchanging_json_needs_no_x12_identity() -> None:
    partner = Partner.model_validate({"kind": "channel", "receives": ["json-order", "csv-stock"]})

    assert partner.x12 is None


@pytest.mark.parametrize("document", ["x12-85", "X12-850", "edifact-orders", "json-"])
def test_partner_document_types_follow_the_pattern(document: str) -> None:
    with pytest.raises(ValidationError):
        Partner.model_validate({"kind": "channel", "sends": [document]})


@pytest.mark.parametrize(
    ("x12", "field"),
    [
        ({"qualifier": "Z", "id": "ACME", "version": "004010"}, "qualifier"),
        ({"qualifier": "ZZ", "id": "A" * 16, "version": "004010"}, "id"),
        ({"qualifier": 1, "id": "ACME", "version": "004010"}, "qualifier"),
    ],
)
def test_x12_identity_is_checked(x12: dict[str, Any], field: str) -> None:
    [(loc, _)] = errors({"partners": {"acme": {"kind": "supplier", "x12": x12}}})

    assert loc == ("partners", "acme", "x12", field)


def test_procure_policy_refuses_negative_and_true_false_values() -> None:
    procure = {"asn_qty_tolerance_pct": -1, "po_wait_minutes": True}

    assert [loc for loc, _ in errors({"flows": {"procure": procure}})] == [
        ("flows", "procure", "asn_qty_tolerance_pct"),
        ("flows", "procure", "po_wait_minutes"),
    ]


def test_other_flows_keep_their_plain_values() -> None:
    flows = {"order_to_cash": {"allocation": "fifo", "hold_hours": 4, "partial": True}}

    landscape = build_landscape({"flows": flows}, base_dir=BASE)

    assert landscape.flows.model_extra == flows
    assert landscape.flows.procure.ack_deadline_hours == 24


def test_landscape_models_are_frozen() -> None:
    landscape = default_landscape(BASE)

    with pytest.raises(ValidationError):
        landscape.runtime.batch_size = 5  # type: ignore[misc]
