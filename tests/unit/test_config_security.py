"""The ``security`` section: defaults, paths, secrets by reference, scopes and partners."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from distsync.api.principal import SCOPES
from distsync.config_security import SCOPE_NAMES, SecurityConfig, check_partners
from distsync.errors import ConfigError
from distsync.redaction import redact


def security(tmp_path: Path, **data: Any) -> SecurityConfig:
    return SecurityConfig.model_validate(data, context={"base_dir": tmp_path})


def test_the_scope_names_of_the_config_are_the_scopes_the_api_checks() -> None:
    assert frozenset(SCOPES) == SCOPE_NAMES


def test_defaults_sign_for_distsync_with_keys_beside_the_landscape(tmp_path: Path) -> None:
    config = security(tmp_path)
    assert (config.issuer, config.audience, config.token_ttl_seconds) == (
        "distsync",
        "distsync",
        900,
    )
    assert config.keys_dir == tmp_path / "var" / "keys"
    assert (config.key_lead_seconds, config.api_keys, config.clients) == (300, True, {})


def test_a_client_secret_written_into_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        security(
            tmp_path, clients={"acme-portal": {"client_secret": "s3cret!", "scopes": ["admin"]}}
        )
    assert "use client_secret_env or client_secret_file" in str(caught.value)
    assert "clients.acme-portal" in str(caught.value)


def test_a_client_needs_exactly_one_secret_source(tmp_path: Path) -> None:
    both = {"client_secret_env": "A", "client_secret_file": "s.txt", "scopes": ["admin"]}
    for client in (both, {"scopes": ["admin"]}):
        with pytest.raises(
            ValidationError, match="exactly one of client_secret_env or client_secret_file"
        ):
            security(tmp_path, clients={"ops": client})


def test_an_unknown_scope_is_refused_naming_the_client(tmp_path: Path) -> None:
    client = {"client_secret_env": "OPS_SECRET", "scopes": ["ops:read", "ops:write"]}
    with pytest.raises(ValidationError) as caught:
        security(tmp_path, clients={"ops": client})
    assert "clients.ops.scopes.1" in str(caught.value)
    assert "'ops:replay'" in str(caught.value)


def test_token_lifetime_is_bounded(tmp_path: Path) -> None:
    for ttl in (59, 86_401):
        with pytest.raises(ValidationError, match="token_ttl_seconds"):
            security(tmp_path, token_ttl_seconds=ttl)


def test_a_secret_is_read_from_its_variable_and_redacted_afterwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_CLIENT_SECRET", "acme-very-secret-42")
    client = {
        "client_secret_env": "ACME_CLIENT_SECRET",
        "scopes": ["inbound:write"],
        "partner": "acme",
    }
    config = security(tmp_path, clients={"acme-portal": client})
    assert config.clients["acme-portal"].secret() == "acme-very-secret-42"
    assert redact("secret=acme-very-secret-42") == "secret=[redacted]"


def test_a_secret_file_is_relative_to_the_landscape_folder(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "ops.txt").write_text("ops-file-secret-7\n", encoding="utf-8")
    config = security(
        tmp_path, clients={"ops": {"client_secret_file": "secrets/ops.txt", "scopes": ["ops:read"]}}
    )
    assert config.clients["ops"].secret() == "ops-file-secret-7"


def test_a_missing_secret_names_the_variable_or_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    config = security(
        tmp_path,
        clients={
            "a": {"client_secret_env": "NOT_SET_ANYWHERE", "scopes": ["admin"]},
            "b": {"client_secret_file": "missing.txt", "scopes": ["admin"]},
        },
    )
    with pytest.raises(ConfigError, match="environment variable NOT_SET_ANYWHERE"):
        config.clients["a"].secret()
    with pytest.raises(ConfigError, match=r"reading client_secret from .*missing\.txt"):
        config.clients["b"].secret()


def test_a_client_partner_must_be_a_declared_partner(tmp_path: Path) -> None:
    clients = {
        "acme-portal": {"client_secret_env": "X1", "scopes": ["inbound:write"], "partner": "acme"},
        "zeta-portal": {"client_secret_env": "X2", "scopes": ["inbound:write"], "partner": "zeta"},
        "ops": {"client_secret_env": "X3", "scopes": ["ops:read"]},
    }
    config = security(tmp_path, clients=clients)
    assert check_partners(config, ["acme", "globex"]) == [
        "security.clients.zeta-portal.partner names zeta, which is not a partner "
        "(declared: acme, globex)"
    ]


def test_external_issuers_must_not_reuse_our_issuer_name(tmp_path: Path) -> None:
    external = {"issuer": "distsync", "jwks_url": "http://127.0.0.1:9400/jwks"}
    with pytest.raises(ValidationError, match="is our own issuer name"):
        security(tmp_path, external_issuers=[external])
    with pytest.raises(ValidationError, match="jwks_url"):
        security(tmp_path, external_issuers=[{"issuer": "idp", "jwks_url": "jwks.json"}])
