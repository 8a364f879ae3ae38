"""``distsync auth`` against a landscape in a temporary folder.

Most commands run in-process through ``typer.testing.CliRunner`` (a
``distsync`` process costs seconds to start here); the launcher adds
``auth_app`` to a root app with the same ``--landscape`` option and error
handling as ``cli.py``. One test runs the real command as a subprocess.
What the commands create is then used the way a server would: the printed
token verified with the key ring, the printed API key checked against the
store.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jwt
import pytest
import typer
from typer.testing import CliRunner

from distsync.api.auth import local_tokens
from distsync.api.auth_api_keys import ApiKeys
from distsync.api.principal import Principal, Unauthenticated
from distsync.bootstrap import build
from distsync.cli_auth import auth_app, security_of
from distsync.cli_ops import Session
from distsync.config import Landscape
from distsync.errors import DistsyncError
from distsync.landscape import load_landscape
from distsync.model.envelope import utcnow
from tests import secret_scan

LANDSCAPE = """\
runtime:
  database: var/distsync.sqlite
partners:
  acme: {kind: supplier}
security:
  token_ttl_seconds: 600
  key_lead_seconds: 120
  clients:
    acme-portal:
      client_secret_env: ACME_CLIENT_SECRET
      scopes: [inbound:write, ops:read]
      partner: acme
"""
WITHOUT_SECURITY = "runtime:\n  database: var/distsync.sqlite\n"
LAUNCH = """\
from distsync import cli
from distsync.cli_auth import auth_app
if "auth" not in {group.name for group in cli.app.registered_groups}:
    cli.app.add_typer(auth_app, name="auth")
cli.main()
"""

root = typer.Typer(no_args_is_help=True)
root.add_typer(auth_app, name="auth")


@root.callback()
def options(ctx: typer.Context, landscape: Annotated[Path, typer.Option("-l")]) -> None:
    ctx.obj = Session(landscape)


def _security_section_is_wired() -> bool:
    try:
        load = Landscape.model_validate({"security": {}})
    except ValueError:
        return False
    return getattr(load, "security", None) is not None


needs_security = pytest.mark.skipif(
    not _security_section_is_wired(), reason="Landscape has no security section yet"
)


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


Cli = Callable[..., Outcome]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    (tmp_path / "landscape.yaml").write_text(LANDSCAPE, encoding="utf-8")
    (tmp_path / "bare.yaml").write_text(WITHOUT_SECURITY, encoding="utf-8")

    def invoke(*args: str, landscape: str = "landscape.yaml") -> Outcome:
        result = CliRunner().invoke(root, ["-l", str(tmp_path / landscape), "auth", *args])
        if isinstance(result.exception, DistsyncError):
            return Outcome(1, result.stdout, f"error: {result.exception}")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return invoke


def ok(outcome: Outcome) -> str:
    assert outcome.code == 0, outcome.stderr
    return outcome.stdout


def the_landscape(tmp_path: Path) -> Landscape:
    return load_landscape(tmp_path / "landscape.yaml", {})


def check_api_key(tmp_path: Path, key: str) -> Principal:
    async def check() -> Principal:
        services = build(the_landscape(tmp_path))
        try:
            keys = ApiKeys(services.backend, writer=None, clock=utcnow, cache_seconds=0)
            return await keys.authenticate(key)
        finally:
            await services.close()

    return asyncio.run(check())


@needs_security
def test_keys_are_created_rotated_and_listed_with_their_states(cli: Cli) -> None:
    created = ok(cli("keys", "init"))
    assert "it signs from now" in created
    assert "already holds a key ring" in cli("keys", "init").stderr
    rotated = ok(cli("keys", "rotate"))
    assert "published key" in rotated
    listed = ok(cli("keys", "list", "--json"))
    states = [key["state"] for key in _json(listed)]
    assert states == ["signing", "next"]
    assert "signing" in ok(cli("keys", "list"))


@needs_security
def test_a_missing_key_ring_says_how_to_create_it(cli: Cli) -> None:
    refused = cli("keys", "list")
    assert refused.code == 1
    assert "run `distsync auth keys init`" in refused.stderr


@needs_security
def test_a_printed_token_verifies_as_the_client(cli: Cli, tmp_path: Path) -> None:
    ok(cli("keys", "init"))
    token = ok(cli("token", "acme-portal", "--scope", "ops:read")).strip()
    secret_scan.expect_shown(token)
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    security = security_of(the_landscape(tmp_path))
    principal = local_tokens(security, utcnow).verify(token)
    assert principal == Principal("acme-portal", frozenset({"ops:read"}), "acme", "jwt")
    unknown = cli("token", "nobody")
    assert unknown.stderr == "error: security.clients has no client 'nobody' (it has: acme-portal)"
    wider = cli("token", "acme-portal", "--scope", "admin")
    assert "may not have ['admin']" in wider.stderr


@needs_security
def test_an_api_key_is_shown_once_works_and_stops_working_when_revoked(
    cli: Cli, tmp_path: Path
) -> None:
    created = cli("api-key", "create", "--partner", "acme", "--scope", "ops:read", "--label", "bot")
    key = ok(created).strip().splitlines()[-1]
    secret_scan.expect_shown(key)
    assert key.startswith("dsk_")
    assert "shown only now" in created.stderr
    assert check_api_key(tmp_path, key).partner == "acme"
    listed = _json(ok(cli("api-key", "list", "--json")))
    assert [(k["partner"], k["scopes"], k["label"], k["revoked_at"]) for k in listed] == [
        ("acme", ["ops:read"], "bot", None)
    ]
    assert key not in str(listed)
    key_id = listed[0]["key_id"]
    assert f"revoked API key {key_id}" in ok(cli("api-key", "revoke", key_id))
    assert _json(ok(cli("api-key", "list", "--json")))[0]["revoked_at"] is not None
    with pytest.raises(Unauthenticated, match="is revoked"):
        check_api_key(tmp_path, key)


@needs_security
def test_api_key_creation_checks_partner_and_scopes(cli: Cli) -> None:
    partner = cli("api-key", "create", "--partner", "acmee", "--scope", "ops:read")
    assert "declares no partner 'acmee'; did you mean 'acme'?" in partner.stderr
    scope = cli("api-key", "create", "--partner", "acme", "--scope", "ops:write")
    assert "unknown scopes ['ops:write']" in scope.stderr
    assert "no such key" in cli("api-key", "revoke", "0123abcd").stderr


def test_without_a_security_section_the_commands_say_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "bare.yaml").write_text(WITHOUT_SECURITY, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", LAUNCH, "-l", "bare.yaml", "auth", "keys", "list"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: the landscape has no security section: add one (see docs/security.md)"
    )


def _json(text: str) -> Any:
    return json.loads(text)
