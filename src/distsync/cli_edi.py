"""``distsync edi``: read, check, write and acknowledge X12 files from the command line.

- ``parse FILE``: the envelopes and sets of a file (``--json``: every set
  mapped to its canonical document, or its problems);
- ``validate FILE``: every problem, located; exit 1 when there is an error;
- ``render --set 850 --partner NAME DOC.json``: a canonical document as the
  interchange that partner gets (its delimiters, version, ids; control
  numbers from the landscape's persistent counters);
- ``ack FILE``: the 997 or 999 for a received file.

Partners are found in the landscape by their ISA sender id; their profile
pins versions and map versions (``partners.<name>.x12``).
"""

from __future__ import annotations

import hashlib
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from distsync import cli_render as render
from distsync import cli_render_x12 as x12_render
from distsync.bootstrap import Services
from distsync.cli_ops import CommandRefused, Json, run, session
from distsync.config import Landscape
from distsync.formats.x12.ack import acknowledgement_interchange, by_set
from distsync.formats.x12.decode import encode
from distsync.formats.x12.envelope import Interchange, TransactionSet
from distsync.formats.x12.inspect import InspectedSet, Inspection, OptionsFor, inspect
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.support import version_family
from distsync.partners import x12_out
from distsync.x12_partners import map_options, partner_name, partner_x12

edi_app = typer.Typer(help="Read, check, write and acknowledge X12 EDI.", no_args_is_help=True)

File = Annotated[Path, typer.Argument(help="An X12 file (- for standard input).", allow_dash=True)]


def read_file(path: Path) -> bytes:
    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandRefused(f"reading {path}: {exc.strerror or exc}") from exc


def options_for(landscape: Landscape) -> OptionsFor:
    """Map options for a received set: its version, and the sender's profile for the set."""

    def options(transaction: TransactionSet) -> MapOptions:
        identity = partner_x12(landscape, transaction.interchange.sender())
        version = version_family(transaction.group.version) or "004010"
        return map_options(identity, transaction.set_id, version)

    return options


def inspected(ctx: typer.Context, path: Path, *, mapping: bool = True) -> Inspection:
    landscape = session(ctx).landscape()
    return inspect(read_file(path), options_for(landscape), mapping=mapping)


@edi_app.command("parse")
def parse(ctx: typer.Context, file: File, as_json: Json = False) -> None:
    """Show a file's interchanges, groups and sets (--json: their canonical documents)."""
    found = inspected(ctx, file, mapping=as_json)
    if as_json:
        render.emit_json([_set_json(s) for s in found.sets])
    else:
        x12_render.summary(found)


@edi_app.command("validate")
def validate(ctx: typer.Context, file: File, as_json: Json = False) -> None:
    """Check a file: envelopes, each set against its map, the mapping; exit 1 on any error."""
    found = inspected(ctx, file)
    if as_json:
        render.emit_json(found.problems)
    else:
        x12_render.problems(found.problems)
    raise typer.Exit(1 if found.errors else 0)


@edi_app.command("render")
def render_document(
    ctx: typer.Context,
    document: Annotated[Path, typer.Argument(help="A canonical document (JSON).")],
    set_id: Annotated[str, typer.Option("--set", help="Transaction set, e.g. 850.")],
    partner: Annotated[str, typer.Option("--partner", help="The partner's name in the landscape.")],
) -> None:
    """Write a canonical document as the X12 interchange the partner receives."""
    text = run(ctx, lambda s: _render(s, read_file(document), set_id, partner))
    sys.stdout.write(text)


@edi_app.command("ack")
def acknowledge(
    ctx: typer.Context,
    file: File,
    kind: Annotated[
        str | None, typer.Option("--format", help="997 or 999 (default: the partner's).")
    ] = None,
) -> None:
    """Write the 997/999 for a received file (one interchange back per interchange read)."""
    data = read_file(file)
    texts = run(ctx, lambda s: _acknowledge(s, data, kind))
    if not texts:
        render.print_warning("nothing to acknowledge (acknowledgements are not acknowledged)")
    for text in texts:
        sys.stdout.buffer.write(text)


async def _render(services: Services, raw: bytes, set_id: str, partner_name: str) -> str:
    key = f"render:{set_id}:" + hashlib.sha256(raw).hexdigest()
    rendered = await x12_out.render_document(
        services.landscape, services.backend, partner_name, set_id, raw, key=key,
        at=datetime.now(UTC),
    )  # fmt: skip
    return rendered.text


async def _acknowledge(services: Services, data: bytes, kind: str | None) -> list[bytes]:
    found = inspect(data, options_for(services.landscape))
    texts = []
    for interchange in found.reader.interchanges:
        text = await _acknowledge_one(services, found, interchange, kind)
        if text is not None:
            texts.append(encode(text, found.reader.encoding))
    return texts


async def _acknowledge_one(
    services: Services, found: Inspection, interchange: Interchange, kind: str | None
) -> str | None:
    mine = [s for s in found.sets if s.transaction.interchange is interchange]
    partner = partner_x12(services.landscape, interchange.sender())
    # the same counters as the documents and acks distsync itself sends this partner
    sender = partner_name(services.landscape, interchange.sender()) or "/".join(
        interchange.sender()
    )
    key = f"ack:{sender}:{interchange.control}"
    controls = await x12_out.assign_controls(services.backend, sender, key)
    return acknowledgement_interchange(
        interchange,
        by_set(p for s in mine for p in s.problems),
        kind=kind or (partner.acknowledgement if partner else "997"),
        controls=controls,
        at=datetime.now(UTC),
        transactions=[s.transaction for s in mine],
    )


def _set_json(item: InspectedSet) -> dict[str, object]:
    t = item.transaction
    return {
        "interchange": t.interchange.control,
        "group": t.group.control,
        "set": t.set_id,
        "control": t.control,
        "document": None if item.document is None else item.document.model_dump(mode="json"),
        "problems": render.jsonable(item.problems),
    }
