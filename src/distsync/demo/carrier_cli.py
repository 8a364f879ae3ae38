"""Run the simulated carrier as its own process: ``python -m distsync.demo.carrier_sim``.

``--config FILE`` is a JSON object::

    {
      "name":      "rlca",                       # the landscape's name for this carrier
      "behaviour": {...},                        # a CarrierBehaviour
      "reply_to":  "http://127.0.0.1:8080/v1/inbound/tracking/rlca"
                   | {"url": "...", "headers": {"Authorization": "..."}},
      "profile":   {"qualifier": "ZZ", "id": "RLCA"},    # X12 identity (format x12)
      "receiver":  {"qualifier": "ZZ", "id": "DISTSYNC"} # whom its 214s are addressed to
    }

The process listens on 127.0.0.1 (``--port``, 0 for a free one), prints one
line ``carrier simulator listening on <url>`` once it is ready, and runs
until SIGTERM or SIGINT. A configuration it cannot use is refused on
standard error with exit status 2, naming the field.
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

__all__ = ["CarrierConfig", "PartyConfig", "run_carrier"]


class Serving(AbstractContextManager[Any], Protocol):
    @property
    def url(self) -> str: ...


Build = Callable[[dict[str, Any], int], Serving]


class PartyConfig(BaseModel):
    """An ISA qualifier and id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    qualifier: str = Field(default="ZZ", pattern=r"^[A-Z0-9]{2}$")
    id: str = Field(min_length=1, max_length=15)


class CarrierConfig(BaseModel):
    """The configuration file of a simulated carrier process."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN, max_length=64)
    behaviour: dict[str, Any] = {}
    reply_to: str | dict[str, Any]
    profile: dict[str, Any] | None = None
    receiver: PartyConfig = PartyConfig(id="DISTSYNC")


def run_carrier(build: Build, argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, start the carrier, serve until told to stop."""
    parser = argparse.ArgumentParser(
        prog="python -m distsync.demo.carrier_sim",
        description="A simulated carrier: rate quotes and tracking events, on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    parser.add_argument("--config", type=Path, required=True, help="the JSON configuration")
    args = parser.parse_args(argv)
    try:
        simulator = build(_load(args.config), args.port)
    except (ConfigError, ValidationError, OSError, ValueError) as exc:
        print(f"carrier simulator: {args.config}: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with simulator:
        print(f"carrier simulator listening on {simulator.url}", flush=True)
        stop.wait()
    return 0


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a JSON object")
    return data
