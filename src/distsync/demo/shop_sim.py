"""The simulated web shop: signed order webhooks out, fulfilments and inventory levels in.

::

    DISTSYNC = "http://127.0.0.1:8080"
    with ShopSimulator("shop", secret, reply_to=DISTSYNC, behaviour=ShopBehaviour(seed=7)) as sim:
        point the shop's system (partners.shop.portal) url at sim.url
        placed = sim.place_order({"WIDGET-1": 2})   # or resend=True, stale_update=True, ...
        sim.wait_idle()
        sim.sent          # every webhook as sent, and how distsync answered
        sim.fulfilments   # what distsync pushed back; sim.inventory, sim.levels

It is a Shopify-like shop, the other side of distsync's
``POST /v1/webhooks/shopify/{partner}``. ``place_order`` writes an
``orders/create`` payload (``shop_orders``) and queues it; one thread POSTs
each webhook to ``{reply_to}/v1/webhooks/shopify/{partner}`` with
``X-Shopify-Topic``, a unique ``X-Shopify-Webhook-Id`` and
``X-Shopify-Hmac-Sha256`` (base64 HMAC-SHA256 of the raw body under
``secret``), retrying connection errors, 408, 429 and 5xx as
``partner_delivery.HttpDelivery`` does. Knobs (``ShopBehaviour``, or per
order): ``resend`` sends the webhook twice with the same id; ``stale_update``
follows it with an ``orders/updated`` webhook (a new id) whose
``updated_at`` is older; ``bad_signature`` signs under a wrong secret.

Its admin API (``shop_admin``) takes ``POST /fulfillments`` and ``POST
/inventory_levels/set`` as a shop does, plus ``GET /log`` and ``GET
/healthz``. Run as a process: ``python -m distsync.demo.shop_sim --port 9400
--config shop.json`` (see ``shop_cli``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from distsync.demo.json_sim import ServedSimulator
from distsync.demo.partner_delivery import delivery_from
from distsync.demo.partner_log import Schedule
from distsync.demo.partner_sim import Clock, utc_now
from distsync.demo.partner_x12 import Outgoing
from distsync.demo.shop_admin import Answer, Fulfilment, InventoryLevel, ShopAdmin
from distsync.demo.shop_cli import ShopConfig, run_shop
from distsync.demo.shop_http import webhook_target
from distsync.demo.shop_orders import OrderBook, PlacedOrder, ShopBehaviour, sign
from distsync.demo.shop_records import AdminReceived, ShopLog, WebhookSent

__all__ = ["ShopSimulator", "main"]

NO_CONTROLS = (0, 0, 0)  # webhooks have no control numbers; ``Schedule`` queues ``Outgoing``
API_VERSION = "2024-01"


@dataclass(frozen=True)
class _Webhook:
    order_id: int
    kind: str  # order, stale
    forged: bool


class ShopSimulator(ServedSimulator):
    """A web shop on 127.0.0.1 (see the module docstring)."""

    role: ClassVar[str] = "shop"
    _log: ShopLog

    def __init__(
        self,
        partner: str,
        secret: str,
        *,
        reply_to: str | Mapping[str, Any],
        behaviour: ShopBehaviour | None = None,
        port: int = 0,
        clock: Clock = utc_now,
    ) -> None:
        self.partner = partner
        self.behaviour = behaviour or ShopBehaviour()
        self.clock = clock
        self._secret = secret
        self._target, self._delivery = webhook_target(partner, reply_to)
        self._book = OrderBook(self.behaviour)
        self._orders: dict[str, PlacedOrder] = {}
        self._webhooks: dict[str, _Webhook] = {}
        self._placing = threading.Lock()
        self._admin = ShopAdmin(self._placed, clock)
        self._log = ShopLog()
        self._schedule = Schedule(self._send)
        self._sequence = 0
        self._port = port

    # -- records ----------------------------------------------------------------------

    @property
    def sent(self) -> list[WebhookSent]:
        """Every webhook handed to the delivery, in sending order."""
        return self._log.snapshot()[1]

    @property
    def received(self) -> list[AdminReceived]:
        """Every admin API request taken in, in arrival order, refused ones included."""
        return self._log.snapshot()[0]

    @property
    def fulfilments(self) -> list[Fulfilment]:
        """The fulfilments created (a repeated Idempotency-Key adds none)."""
        return self._admin.records()[0]

    @property
    def inventory(self) -> list[InventoryLevel]:
        """Every inventory level set, in order (a repeated Idempotency-Key adds none)."""
        return self._admin.records()[1]

    @property
    def levels(self) -> dict[tuple[str, str], int]:
        """The latest quantity available per (SKU, location)."""
        return self._admin.levels()

    # -- orders out -------------------------------------------------------------------

    def place_order(
        self,
        lines: Mapping[str, int] | None = None,
        *,
        resend: bool | None = None,
        stale_update: bool | None = None,
        bad_signature: bool | None = None,
    ) -> PlacedOrder:
        """Place an order of ``lines`` (SKU -> quantity; None: a few catalogue items) and
        queue its webhooks; unset knobs come from the behaviour."""
        forged = _either(bad_signature, self.behaviour.bad_signature)
        copies = 2 if _either(resend, self.behaviour.resend) else 1
        with self._placing:
            placed = self._book.place(lines)
            self._orders[str(placed.order_id)] = placed
            queue = [self._webhook("orders/create", placed.webhook_id, placed, "order", forged)]
            if _either(stale_update, self.behaviour.stale_update):
                stale_id = self._book.webhook_id()
                queue.append(self._webhook("orders/updated", stale_id, placed, "stale", forged))
        base = time.monotonic()
        for topic, webhook_id, body in queue:
            self._schedule.add(Outgoing(topic, webhook_id, body, NO_CONTROLS, 0.0, copies), base)
        return placed

    def _webhook(
        self, topic: str, webhook_id: str, placed: PlacedOrder, kind: str, forged: bool
    ) -> tuple[str, str, bytes]:
        self._webhooks[webhook_id] = _Webhook(placed.order_id, kind, forged)
        body = placed.body if kind == "order" else self._book.stale(placed)
        return topic, webhook_id, body

    def _send(self, outgoing: Outgoing) -> None:
        with self._placing:
            webhook = self._webhooks[outgoing.reference]
        secret = f"not-{self._secret}" if webhook.forged else self._secret
        headers = {
            **self._delivery.get("headers", {}),
            "Content-Type": "application/json",
            "X-Shopify-Topic": outgoing.set_id,
            "X-Shopify-Webhook-Id": outgoing.reference,
            "X-Shopify-Hmac-Sha256": sign(outgoing.body, secret),
            "X-Shopify-Shop-Domain": self.behaviour.shop_domain,
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Triggered-At": self.clock().isoformat(),
        }
        delivery = delivery_from({**self._delivery, "url": self._target, "headers": headers})
        for copy in range(1, outgoing.copies + 1):
            self._sequence += 1
            done = delivery.deliver(
                outgoing.body,
                sequence=self._sequence,
                set_id=outgoing.set_id,
                reference=outgoing.reference,
            )
            kind = "forged" if webhook.forged else "resend" if copy > 1 else webhook.kind
            self._log.add_sent(WebhookSent(
                self._sequence, outgoing.set_id, outgoing.reference, webhook.order_id, kind,
                outgoing.body, self._target, done.ok, done.attempts, done.detail, self.clock(),
            ))  # fmt: skip

    # -- admin API in -----------------------------------------------------------------

    def take(self, body: bytes, *, path: str, idempotency_key: str | None = None) -> Answer:
        """Answer one admin API POST and record it; what the HTTP caller is told."""
        number, at = self._log.next_received(), self.clock()
        try:
            (status, reply), repeated = self._admin.take(path, body, idempotency_key)
        except Exception as exc:  # a bug: recorded and answered, the server lives on
            (status, reply), repeated = (500, {"errors": f"answering failed: {exc!r}"}), False
        self._log.add_received(AdminReceived(
            number, "POST", path, idempotency_key, body, at, status, reply, repeated,
        ))  # fmt: skip
        return status, reply

    def _placed(self, order_id: str) -> bool:
        with self._placing:
            return order_id in self._orders


def _either(value: bool | None, default: bool) -> bool:
    return default if value is None else value


def build(config: Mapping[str, Any], port: int) -> ShopSimulator:
    """A shop simulator from a process configuration (see ``shop_cli``)."""
    settings = ShopConfig.model_validate(config)
    return ShopSimulator(
        settings.partner,
        settings.webhook_secret(),
        reply_to=settings.reply_to,
        behaviour=ShopBehaviour.model_validate(settings.behaviour),
        port=port,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_shop(build, argv)


if __name__ == "__main__":
    sys.exit(main())
