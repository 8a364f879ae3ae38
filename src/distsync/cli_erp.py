"""``distsync erp``: a local ERP to try distsync with.

``distsync erp sandbox [--port P] [--dir D] [--fresh]`` starts a Tryton
server on 127.0.0.1 with the sandbox's company, warehouse, suppliers,
customers and products (see ``docs/erp-tryton.md``), prints how to reach it
and what to put in a landscape file, and runs until Ctrl-C. The first start
builds the cached template (about half a minute); later ones take a second.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from distsync.erp.sandbox import TrytonSandbox
from distsync.erp.tryton_process import TrytonUnavailable

__all__ = ["erp_app"]

erp_app = typer.Typer(help="A local ERP (Tryton) to try distsync with.", no_args_is_help=True)

PASSWORD_VARIABLE = "ERP_PASSWORD"


@erp_app.command("sandbox")
def sandbox(
    port: Annotated[
        int | None, typer.Option("--port", "-p", help="Port on 127.0.0.1 (default: a free one).")
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", "-d", help="Keep the database here between runs (default: a temporary folder)."
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start from the template even if --dir has a database.")
    ] = False,
) -> None:
    """Start a local Tryton with sample master data and keep it running until Ctrl-C."""
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    erp = TrytonSandbox(directory=directory, port=port, fresh=fresh)
    typer.echo("Starting Tryton (the first start builds the template: about half a minute)...")
    try:
        erp.start()
    except TrytonUnavailable as exc:
        typer.secho(f"distsync erp sandbox: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    try:
        _describe(erp)
        _wait(erp)
    except KeyboardInterrupt:
        typer.echo("\nStopping Tryton.")
    finally:
        erp.stop()


def _describe(erp: TrytonSandbox) -> None:
    typer.echo(
        f"Tryton is running.\n"
        f"  url:       {erp.url}\n"
        f"  database:  {erp.database}\n"
        f"  user:      {erp.user}\n"
        f"  password:  {erp.password}\n"
        f"  warehouse: {erp.warehouse}\n"
        f"  data:      {erp.database_file}\n"
        f"\nIn a landscape file (export {PASSWORD_VARIABLE}={erp.password}):\n"
        f"  systems:\n"
        f"    erp: {{type: tryton, url: {erp.url}, database: {erp.database}, user: {erp.user}, "
        f"password_env: {PASSWORD_VARIABLE}, warehouse: {erp.warehouse}}}\n"
        f"\nPress Ctrl-C to stop."
    )


def _wait(erp: TrytonSandbox) -> None:
    while True:
        time.sleep(1)
        if not erp.server.running():
            typer.secho("Tryton has stopped:\n" + erp.server.log_tail(), fg=typer.colors.RED)
            raise typer.Exit(1)
