"""Run the simulated supplier portal as its own process: ``python -m distsync.demo.portal_sim``.

``--config FILE`` is a JSON object::

    {
      "partner":   "globex",                     # the landscape's name for this supplier
      "behaviour": {...},                        # a SupplierBehaviour
      "reply_to":  "http://127.0.0.1:8080"       # distsync's base URL
                   | {"url": "...", "headers": {"Authorization": "..."}}
    }

The process listens on 127.0.0.1 (``--port``, 0 for a free one), prints one
line ``portal simulator listening on <url>`` once it is ready, and runs
until SIGTERM or SIGINT. A configuration it cannot use is refused on
standard error with exit status 2, naming the field. (``partner_cli`` does
the same for the X12 simulators, whose configuration is an X12 profile.)
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from distsync.config import NAME_PATTERN
from distsync.errors import ConfigError

__all__ = ["PortalConfig", "run_portal"]


class Serving(AbstractContextManager[Any], Protocol):
    @property
    def url(self) -> str: ...


Build = Callable[[dict[str, Any], int], Serving]


class PortalConfig(BaseModel):
    """The configuration file of a simulated portal process."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partner: str = Field(pattern=NAME_PATTERN, max_length=64)
    behaviour: dict[str, Any] = {}
    reply_to: str | dict[str, Any]


def run_portal(build: Build, argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, start the portal, serve until told to stop."""
    parser = argparse.ArgumentParser(
        prog="python -m distsync.demo.portal_sim",
        description="A simulated supplier portal taking purchase orders as JSON on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    parser.add_argument("--config", type=Path, required=True, help="the JSON configuration")
    args = parser.parse_args(argv)
    try:
        simulator = build(_load(args.config), args.port)
    except (ConfigError, ValidationError, OSError, ValueError) as exc:
        print(f"portal simulator: {args.config}: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with simulator:
        print(f"portal simulator listening on {simulator.url}", flush=True)
        stop.wait()
    return 0


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a JSON object")
    return data
