"""Run a simulated partner as its own process: ``python -m distsync.demo.supplier_sim ...``.

``--config FILE`` is a JSON object::

    {
      "profile":   {"qualifier": "ZZ", "id": "ACME", "version": "004010",
                    "delimiters": {"element": "*", "segment": "~", "component": ">"}},
      "behaviour": {...},                         # the simulator's behaviour dataclass
      "reply_to":  "http://127.0.0.1:8000/v1/inbound/x12/acme"
                   | {"url": "...", "headers": {"Authorization": "..."}}
                   | {"outbox": "/var/demo/acme/outbox"},
      "inbox":     "/var/demo/acme/inbox",        # optional: also watch this folder
      "first_control": 1                          # optional: first ISA13/GS06/ST02
    }

``profile`` is an ``X12Identity`` as in the landscape file. The process
listens on 127.0.0.1 (``--port``, 0 for a free one), prints one line
``<role> simulator listening on <url>`` once it is ready, and runs until
SIGTERM or SIGINT. A configuration it cannot use is refused on standard
error with exit status 2, naming the field.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from distsync.config_x12 import X12Identity
from distsync.demo.partner_delivery import Delivery, delivery_from
from distsync.demo.partner_sim import PartnerSimulator
from distsync.errors import ConfigError

__all__ = ["PartnerConfig", "run_process"]

Build = Callable[[dict[str, Any], int], PartnerSimulator]


class PartnerConfig(BaseModel):
    """The configuration file of a simulated partner process."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: X12Identity
    behaviour: dict[str, Any] = {}
    reply_to: str | dict[str, Any]
    inbox: Path | None = None
    first_control: int = Field(default=1, ge=1, le=999_999_999)

    def delivery(self) -> Delivery:
        return delivery_from(self.reply_to)


def run_process(role: str, build: Build, argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, start the simulator, serve until told to stop."""
    parser = argparse.ArgumentParser(
        prog=f"python -m distsync.demo.{role}_sim",
        description=f"A simulated {role} speaking X12 on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    parser.add_argument("--config", type=Path, required=True, help="the JSON configuration")
    args = parser.parse_args(argv)
    try:
        simulator = build(_load(args.config), args.port)
    except (ConfigError, ValidationError, OSError, ValueError) as exc:
        print(f"{role} simulator: {args.config}: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with simulator:
        print(f"{role} simulator listening on {simulator.url}", flush=True)
        stop.wait()
    return 0


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a JSON object")
    return data
