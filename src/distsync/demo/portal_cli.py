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

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from distsync.config import NAME_PATTERN
from distsync.demo.sim_process import Build, run_simulator

DESCRIPTION = "A simulated supplier portal taking purchase orders as JSON on 127.0.0.1."

__all__ = ["PortalConfig", "run_portal"]


class PortalConfig(BaseModel):
    """The configuration file of a simulated portal process."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partner: str = Field(pattern=NAME_PATTERN, max_length=64)
    behaviour: dict[str, Any] = {}
    reply_to: str | dict[str, Any]


def run_portal(build: Build, argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, start the simulator, serve until told to stop."""
    return run_simulator("portal", DESCRIPTION, build, argv)
