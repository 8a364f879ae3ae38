"""Running a JSON simulator as a process: ``python -m distsync.demo.<role>_sim --config F``.

:func:`run_simulator` parses ``--port`` and ``--config``, builds the
simulator from the JSON configuration (a configuration it cannot use ends
with exit status 2 and says why), prints the URL it listens on and serves
until SIGTERM or SIGINT. The portal, carrier and web-shop simulators share it.
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

from pydantic import ValidationError

from distsync.errors import ConfigError

__all__ = ["Build", "Serving", "load_config", "run_simulator"]


class Serving(AbstractContextManager[Any], Protocol):
    @property
    def url(self) -> str: ...


Build = Callable[[dict[str, Any], int], Serving]


def run_simulator(
    role: str, description: str, build: Build, argv: Sequence[str] | None = None
) -> int:
    """Parse the arguments, start the simulator, serve until told to stop."""
    parser = argparse.ArgumentParser(
        prog=f"python -m distsync.demo.{role}_sim", description=description
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    parser.add_argument("--config", type=Path, required=True, help="the JSON configuration")
    args = parser.parse_args(argv)
    try:
        simulator = build(load_config(args.config), args.port)
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


def load_config(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a JSON object")
    return data
