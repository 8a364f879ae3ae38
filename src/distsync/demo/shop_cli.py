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

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from distsync.config import NAME_PATTERN
from distsync.demo.sim_process import Build, run_simulator
from distsync.errors import ConfigError

DESCRIPTION = "A simulated web shop sending signed order webhooks, on 127.0.0.1."

__all__ = ["ShopConfig", "run_shop"]


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
    """Parse the arguments, start the simulator, serve until told to stop."""
    return run_simulator("shop", DESCRIPTION, build, argv)
