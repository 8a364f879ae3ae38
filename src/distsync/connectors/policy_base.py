"""The base of the delivery policy's wrappers: a connector around another connector.

Each wrapper handles one concern and passes the call on. Inside the stack a
call is ``deliver(requests, batch=...)``: one ``send`` of one request
(``batch=False``) or one ``send_batch`` of requests of one operation
(``batch=True``). It returns one result per request, a :class:`Receipt` or
the error of that request, so that the wrappers treat single and bulk calls
alike; only cancellation and bugs are raised. ``send`` raises its result's
error, as the :class:`Connector` protocol says.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from distsync.errors import DistsyncError, RateLimited, RetryableError
from distsync.runtime.ports import Connector, OutboundRequest, Receipt

__all__ = ["PolicyLayer", "Results", "action_of", "call_failed"]

Results = list[Receipt | BaseException]


class PolicyLayer:
    """One wrapper of the delivery policy; subclasses override :meth:`deliver`."""

    def __init__(self, inner: Connector, *, system: str) -> None:
        self.inner = inner
        self.system = system

    async def connect(self) -> None:
        await self.inner.connect()

    async def close(self) -> None:
        await self.inner.close()

    async def send(self, request: OutboundRequest) -> Receipt:
        (result,) = await self.deliver([request], batch=False)
        if isinstance(result, BaseException):
            raise result
        return result

    async def send_batch(self, requests: Sequence[OutboundRequest]) -> Results:
        return await self.deliver(requests, batch=True)

    async def deliver(self, requests: Sequence[OutboundRequest], *, batch: bool) -> Results:
        """Make one call for ``requests``; one result per request, in order."""
        return await self.forward(requests, batch=batch)

    async def forward(self, requests: Sequence[OutboundRequest], *, batch: bool) -> Results:
        """Pass the call to the next wrapper, or make it on the connector itself."""
        if isinstance(self.inner, PolicyLayer):
            return await self.inner.deliver(requests, batch=batch)
        if batch:
            send_batch: Any = getattr(self.inner, "send_batch")  # noqa: B009 - checked by the policy
            results = list(await send_batch(requests))
            if len(results) != len(requests):
                raise RuntimeError(
                    f"{action_of(requests, self.system)}: the connector answered "
                    f"{len(results)} results for {len(requests)} requests"
                )
            return results
        try:
            return [await self.inner.send(requests[0])]
        except Exception as exc:
            return [exc]


def action_of(requests: Sequence[OutboundRequest], system: str) -> str:
    """``sending <operation> <key> to <system>``, or ``sending <n> <operation> to <system>``."""
    first = requests[0]
    if len(requests) == 1:
        return f"sending {first.operation} {first.idempotency_key} to {system}"
    return f"sending {len(requests)} {first.operation} to {system}"


def call_failed(results: Results) -> bool | None:
    """Whether a call tells of a broken endpoint: True, False, or None when it says nothing.

    A failure is a retryable error other than a rate limit (timeout, refused
    connection, 5xx). A receipt or any other error of the taxonomy shows the
    endpoint answering. Rate limits and errors outside the taxonomy (bugs)
    say nothing about the endpoint's health. One answering request makes the
    whole call a success.
    """
    verdicts = {_verdict(result) for result in results}
    if False in verdicts:
        return False
    return True if True in verdicts else None


def _verdict(result: Receipt | BaseException) -> bool | None:
    if isinstance(result, Receipt):
        return False
    if isinstance(result, RateLimited) or not isinstance(result, DistsyncError):
        return None
    return isinstance(result, RetryableError)
