"""Shared by the supplier and 3PL simulator tests: interchanges in, answers read back."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from distsync.formats.x12.delimiters import Delimiters
from distsync.formats.x12.inspect import InspectedSet, inspect
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.registry import map_for
from distsync.formats.x12.writer import DEFAULT_DELIMITERS, Envelope, Party
from distsync.testing_http import HttpEndpointSimulator, RecordedRequest

NORTHWIND = Party("ZZ", "NORTHWIND")
NOW = datetime(2024, 5, 10, 15, 30, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


def interchange(
    set_id: str,
    document: BaseModel,
    to: Party,
    *,
    version: str = "004010",
    delimiters: Delimiters = DEFAULT_DELIMITERS,
    options: MapOptions | None = None,
    control: int = 17,
) -> bytes:
    """``document`` as the distributor sends it: our writer, our map, our envelope."""
    chosen = map_for(set_id)
    body = chosen.write(document, options or MapOptions(version=version[:6]))
    envelope = Envelope(NORTHWIND, to, version=version, delimiters=delimiters)
    return envelope.interchange(
        chosen.functional_id, [(set_id, body)], interchange_control=control,
        group_control=control, first_set_control=control, at=NOW,
    ).encode()  # fmt: skip


def post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST raw bytes; the status and the JSON answer, whatever the status."""
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def wait_for(
    sink: HttpEndpointSimulator, count: int, timeout: float = 10.0
) -> list[RecordedRequest]:
    """The first ``count`` requests the sink received; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while len(sink.requests) < count:
        assert time.monotonic() < deadline, f"{len(sink.requests)} of {count} requests arrived"
        time.sleep(0.02)
    return sink.requests


def wait_for_files(folder: Path, count: int, timeout: float = 10.0) -> list[Path]:
    deadline = time.monotonic() + timeout
    while True:
        found = sorted(p for p in folder.glob("*.x12")) if folder.is_dir() else []
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"{len(found)} of {count} files arrived in {folder}"
        time.sleep(0.02)


def read_sets(bodies: list[bytes]) -> list[InspectedSet]:
    """Every transaction set of the bodies, read, checked and mapped by our own reader."""
    return [found for body in bodies for found in inspect(body).sets]


def by_set(found: list[InspectedSet], set_id: str) -> list[Any]:
    """The documents of one set id, asserting that each read without errors."""
    chosen = [s for s in found if s.transaction.set_id == set_id]
    for item in chosen:
        assert item.errors == [], [str(p) for p in item.errors]
    return [s.document for s in chosen]


@contextmanager
def partner_process(module: str, config: dict[str, Any], folder: Path) -> Iterator[str]:
    """Run ``python -m <module>`` as a real process; yield its URL; stop it with SIGTERM."""
    path = folder / "partner.json"
    path.write_text(json.dumps(config))
    command = [sys.executable, "-m", module, "--port", "0", "--config", str(path)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        yield _listening(process)
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=20)
        assert process.returncode == 0, errors


def _listening(process: subprocess.Popen[str], timeout: float = 60.0) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    assert " listening on " in line, f"no start-up line: {line!r}"
    return line.rsplit(" ", 1)[-1].strip()
