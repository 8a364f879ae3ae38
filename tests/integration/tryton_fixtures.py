"""Fixtures for tests against a real Tryton server (re-exported by this folder's conftest).

- ``tryton_template``: the sandbox template, built once per machine and cached
  (``$DISTSYNC_TRYTON_CACHE`` or ``~/.cache/distsync/tryton``); about 20-30 s
  the first time, nothing after.
- ``tryton``: per test, a copy of the template (SQLite backup API) served by
  its own ``trytond`` on a free 127.0.0.1 port, stopped after the test.
- ``erp``: a connected :class:`TrytonConnector` on that server.

Without trytond (or when it cannot start) the tests skip, except under
``CI=true`` where they fail: CI installs Tryton through the dev extras.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from distsync.connectors.tryton import TrytonConfig, TrytonConnector
from distsync.erp.sandbox import TrytonSandbox
from distsync.erp.tryton_process import TrytonUnavailable
from distsync.erp.tryton_template import ensure_template

__all__ = ["erp", "make_connector", "tryton", "tryton_template"]


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Tryton is required under CI=true: {reason}")
    pytest.skip(f"Tryton is not available: {reason}")


@pytest.fixture(scope="session")
def tryton_template() -> Path:
    try:
        return ensure_template()
    except TrytonUnavailable as exc:
        _unavailable(str(exc))


@pytest.fixture
def tryton(tryton_template: Path, tmp_path: Path) -> Iterator[TrytonSandbox]:
    sandbox = TrytonSandbox(directory=tmp_path / "tryton")
    try:
        sandbox.start()
    except TrytonUnavailable as exc:
        _unavailable(str(exc))
    try:
        yield sandbox
    finally:
        sandbox.stop()


def make_connector(
    sandbox: TrytonSandbox,
    *,
    timeout_seconds: float = 30.0,
    settle_seconds: float = 0.0,
    password: str | None = None,
) -> TrytonConnector:
    """A connector on the sandbox (not connected yet)."""
    config = TrytonConfig(
        url=sandbox.url,
        database=sandbox.database,
        user=sandbox.user,
        password_env="DISTSYNC_TEST_TRYTON_PASSWORD",
        timeout_seconds=timeout_seconds,
        warehouse=sandbox.warehouse,
        poll_settle_seconds=settle_seconds,
    )
    secret = sandbox.password if password is None else password
    return TrytonConnector("erp", config, password=lambda: secret)


@pytest.fixture
async def erp(tryton: TrytonSandbox) -> AsyncIterator[TrytonConnector]:
    connector = make_connector(tryton)
    await connector.connect()
    try:
        yield connector
    finally:
        await connector.close()
