"""A local Tryton ERP for tests, the demo and people trying distsync.

::

    with TrytonSandbox() as erp:
        print(erp.url, erp.database, erp.user, erp.password)

On entry the sandbox makes sure the cached template exists (see
:mod:`distsync.erp.tryton_template`; the first build takes about half a
minute), copies it into its folder as database ``distsync`` with the SQLite
backup API, and starts ``trytond`` on a free 127.0.0.1 port (or ``port``).
On exit it stops the server and, when it made the folder itself, deletes it.
Given a ``directory`` that already holds the database, the sandbox keeps
using it, so data entered in an earlier run is still there; pass
``fresh=True`` to start again from the template.

The master data it holds (company, warehouse ``WH-EAST``, suppliers,
customers, products) is described in :mod:`distsync.erp.tryton_seed` and
``docs/erp-tryton.md``. The server only listens on 127.0.0.1 and the
password is a fixed, published one: a sandbox, not a place for real data.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from distsync.erp.tryton_process import TrytonHome, TrytonServer, clone_database
from distsync.erp.tryton_seed import WAREHOUSE_CODE
from distsync.erp.tryton_template import ADMIN_PASSWORD, ADMIN_USER, ensure_template

__all__ = ["DATABASE", "TrytonSandbox"]

DATABASE = "distsync"


class TrytonSandbox:
    """A running Tryton server on a copy of the sandbox template (see the module docstring)."""

    user = ADMIN_USER
    password = ADMIN_PASSWORD
    warehouse = WAREHOUSE_CODE

    def __init__(
        self,
        *,
        directory: Path | None = None,
        port: int | None = None,
        database: str = DATABASE,
        fresh: bool = False,
        cache: Path | None = None,
    ) -> None:
        self.database = database
        self._directory = directory
        self._port = port
        self._fresh = fresh
        self._cache = cache
        self._made_directory: Path | None = None
        self._server: TrytonServer | None = None

    @property
    def server(self) -> TrytonServer:
        """The running server (kill and restart it in crash tests)."""
        if self._server is None:
            raise RuntimeError("the Tryton sandbox is not running")
        return self._server

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def database_file(self) -> Path:
        return self.server.home.database_file(self.database)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Copy the template when needed and start the server."""
        template = ensure_template(self._cache)
        root = self._directory
        if root is None:
            root = self._made_directory = Path(tempfile.mkdtemp(prefix="distsync-tryton-"))
        home = TrytonHome(root, ADMIN_PASSWORD)
        home.prepare()
        if self._fresh or not home.database_file(self.database).exists():
            clone_database(template, home.database_file(self.database))
        self._server = TrytonServer(home, self.database, port=self._port)
        try:
            self._server.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server; delete the folder if the sandbox made it."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        made, self._made_directory = self._made_directory, None
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)

    def restart(self) -> None:
        """Start the server again on the same database and port (after a kill)."""
        self.server.stop()
        self.server.start()
