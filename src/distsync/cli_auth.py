"""``distsync auth``: signing keys, API keys and test tokens for the HTTP API.

``keys init|rotate|list`` manage the key ring in ``security.signing_keys_dir``
(``api/auth_keys.py`` explains the life cycle: a rotated key is published at
once and signs ``key_lead_seconds`` later). ``api-key create|list|revoke``
manage API keys in the landscape's database; a new key is printed once and
never again. ``token CLIENT_ID`` prints an access token for a configured
client, signed with the current key, for trying the API with curl.

Every command needs the landscape's ``security`` section and says so when it
is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from distsync import cli_render as render
from distsync.api.auth import local_tokens
from distsync.api.auth_api_keys import ApiKeyRecord, ApiKeys, CreatedApiKey
from distsync.api.auth_keys import KeyRing
from distsync.bootstrap import Services
from distsync.cli_ops import Actor, CommandRefused, Json, run, session
from distsync.cli_xref import declared
from distsync.config import Landscape
from distsync.config_security import SCOPE_NAMES, SecurityConfig
from distsync.model.envelope import utcnow

auth_app = typer.Typer(help="Authentication: signing keys, API keys, tokens.", no_args_is_help=True)
keys_app = typer.Typer(help="The key ring that signs access tokens.", no_args_is_help=True)
api_key_app = typer.Typer(help="API keys for simple partners.", no_args_is_help=True)
auth_app.add_typer(keys_app, name="keys")
auth_app.add_typer(api_key_app, name="api-key")

Scopes = Annotated[
    list[str], typer.Option("--scope", "-s", help=f"One of {', '.join(sorted(SCOPE_NAMES))}.")
]
NarrowedScopes = Annotated[
    list[str] | None, typer.Option("--scope", "-s", help="Fewer scopes than the client has.")
]
PartnerOption = Annotated[
    str | None, typer.Option("--partner", "-p", help="The partner it acts as; none: internal.")
]
Label = Annotated[str, typer.Option("--label", help="What the key is for.")]
KeyId = Annotated[str, typer.Argument(help="The key id (the part after dsk_).")]
ClientId = Annotated[str, typer.Argument(help="A client of security.clients.")]


def security_of(landscape: Landscape) -> SecurityConfig:
    """The landscape's ``security`` section, or a refusal that says how to add one."""
    security = landscape.security
    if not isinstance(security, SecurityConfig):
        raise CommandRefused(
            "the landscape has no security section: add one (see docs/security.md)"
        )
    return security


def key_ring(ctx: typer.Context) -> KeyRing:
    return local_tokens(security_of(session(ctx).landscape()), utcnow).ring


# -- keys ---------------------------------------------------------------------------


@keys_app.command("init")
def init_keys(ctx: typer.Context) -> None:
    """Create the key ring and its first key, which signs at once."""
    ring = key_ring(ctx)
    record = ring.init()
    render.say(f"created key {record.kid} in {ring.folder}; it signs from now")


@keys_app.command("rotate")
def rotate_keys(ctx: typer.Context) -> None:
    """Publish the next key; it starts signing key_lead_seconds from now."""
    record = key_ring(ctx).rotate()
    render.say(f"published key {record.kid}; it signs from {render.when(record.signs_from)}")


@keys_app.command("list")
def list_keys(ctx: typer.Context, as_json: Json = False) -> None:
    """Every key of the ring with its state: next, signing, retired or expired."""
    ring = key_ring(ctx)
    rows = [(record, ring.state_of(record)) for record in ring.records()]
    if as_json:
        render.emit_json([{"state": state, **render.jsonable(record)} for record, state in rows])
        return
    table = Table("kid", "state", "created", "signs from", "retired")
    for record, state in rows:
        times = (record.created_at, record.signs_from, record.retired_at)
        table.add_row(Text(record.kid), state, *(render.when(t) for t in times))
    render.console().print(table)


# -- API keys -------------------------------------------------------------------------


def with_api_keys(services: Services) -> ApiKeys:
    security = security_of(services.landscape)
    if not security.api_keys:
        raise CommandRefused("security.api_keys is false: API keys are turned off")
    backend = services.backend
    return ApiKeys(backend, writer=backend, clock=services.clock)


@api_key_app.command("create")
def create_api_key(
    ctx: typer.Context,
    scopes: Scopes,
    partner: PartnerOption = None,
    label: Label = "",
    by: Actor = "cli",
    as_json: Json = False,
) -> None:
    """Create an API key and print it: it is shown this once and never again."""
    if unknown := sorted(set(scopes) - SCOPE_NAMES):
        raise CommandRefused(f"unknown scopes {unknown}: choose from {sorted(SCOPE_NAMES)}")
    if partner is not None:
        declared(session(ctx).landscape(), partner, "creating an API key")

    async def work(services: Services) -> CreatedApiKey:
        return await with_api_keys(services).create(
            partner=partner, scopes=scopes, label=label, by=by
        )

    created = run(ctx, work)
    if as_json:
        render.emit_json({"key": created.key, **_shown(created.record)})
        return
    render.print_warning("this key is shown only now: store it safely, it cannot be shown again")
    render.say(f"API key {created.record.key_id} for {partner or 'internal use'}:")
    typer.echo(created.key)


@api_key_app.command("list")
def list_api_keys(ctx: typer.Context, as_json: Json = False) -> None:
    """Every API key: id, partner, scopes, label, when created and revoked (never the key)."""
    found = run(ctx, lambda services: with_api_keys(services).list())
    if as_json:
        render.emit_json([_shown(record) for record in found])
        return
    table = Table("key id", "partner", "scopes", "label", "created", "by", "revoked")
    for r in found:
        table.add_row(
            Text(r.key_id), Text(r.partner or "-"), " ".join(r.scopes), Text(r.label),
            render.when(r.created_at), Text(r.created_by), render.when(r.revoked_at),
        )  # fmt: skip
    render.console().print(table)


@api_key_app.command("revoke")
def revoke_api_key(ctx: typer.Context, key_id: KeyId, by: Actor = "cli") -> None:
    """Revoke an API key: refused at once here, within seconds by running servers."""
    record = run(ctx, lambda services: with_api_keys(services).revoke(key_id, by=by))
    render.say(f"revoked API key {record.key_id} at {render.when(record.revoked_at)}")


# -- tokens ---------------------------------------------------------------------------


@auth_app.command("token")
def token(ctx: typer.Context, client_id: ClientId, scopes: NarrowedScopes = None) -> None:
    """Print an access token for a configured client (for curl: -H "Authorization: Bearer ...")."""
    security = security_of(session(ctx).landscape())
    client = security.clients.get(client_id)
    if client is None:
        known = ", ".join(sorted(security.clients)) or "none"
        raise CommandRefused(f"security.clients has no client {client_id!r} (it has: {known})")
    wanted = _narrowed(client_id, client.scopes, scopes)
    issued = local_tokens(security, utcnow).issue(client_id, wanted, client.partner)
    typer.echo(issued.access_token)


def _narrowed(client_id: str, allowed: Sequence[str], asked: list[str] | None) -> set[str]:
    if not asked:
        return set(allowed)
    if extra := sorted(set(asked) - set(allowed)):
        raise CommandRefused(f"client {client_id!r} may not have {extra}; it has {sorted(allowed)}")
    return set(asked)


def _shown(record: ApiKeyRecord) -> dict[str, object]:
    def moment(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "key_id": record.key_id,
        "partner": record.partner,
        "scopes": list(record.scopes),
        "label": record.label,
        "created_at": moment(record.created_at),
        "created_by": record.created_by,
        "revoked_at": moment(record.revoked_at),
    }
