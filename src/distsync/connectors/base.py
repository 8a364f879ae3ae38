"""The connector contract: what a module for one system type implements.

A connector talks to one endpoint (an ERP, a WMS, a carrier, a web shop, a
supplier's API) on behalf of the outbox. It knows the endpoint's protocol and
nothing of business rules; the flows know business rules and nothing of
protocols.

Lifecycle
    ``connect()`` prepares the connection (a client, a session, a login) and
    may be called again after ``close()``. The outbox calls it once before the
    first delivery; a connector must also cope with ``send`` before
    ``connect`` (connect lazily). ``close()`` releases everything and never
    raises for an endpoint that is already gone. Nothing connects in
    ``__init__`` or ``from_config``: building the services must not touch the
    network.

Operations
    ``send(request) -> Receipt`` performs one :class:`OutboundRequest`:
    ``operation`` names what to do, ``body`` is its JSON-ready payload.
    The :class:`Receipt` carries the endpoint's own id for the document and
    whether the endpoint had it already (``duplicate``). A connector may
    offer ``send_batch(requests) -> list[Receipt | BaseException]`` for an
    endpoint's bulk API: one result per request, in order. The delivery
    policy gives it requests of one ``operation`` at a time and counts each
    ``send_batch`` as one call against the rate limit, so it must make one
    call to the endpoint per ``send_batch``.

Idempotency
    Every request carries a deterministic ``idempotency_key`` (flow step +
    document + revision, see :func:`idempotency_key`); the policy refuses a
    request without one before it reaches the connector. The connector makes
    the effect idempotent with it: an ``Idempotency-Key`` header, or a
    look-up by external reference before a create. A call repeated after a
    timeout then has no second effect, and the receipt says ``duplicate``.

Errors
    Only the classes of :mod:`distsync.errors` leave a connector, translated
    once in the connector's ``map_errors()`` context manager (see
    ``http_json.map_errors``): connection refused or reset → ``NotConnected``;
    timeout, 5xx, 408 → ``RetryableError`` (with ``retry_after`` from a
    ``Retry-After``); 429 → ``RateLimited(retry_after)``; refused
    credentials → ``AuthenticationFailed``; any other refusal → ``Rejected``;
    an answer that does not parse → ``MalformedDocument``. Messages name the
    action and the object: ``"sending order PO-1 to erp: HTTP 503 ..."``.

What the connector does not do
    Retrying, backing off, pacing, limiting concurrency, timing out and
    breaking the circuit are the delivery policy's job (``policy.py``), the
    same for every endpoint. A connector whose session can expire offers
    ``reauthenticate()`` (:class:`Reauthenticating`): after an
    ``AuthenticationFailed`` the policy calls it once and repeats the call;
    a second refusal stands.

Registration
    A connector class is registered with
    ``@register_connector("type-name", config=Options)`` (``registry.py``)
    and builds itself from the landscape with the classmethod
    ``from_config(name, system, options)`` (:class:`ConfigurableConnector`):
    ``system`` is the :class:`~distsync.config.SystemConfig` (``url``,
    ``timeout_seconds``, secrets through ``system.secret("token")``, read in
    ``connect()``, never before), ``options`` the validated ``Options``
    model of the type-specific keys. ``Options`` forbids unknown keys, so
    ``distsync check`` reports a misspelt key with its line number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from distsync.config import SystemConfig
from distsync.errors import ConfigError, SchemaViolation
from distsync.runtime.ports import BatchConnector, Connector, OutboundRequest, Receipt

__all__ = [
    "BatchConnector",
    "ConfigurableConnector",
    "Connector",
    "ConnectorSpec",
    "OutboundRequest",
    "Reauthenticating",
    "Receipt",
    "idempotency_key",
    "register_connector",
    "require_idempotency_key",
    "spec_of",
]

SPEC_ATTRIBUTE = "__distsync_connector__"
TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*$")

C = TypeVar("C", bound=type[Any])


class Reauthenticating(Protocol):
    """A connector that can log in again (a fresh session or a re-read token)."""

    async def reauthenticate(self) -> None:
        """Drop the current credentials or session and obtain fresh ones."""


class ConfigurableConnector(Protocol):
    """A connector class the registry can build from a system's landscape entry."""

    @classmethod
    def from_config(cls, name: str, system: SystemConfig, options: Any) -> Connector:
        """A connector for system ``name``; ``options`` is the type's validated config model."""
        ...


def idempotency_key(step: str, document: str, revision: int | str) -> str:
    """The deterministic key of one outbound call: ``step:document:revision``.

    The same step sending the same revision of a document always gets the same
    key, so a repeated call is recognised by the endpoint; a new revision is a
    new call.
    """
    parts = (step, document, str(revision))
    if not all(part.strip() for part in parts):
        raise ValueError(f"an idempotency key needs a step, a document and a revision: {parts}")
    return ":".join(parts)


def require_idempotency_key(request: OutboundRequest) -> None:
    """Refuse a request that carries no idempotency key (``SchemaViolation``)."""
    if not request.idempotency_key.strip():
        raise SchemaViolation(
            f"sending {request.operation} to {request.destination}: the request has no "
            "idempotency key; every outbound call needs a deterministic one"
        )


@dataclass(frozen=True)
class ConnectorSpec:
    """A registered connector: its type name, its config model, its class, where it came from."""

    type_name: str
    config: type[BaseModel]
    connector: type[Any]
    origin: str = "built-in"

    def options(self, system: SystemConfig) -> BaseModel:
        """The system's type-specific keys, validated by the config model."""
        return self.config.model_validate(dict(system.options))

    def build(self, name: str, system: SystemConfig) -> Connector:
        """A connector for system ``name`` (not connected yet)."""
        built: Connector = self.connector.from_config(name, system, self.options(system))
        return built


def register_connector(type_name: str, *, config: type[BaseModel]) -> Callable[[C], C]:
    """Declare a class as the connector of landscape ``type: type_name``.

    ``config`` is a pydantic model of the type's specific keys and must forbid
    unknown ones (``extra="forbid"``). The class needs a classmethod
    ``from_config(name, system, options)`` (:class:`ConfigurableConnector`).
    The metadata is attached to the class; nothing is registered anywhere.
    """
    if not TYPE_PATTERN.match(type_name):
        raise ValueError(f"connector type {type_name!r}: use lower-case letters, digits, _ and -")
    if config.model_config.get("extra") != "forbid":
        raise ValueError(f"connector type {type_name!r}: {config.__name__} must forbid extra keys")

    def attach(cls: C) -> C:
        if not callable(getattr(cls, "from_config", None)):
            raise TypeError(f"connector {cls.__name__} needs a classmethod from_config")
        setattr(cls, SPEC_ATTRIBUTE, ConnectorSpec(type_name, config, cls))
        return cls

    return attach


def spec_of(cls: type[Any]) -> ConnectorSpec:
    """The registration of ``cls`` itself (a subclass does not inherit it)."""
    spec = vars(cls).get(SPEC_ATTRIBUTE)
    if not isinstance(spec, ConnectorSpec):
        raise ConfigError(f"{cls.__module__}.{cls.__qualname__} is not a registered connector")
    return spec
