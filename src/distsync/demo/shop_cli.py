"""Run the simulated web shop as its own process: ``python -m distsync.demo.shop_sim``.

``--config FILE`` is a JSON object::

    {
      "partner":    "shop",                       # the landscape's channel partner
      "secret_env": "SHOP_WEBHOOK_SECRET",        # the variable holding the signing secret
      "behaviour":  {"seed": 7, "resend": true},  # a ShopBehaviour
      "reply_to":   "http://127.0.0.1:8080"       # distsync's base URL
                    | {"url": "...", "headers": {...}, "attempts": 5}
    }

The secret is read from the environment (``secret_env``) or a file
(``secret_file``), never from the configuration itself. The process listens
on 127.0.0.1 (``--port``, 0 for a free one), prints one line ``shop
simulator listening on <url>`` once ready, and runs until SIGTERM or SIGINT.
A configuration it cannot use is refused on standard error with exit status
2, naming the field.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from distsync.config import NAME_PATTERN
from distsync.errors import ConfigError

__all__ = ["ShopConfig", "run_shop"]


class Serving(AbstractContextManager[Any], Protocol):
    @property
    def url(self) -> str: ...


Build = Callable[[dict[str, Any], int], Serving]


class ShopConfig(BaseModel):
    """The configuration file of a simulated shop process."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partner: str = Field(pattern=NAME_PATTERN, max_length=64)
    secret_env: str | None = None
    secret_file: Path | None = None
    behaviour: dict[str, Any] = {}
    reply_to: str | dict[str, Any]

    @model_validator(mode="after")
    def _one_secret(self) -> ShopConfig:
        if (self.secret_env is None) == (self.secret_file is None):
            raise ValueError("give exactly one of secret_env and secret_file")
        return self

    def webhook_secret(self) -> str:
        """The signing secret, read now from the environment or the file."""
        if self.secret_file is not None:
            return self.secret_file.read_text(encoding="utf-8").strip()
        secret = os.environ.get(self.secret_env or "", "")
        if not secret:
            raise ConfigError(f"secret_env: the variable {self.secret_env} is unset or empty")
        return secret


def run_shop(build: Build, argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, start the shop, serve until told to stop."""
    parser = argparse.ArgumentParser(
        prog="python -m distsync.demo.shop_sim",
        description="A simulated web shop sending signed order webhooks, on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    parser.add_argument("--config", type=Path, required=True, help="the JSON configuration")
    args = parser.parse_args(argv)
    try:
        simulator = build(_load(args.config), args.port)
    except (ConfigError, ValidationError, OSError, ValueError) as exc:
        print(f"shop simulator: {args.config}: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with simulator:
        print(f"shop simulator listening on {simulator.url}", flush=True)
        stop.wait()
    return 0


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a JSON object")
    return data
