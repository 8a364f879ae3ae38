"""The Tryton sandbox's template database: built once, cached on disk, cloned per use.

Building takes about 20-30 s: ``trytond-admin -u purchase purchase_amendment sale
sale_credit_limit --activate-dependencies`` on an empty SQLite file, then a server on it for
the master data of :mod:`distsync.erp.tryton_seed`. The result is kept in
the cache folder (``$DISTSYNC_TRYTON_CACHE``, else
``$XDG_CACHE_HOME/distsync/tryton``, else ``~/.cache/distsync/tryton``)
under a key made of the installed trytond module versions and
:data:`SEED_VERSION`, so an upgrade or a change of the seed builds a new
one. A file lock lets concurrent processes (tests, a benchmark) share one
build. Every sandbox then copies the template with the SQLite backup API
(about 15 ms).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from distsync.connectors.tryton_rpc import TrytonRpc, map_errors
from distsync.erp.tryton_process import TrytonHome, TrytonServer, TrytonUnavailable, clone_database
from distsync.erp.tryton_seed import seed
from distsync.errors import DistsyncError

__all__ = [
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "ADMIN_USER",
    "MODULES",
    "SEED_VERSION",
    "cache_root",
    "ensure_template",
    "template_key",
]

MODULES = ("purchase", "purchase_amendment", "sale", "sale_credit_limit")
SEED_VERSION = 2
ADMIN_USER = "admin"
ADMIN_PASSWORD = "distsync-sandbox"
ADMIN_EMAIL = "admin@sandbox.invalid"
TEMPLATE_DB = "template"
DISTRIBUTIONS = (
    "trytond", "trytond-account", "trytond-account-credit-limit", "trytond-account-invoice",
    "trytond-company", "trytond-currency", "trytond-party", "trytond-product", "trytond-purchase",
    "trytond-purchase-amendment", "trytond-purchase-history", "trytond-sale",
    "trytond-sale-credit-limit", "trytond-stock",
)  # fmt: skip


def cache_root() -> Path:
    """Where templates are cached (see the module docstring)."""
    explicit = os.environ.get("DISTSYNC_TRYTON_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "distsync" / "tryton"


def template_key() -> str:
    """``trytond-<version>-<digest>``: changes with any module version or the seed."""
    try:
        versions = [f"{name}={metadata.version(name)}" for name in DISTRIBUTIONS]
    except metadata.PackageNotFoundError as exc:
        raise TrytonUnavailable(
            f"{exc.name} is not installed: pip install 'distsync[tryton]'"
        ) from exc
    digest = hashlib.sha256(";".join([*versions, f"seed={SEED_VERSION}"]).encode()).hexdigest()
    return f"trytond-{metadata.version('trytond')}-{digest[:12]}"


def ensure_template(cache: Path | None = None) -> Path:
    """The cached template database, built first when missing."""
    folder = (cache or cache_root()) / template_key()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{TEMPLATE_DB}.sqlite"
    with _locked(folder / ".lock"):
        if not target.exists():
            _build(folder, target)
    return target


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(folder: Path, target: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="build-", dir=folder))
    try:
        home = TrytonHome(work, ADMIN_PASSWORD)
        home.prepare()
        home.initialise(TEMPLATE_DB, MODULES, email=ADMIN_EMAIL)
        _seed_through_a_server(home)
        partial = target.with_suffix(".partial")
        clone_database(home.database_file(TEMPLATE_DB), partial)
        partial.replace(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _seed_through_a_server(home: TrytonHome) -> None:
    server = TrytonServer(home, TEMPLATE_DB)
    server.start()
    try:
        rpc = TrytonRpc(
            url=server.url, database=TEMPLATE_DB, user=ADMIN_USER, password=ADMIN_PASSWORD
        )
        try:
            with map_errors("seeding the Tryton template"):
                seed(rpc)
        except DistsyncError as exc:
            raise TrytonUnavailable(f"{exc}; server log: {server.log_tail()}") from exc
        finally:
            rpc.close()
    finally:
        server.stop()
