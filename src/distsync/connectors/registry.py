"""Which connector serves which system ``type``: built-ins listed here, others by entry point.

A connector class declares its type with a decorator that attaches the
metadata to the class and changes nothing else::

    @register_connector("wms-acme", config=AcmeOptions)
    class AcmeWmsConnector:
        @classmethod
        def from_config(cls, name, system, options: AcmeOptions) -> AcmeWmsConnector: ...

Nothing is registered by importing a module: :func:`connector_types` reads
the classes listed in :data:`BUILTIN` and those named by the entry points of
the group ``distsync.connectors`` each time it is asked. A third-party
package declares its connector in its own ``pyproject.toml``::

    [project.entry-points."distsync.connectors"]
    wms-acme = "acme_distsync.wms:AcmeWmsConnector"

The entry point's name is the type name the class registers. Two classes
claiming one type, an entry point that does not load, or one that names an
unregistered class is a ``ConfigError``: the landscape must not depend on
which package happened to load first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import Any

from distsync.config import SystemConfig
from distsync.connectors.base import ConnectorSpec, register_connector, spec_of
from distsync.connectors.http_json_endpoint import HttpJsonEndpoint
from distsync.connectors.tryton import TrytonConnector
from distsync.errors import ConfigError
from distsync.runtime.ports import Connector

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "ConnectorSpec",
    "build_connector",
    "connector_types",
    "register_connector",
    "spec_of",
    "system_validators",
]

ENTRY_POINT_GROUP = "distsync.connectors"

SystemValidator = Callable[[Mapping[str, Any]], object]


BUILTIN: tuple[type[Any], ...] = (HttpJsonEndpoint, TrytonConnector)
"""The connectors distsync ships, listed explicitly."""


def connector_types(
    *, builtin: Iterable[type[Any]] = BUILTIN, discovered: Iterable[EntryPoint] | None = None
) -> Mapping[str, ConnectorSpec]:
    """Every connector type known now: the built-ins, then the installed entry points.

    ``discovered`` defaults to the entry points of :data:`ENTRY_POINT_GROUP`.
    """
    found: dict[str, ConnectorSpec] = {}
    for cls in builtin:
        _add(found, spec_of(cls))
    for point in entry_points(group=ENTRY_POINT_GROUP) if discovered is None else discovered:
        _add(found, _load(point))
    return MappingProxyType(found)


def system_validators(
    types: Mapping[str, ConnectorSpec] | None = None,
) -> dict[str, SystemValidator]:
    """What ``landscape.check_landscape(..., system_validators=...)`` takes: type → check."""
    known = connector_types() if types is None else types
    return {name: spec.config.model_validate for name, spec in known.items()}


def build_connector(
    name: str, system: SystemConfig, *, types: Mapping[str, ConnectorSpec] | None = None
) -> Connector:
    """The connector of ``systems.<name>``, from the registered type (not connected yet)."""
    known = connector_types() if types is None else types
    spec = known.get(system.type)
    if spec is None:
        listed = ", ".join(sorted(known)) or "none"
        raise ConfigError(f"system {name}: unknown type {system.type!r} (known types: {listed})")
    try:
        return spec.build(name, system)
    except ValueError as exc:  # pydantic's ValidationError is one
        raise ConfigError(f"system {name} ({system.type}): {exc}") from exc


def _add(found: dict[str, ConnectorSpec], spec: ConnectorSpec) -> None:
    other = found.get(spec.type_name)
    if other is not None and other.connector is not spec.connector:
        raise ConfigError(
            f"connector type {spec.type_name!r} is claimed twice: by {_name(other)} "
            f"({other.origin}) and by {_name(spec)} ({spec.origin})"
        )
    found[spec.type_name] = spec


def _load(point: EntryPoint) -> ConnectorSpec:
    where = f"entry point {point.name} = {point.value}"
    if point.dist is not None:
        where += f" of {point.dist.name} {point.dist.version}"
    try:
        loaded = point.load()
    except Exception as exc:  # a broken plugin must not look like a distsync bug
        raise ConfigError(f"loading connector {where}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(loaded, type):
        raise ConfigError(f"connector {where} is not a class")
    spec = spec_of(loaded)
    if spec.type_name != point.name:
        raise ConfigError(f"connector {where} registers type {spec.type_name!r}, not its name")
    return ConnectorSpec(spec.type_name, spec.config, spec.connector, origin=where)


def _name(spec: ConnectorSpec) -> str:
    return f"{spec.connector.__module__}.{spec.connector.__qualname__}"
