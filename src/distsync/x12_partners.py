"""A partner's X12 profile (landscape) as the map options for its documents."""

from __future__ import annotations

from distsync.config import Landscape
from distsync.config_x12 import X12Identity
from distsync.formats.x12.maps.base import MapOptions


def partner_x12(landscape: Landscape, sender: tuple[str, str]) -> X12Identity | None:
    """The X12 profile of the partner with this ISA qualifier and id, if the landscape has one."""
    for partner in landscape.partners.values():
        x12 = partner.x12
        if x12 is not None and (x12.qualifier, x12.id) == sender:
            return x12
    return None


def partner_name(landscape: Landscape, sender: tuple[str, str]) -> str | None:
    """The landscape's name of the partner with this ISA qualifier and id, if it has one."""
    for name, partner in landscape.partners.items():
        x12 = partner.x12
        if x12 is not None and (x12.qualifier, x12.id) == sender:
            return name
    return None


def map_options(identity: X12Identity | None, set_id: str, version: str) -> MapOptions:
    """Map options for one set: the version, the pinned map version, the declared variations."""
    if identity is None:
        return MapOptions(version=version)
    declared = identity.mapping.get(set_id)
    if declared is None:
        return MapOptions(version=version, map_version=identity.map_version(set_id))
    return MapOptions(
        version=version,
        map_version=identity.map_version(set_id),
        qualifiers=dict(declared.qualifiers),
        code_lists={name: dict(codes) for name, codes in declared.code_lists.items()},
        skip_segments=frozenset(declared.skip_segments),
        extra_segments=tuple(tuple(fields) for fields in declared.extra_segments),
        required_elements=frozenset(declared.required_elements),
        unused_elements=frozenset(declared.unused_elements),
    )
