"""The outbox: calls to endpoints, committed with the state that caused them.

A handler queues a call with ``ctx.send(...)``; it becomes an
``outbound.requested`` event in the log, written in the same transaction as
the handler's ack. The ``outbox`` subscription delivers those events to the
endpoint's connector, batch by batch, grouped per destination (one bulk call
where the connector offers ``send_batch``, concurrent single calls where it
does not). Calls of one ``order_key`` (the event's partition key) go in the
order they were queued, even within one batch: the batch is sent in waves,
the n-th call of every key in wave n, and a call whose predecessor failed is
held behind it (:class:`~distsync.runtime.worker.HeldBehind`), not sent.
Failures take the ordinary paths: retry with backoff, dead letter, replay.
The request's deterministic idempotency key travels with every attempt, so
a call repeated after a crash has no second effect at an endpoint that
honours it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from distsync.errors import PermanentError
from distsync.model.envelope import Envelope
from distsync.runtime.context import OUTBOUND_EVENT, HandlerContext
from distsync.runtime.ports import Connector, OutboundRequest, Receipt, SubscriptionSpec
from distsync.runtime.retry import RetryPolicy
from distsync.runtime.worker import HeldBehind, Subscription

OUTBOX = SubscriptionSpec("outbox", (OUTBOUND_EVENT,), ordered=True)


class UnknownDestination(PermanentError):
    """The outbox holds a call for an endpoint the landscape does not declare."""


def outbound_request(envelope: Envelope) -> OutboundRequest:
    """The call an ``outbound.requested`` event asks for."""
    payload = envelope.payload
    return OutboundRequest(
        destination=payload["destination"],
        operation=payload["operation"],
        idempotency_key=payload["idempotency_key"],
        body=payload["body"],
        correlation_id=envelope.correlation_id,
    )


class OutboxDispatcher:
    """Delivers outbox batches to connectors by destination name."""

    def __init__(self, connectors: Mapping[str, Connector]) -> None:
        self._connectors = dict(connectors)
        self._connected: set[str] = set()

    def subscription(self, policy: RetryPolicy | None = None) -> Subscription:
        return Subscription(OUTBOX, batch_handler=self.handle, policy=policy)

    async def handle(self, contexts: Sequence[HandlerContext]) -> list[BaseException | None]:
        requests = [outbound_request(ctx.envelope) for ctx in contexts]
        results: list[BaseException | None] = [None] * len(contexts)
        for wave in _waves(contexts):
            failed = {
                contexts[i].envelope.partition_key for i, r in enumerate(results) if r is not None
            }
            ready = [i for i in wave if contexts[i].envelope.partition_key not in failed]
            for index in set(wave) - set(ready):
                results[index] = HeldBehind("an earlier call of the same order key failed")
            await self._send_wave(contexts, requests, ready, results)
        return results

    async def _send_wave(
        self,
        contexts: Sequence[HandlerContext],
        requests: Sequence[OutboundRequest],
        wave: Sequence[int],
        results: list[BaseException | None],
    ) -> None:
        by_destination: dict[str, list[int]] = defaultdict(list)
        for index in wave:
            by_destination[requests[index].destination].append(index)
        groups = list(by_destination.items())
        answers = await asyncio.gather(
            *(self._send_group(dest, [requests[i] for i in idx]) for dest, idx in groups)
        )
        for (_, indexes), answer in zip(groups, answers, strict=True):
            for index, outcome in zip(indexes, answer, strict=True):
                if isinstance(outcome, BaseException):
                    results[index] = outcome
                else:
                    _record_receipt(contexts[index], requests[index], outcome)

    async def _send_group(
        self, destination: str, requests: list[OutboundRequest]
    ) -> list[Receipt | BaseException]:
        connector = self._connectors.get(destination)
        if connector is None:
            known = ", ".join(sorted(self._connectors)) or "none"
            error = UnknownDestination(
                f"sending to {destination!r}: no endpoint of that name (known: {known})"
            )
            return [error] * len(requests)
        if destination not in self._connected:
            try:
                await connector.connect()
            except Exception as exc:
                return [exc] * len(requests)
            self._connected.add(destination)
        send_batch: Any = getattr(connector, "send_batch", None)
        if send_batch is not None:
            try:
                return list(await send_batch(requests))
            except Exception as exc:
                return [exc] * len(requests)
        answers = await asyncio.gather(
            *(connector.send(r) for r in requests), return_exceptions=True
        )
        return list(answers)


def _waves(contexts: Sequence[HandlerContext]) -> list[list[int]]:
    """Wave n holds the n-th call of each partition key, in log order."""
    seen: dict[str, int] = defaultdict(int)
    waves: list[list[int]] = []
    for index, ctx in enumerate(contexts):
        key = ctx.envelope.partition_key
        position = seen[key]
        seen[key] += 1
        if position == len(waves):
            waves.append([])
        waves[position].append(index)
    return waves


def _record_receipt(ctx: HandlerContext, request: OutboundRequest, receipt: Receipt) -> None:
    """Keep what the endpoint told us beyond "done": its own id, or that it had it already.

    A plain success needs no document: the delivery state says it was handled.
    """
    own_id = receipt.remote_id not in (None, request.idempotency_key)
    if not (own_id or receipt.duplicate):
        return
    ctx.write(
        "outbound_receipt",
        f"{request.destination}:{request.idempotency_key}",
        {
            "destination": request.destination,
            "operation": request.operation,
            "remote_id": receipt.remote_id,
            "duplicate": receipt.duplicate,
            "event_id": ctx.envelope.event_id,
        },
    )
