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

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from distsync.config import NAME_PATTERN
from distsync.demo.sim_process import Build, run_simulator

DESCRIPTION = "A simulated carrier: rate quotes and tracking events, on 127.0.0.1."

__all__ = ["CarrierConfig", "PartyConfig", "run_carrier"]


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
    """Parse the arguments, start the simulator, serve until told to stop."""
    return run_simulator("carrier", DESCRIPTION, build, argv)
