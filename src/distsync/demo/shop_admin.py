"""The simulated shop's admin API: fulfilments and inventory levels that distsync pushes back.

``ShopAdmin.take`` answers one request as a shop's admin REST API would
(an ``/admin/api/<version>`` prefix and a ``.json`` suffix are allowed):

- ``POST /fulfillments``: ``{"fulfillment": {"order_id", "tracking_numbers"
  (or "tracking_number"), "tracking_company", "line_items": [{"sku" | "id",
  "quantity"}]}}`` (unwrapped also taken) -> ``201 {"fulfillment": {"id",
  ...}}``; ``404`` for an order the shop never placed;
- ``POST /inventory_levels/set``: ``{"sku" | "inventory_item_id",
  "location_id" | "location", "available"}`` -> ``200 {"inventory_level":
  {...}}``; the latest level per SKU and location is kept;
- the same ``Idempotency-Key`` on the same path again: the first answer,
  byte for byte, and nothing recorded twice; with another body: ``422``;
- ``400`` not a JSON object, ``422`` a field missing or wrong (named),
  ``404`` any other path. Refusals are ``{"errors": ...}`` as the shop's are.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["Answer", "Fulfilment", "InventoryLevel", "ShopAdmin"]

Answer = tuple[int, dict[str, Any]]
PREFIX = re.compile(r"^/admin/api/[^/]+")
FULFILMENTS, INVENTORY = "/fulfillments", "/inventory_levels/set"


class _Line(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sku: str | None = None
    id: int | str | None = None
    quantity: int = Field(ge=1)


class _FulfilmentRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    order_id: int | str
    tracking_numbers: list[str] = []
    tracking_number: str | None = None
    tracking_company: str | None = None
    line_items: list[_Line] = []


class _LevelRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    sku: str | None = Field(default=None, min_length=1)
    inventory_item_id: int | str | None = None
    location_id: int | str = Field(alias="location")
    available: int


@dataclass(frozen=True)
class Fulfilment:
    """One fulfilment the shop created: its id, the order, tracking numbers, lines."""

    id: int
    order_id: str
    tracking_numbers: tuple[str, ...]
    tracking_company: str | None
    lines: tuple[tuple[str, int], ...]  # (sku or line id, quantity)
    idempotency_key: str | None
    at: datetime


@dataclass(frozen=True)
class InventoryLevel:
    """One inventory level set: the SKU, the location, the quantity available."""

    sku: str
    location: str
    available: int
    idempotency_key: str | None
    at: datetime


class ShopAdmin:
    """The admin API's state; ``known_order`` says whether the shop placed an order id."""

    def __init__(self, known_order: Callable[[str], bool], clock: Callable[[], datetime]) -> None:
        self.known_order = known_order
        self.clock = clock
        self.fulfilments: list[Fulfilment] = []
        self.inventory: list[InventoryLevel] = []
        self._answers: dict[tuple[str, str], tuple[str, Answer]] = {}
        self._ids = itertools.count(1_000_001)
        self._lock = threading.Lock()

    def take(self, path: str, body: bytes, key: str | None) -> tuple[Answer, bool]:
        """The answer to one POST, and whether it repeats an earlier one (same key)."""
        path = PREFIX.sub("", path.split("?", maxsplit=1)[0]).removesuffix(".json").rstrip("/")
        digest = hashlib.sha256(body).hexdigest()
        with self._lock:
            known = self._answers.get((path, key)) if key is not None else None
            if known is not None:
                if known[0] != digest:
                    return (
                        422,
                        {"errors": f"Idempotency-Key {key} was used for another request"},
                    ), False
                return known[1], True
            answer = self._answer(path, body, key)
            if key is not None and answer[0] < 300:
                self._answers[(path, key)] = (digest, answer)
            return answer, False

    def records(self) -> tuple[list[Fulfilment], list[InventoryLevel]]:
        """Copies of the fulfilments created and the inventory levels set, in order."""
        with self._lock:
            return list(self.fulfilments), list(self.inventory)

    def levels(self) -> dict[tuple[str, str], int]:
        """The latest quantity available per (SKU, location)."""
        with self._lock:
            return {(level.sku, level.location): level.available for level in self.inventory}

    def _answer(self, path: str, body: bytes, key: str | None) -> Answer:
        if path not in (FULFILMENTS, INVENTORY):
            return 404, {"errors": f"no operation at {path!r}: try {FULFILMENTS} or {INVENTORY}"}
        try:
            data = json.loads(body)
        except ValueError as exc:
            return 400, {"errors": f"the body is not JSON ({exc})"}
        if not isinstance(data, dict):
            return 400, {"errors": "the body should be a JSON object"}
        try:
            if path == FULFILMENTS:
                return self._fulfil(
                    _FulfilmentRequest.model_validate(data.get("fulfillment", data)), key
                )
            return self._set_level(
                _LevelRequest.model_validate(data.get("inventory_level", data)), key
            )
        except ValidationError as exc:
            return 422, {"errors": _problems(exc)}

    def _fulfil(self, request: _FulfilmentRequest, key: str | None) -> Answer:
        order_id = str(request.order_id)
        if not self.known_order(order_id):
            return 404, {"errors": f"order {order_id}: Not Found"}
        tracking = tuple(request.tracking_numbers) + (
            (request.tracking_number,) if request.tracking_number else ()
        )
        lines = tuple((str(line.sku or line.id), line.quantity) for line in request.line_items)
        done = Fulfilment(
            next(self._ids), order_id, tracking, request.tracking_company, lines, key, self.clock()
        )
        self.fulfilments.append(done)
        return 201, {"fulfillment": {
            "id": done.id, "order_id": done.order_id, "status": "success",
            "tracking_numbers": list(tracking), "tracking_company": done.tracking_company,
            "line_items": [{"sku": sku, "quantity": qty} for sku, qty in lines],
            "created_at": done.at.isoformat(),
        }}  # fmt: skip

    def _set_level(self, request: _LevelRequest, key: str | None) -> Answer:
        item = request.sku or request.inventory_item_id
        if item is None:
            return 422, {"errors": {"sku": ["give sku or inventory_item_id"]}}
        level = InventoryLevel(
            str(item), str(request.location_id), request.available, key, self.clock()
        )
        self.inventory.append(level)
        return 200, {"inventory_level": {
            "sku": level.sku, "inventory_item_id": level.sku, "location_id": level.location,
            "available": level.available, "updated_at": level.at.isoformat(),
        }}  # fmt: skip


def _problems(exc: ValidationError) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in error["loc"]) or "(body)"
        problems.setdefault(field, []).append(error["msg"])
    return problems
