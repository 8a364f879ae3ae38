"""The inventory flow's settings (``flows.inventory``): the availability feed and reconciliation.

::

    flows:
      inventory:
        feed_interval_seconds: 30
        feed_channels:
          shop: {system: shop-admin, location: "web"}
        reconcile_enabled: true
        reconcile_minutes: 60

Each channel names the system that takes its inventory levels (an
``http-json`` system on the shop's admin API) and the shop location that
holds the network figure. ``docs/inventory.md`` ("Availability feed") says
how the feed uses them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

__all__ = ["FeedChannel", "InventoryPolicy"]

ChannelName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]


class FeedChannel(BaseModel):
    """Where one sales channel takes its availability."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: ChannelName = Field(
        description="The system (its admin API) that takes inventory_levels/set calls."
    )
    location: str = Field(
        min_length=1, max_length=64, description="The channel's location that sells the stock."
    )


class InventoryPolicy(BaseModel):
    """``flows.inventory``: the availability feed to the sales channels, and reconciliation
    of the ERP's stock with the warehouses' counts (``docs/reconciliation.md``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    feed_interval_seconds: float = Field(
        30.0, gt=0, le=86_400, description="At most one update per SKU and channel this often."
    )
    feed_channels: dict[ChannelName, FeedChannel] = Field(
        default_factory=dict, description="The channels fed, by name (none: no feed)."
    )
    adjustments_erp: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="The system that receives the warehouses' adjustments (operation "
        "post_adjustment); none: adjustments are not forwarded.",
    )
    reconcile_enabled: bool = Field(
        False, description="Run the inventory reconciliation job (docs/reconciliation.md)."
    )
    reconcile_erp: str = Field(
        "erp",
        min_length=1,
        max_length=64,
        description="The system whose stock is compared with the warehouses' counts.",
    )
    reconcile_warehouses: tuple[str, ...] = Field(
        (), description="The warehouses to compare (none: every warehouse with a snapshot)."
    )
    reconcile_minutes: float = Field(60.0, gt=0, le=10_080, description="How often the job runs.")
    reconcile_threshold_units: float = Field(
        0.0, ge=0, description="Tolerated difference per item, in units."
    )
    reconcile_threshold_pct: float | None = Field(
        None,
        ge=0,
        description="Tolerated difference in percent of the ERP's figure; with "
        "reconcile_threshold_units, a difference must exceed both.",
    )
    reconcile_in_flight_days: float = Field(
        7.0,
        ge=0,
        description="How far before a count to look for receipts and shipments in flight to "
        "the ERP.",
    )
    reconcile_report_dir: str = Field(
        "var/reconcile",
        description="Where each run writes its report folder (relative to the landscape file).",
    )

    @field_validator("reconcile_report_dir")
    @classmethod
    def _relative_to_the_landscape(cls, value: str, info: ValidationInfo) -> str:
        base = (info.context or {}).get("base_dir") if isinstance(info.context, dict) else None
        path = Path(value).expanduser()
        if base is None or path.is_absolute():
            return str(path)
        return str(Path(base) / path)
