"""X12 files as trading partners send them, and a landscape that trades with them.

The documents are the model's examples written by the real maps; the
envelopes are assembled here so one interchange can carry several groups,
and so a test can break exactly one thing in them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from distsync.config import Landscape, build_landscape
from distsync.formats.x12.delimiters import Delimiters
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.registry import map_for
from distsync.formats.x12.writer import Envelope, Party, segment_text, transaction_set
from distsync.model.asn import AdvanceShipNotice
from distsync.model.examples import example_asn

AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
DELIMITERS = Delimiters("*", ">", "~", None, "\n")
NORTHWIND = Party("ZZ", "NORTHWIND")
ACME = Party("ZZ", "ACME")
EASTWMS = Party("ZZ", "EASTWMS")


def landscape_data(tmp_path: Path, **partners: Any) -> dict[str, Any]:
    """A landscape on a real SQLite file in ``tmp_path``: us, ACME (supplier), EASTWMS (3PL)."""
    chosen = {
        "acme": {
            "kind": "supplier",
            "x12": {"qualifier": "ZZ", "id": "ACME", "version": "004010"},
            "sends": ["x12-855", "x12-856", "x12-810"],
            "receives": ["x12-850"],
        },
        "eastwms": {
            "kind": "warehouse",
            "x12": {"qualifier": "ZZ", "id": "EASTWMS", "acknowledgement": "999"},
            "sends": ["x12-944"],
        },
    }
    chosen.update(partners)
    return {
        "runtime": {"database": str(tmp_path / "var" / "distsync.sqlite")},
        "x12": {"qualifier": "ZZ", "id": "NORTHWIND"},
        "partners": chosen,
    }


def landscape(tmp_path: Path, **partners: Any) -> Landscape:
    return build_landscape(landscape_data(tmp_path, **partners), base_dir=tmp_path)


def set_text(set_id: str, control: int, document: BaseModel) -> str:
    """One transaction set (ST..SE) holding ``document``, written by its map."""
    body = map_for(set_id).write(document, MapOptions())
    return transaction_set(set_id, control, body, DELIMITERS)


def group_text(
    functional_id: str,
    control: int,
    sets: Sequence[str],
    *,
    sender: Party = ACME,
    version: str = "004010",
    announced: int | None = None,
) -> str:
    """GS, the sets, GE (``announced``: a GE01 other than the number of sets)."""
    gs = ["GS", functional_id, sender.code, NORTHWIND.code, "20260105", "0930", str(control)]
    count = len(sets) if announced is None else announced
    return (
        segment_text([*gs, "X", version], DELIMITERS)
        + "".join(sets)
        + segment_text(["GE", str(count), str(control)], DELIMITERS)
    )


def interchange(
    control: int, groups: Sequence[str], *, sender: Party = ACME, receiver: Party = NORTHWIND
) -> bytes:
    """ISA, the groups, IEA: one interchange as a partner sends it."""
    envelope = Envelope(sender, receiver, delimiters=DELIMITERS)
    iea = segment_text(["IEA", str(len(groups)), f"{control:09d}"], DELIMITERS)
    return (envelope.isa(control, AT) + "".join(groups) + iea).encode()


def two_po_asn() -> AdvanceShipNotice:
    """A ship notice for two purchase orders, one pallet each."""
    data = example_asn().model_dump(mode="json")
    first, second = data["orders"][0]["packs"]
    data["asn_number"] = "ASN-88121"
    data["orders"] = [
        {"po_number": "PO-2024-00118", "packs": [first]},
        {"po_number": "PO-2024-00119", "packs": [second]},
    ]
    return AdvanceShipNotice.model_validate_json(json.dumps(data))
