"""A canonical document as the X12 interchange one partner receives.

``write_body`` writes one document as a transaction set's body with the
partner's declared map options; ``render`` wraps it in one interchange
holding one functional group with that one set: our own identity (the
landscape's top-level ``x12``) as sender, the partner's identity, version,
delimiters and usage (``partners.<name>.x12``), and the control numbers
handed in. ``render_document`` does both, drawing the numbers from the
persistent per-partner counters (``ControlNumbers.assign``) under a
deterministic key in between, so the same key always gets the same ISA13,
GS06 and ST02, and a document refused by its map draws none.

Both ``distsync edi render`` and the partner channel (``channel.py``) write
through here; the channel keeps the text it sent so that a retry is
byte-identical (the date and time in ISA/GS are part of the bytes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from distsync.config import Landscape
from distsync.config_x12 import X12Identity
from distsync.errors import ConfigError, SchemaViolation
from distsync.formats.x12.delimiters import Delimiters
from distsync.formats.x12.maps.registry import map_for
from distsync.formats.x12.writer import Envelope, Fields, Party
from distsync.model.base import Document
from distsync.runtime.ports import ControlNumbers
from distsync.x12_partners import map_options

__all__ = [
    "KINDS",
    "Body",
    "Controls",
    "Rendered",
    "assign_controls",
    "own_identity",
    "partner_identity",
    "read_document",
    "render",
    "render_document",
    "write_body",
    "x12_delimiters",
]

KINDS = ("isa", "gs", "st")
MAX_REPORTED_ERRORS = 10

Controls = tuple[int, int, int]
"""ISA13, GS06 and the first ST02 of one interchange."""


@dataclass(frozen=True)
class Body:
    """A transaction set's body written for a partner, before it has control numbers."""

    set_id: str
    functional_id: str
    document_number: str
    segments: tuple[Fields, ...]


@dataclass(frozen=True)
class Rendered:
    """One interchange written for a partner, and the numbers that identify it."""

    partner: str
    set_id: str
    functional_id: str
    document_number: str
    interchange_control: int
    group_control: int
    set_control: int
    text: str

    @property
    def isa13(self) -> str:
        return f"{self.interchange_control:09d}"

    @property
    def st02(self) -> str:
        return f"{self.set_control:04d}"


def own_identity(landscape: Landscape) -> X12Identity:
    """Our interchange identity, or a ``ConfigError`` saying how to declare it."""
    if landscape.x12 is None:
        raise ConfigError(
            "writing X12: the landscape has no x12 identity of our own; add "
            "x12: {qualifier: ZZ, id: YOURID} at the top of the landscape file"
        )
    return landscape.x12


def partner_identity(landscape: Landscape, partner: str) -> X12Identity:
    """The partner's X12 profile, or a ``ConfigError`` naming the partner."""
    found = landscape.partners.get(partner)
    if found is None or found.x12 is None:
        raise ConfigError(
            f"writing X12 for {partner!r}: no partner of that name with an x12 profile"
        )
    return found.x12


def x12_delimiters(identity: X12Identity) -> Delimiters:
    """The separators the partner wants, as the writer takes them."""
    d = identity.delimiters
    return Delimiters(d.element, d.component, d.segment, d.repetition, "\n" if d.line_break else "")


async def assign_controls(numbers: ControlNumbers, partner: str, key: str) -> Controls:
    """ISA13, GS06 and ST02 for one outbound interchange, from the persistent counters."""
    isa, gs, st = [(await numbers.assign(partner, kind, key))[0] for kind in KINDS]
    return isa, gs, st


def read_document(
    set_id: str, identity: X12Identity, raw: bytes | Mapping[str, Any], *, partner: str
) -> BaseModel:
    """The canonical document a set's map writes, validated; errors name document and fields."""
    chosen = map_for(set_id, identity.map_version(set_id))
    data = raw if isinstance(raw, bytes) else orjson.dumps(dict(raw))
    try:
        return chosen.document.model_validate_json(data, strict=True)
    except ValidationError as exc:
        raise SchemaViolation(_refusal(set_id, partner, chosen.document, data, exc)) from exc


def write_body(landscape: Landscape, partner: str, set_id: str, document: BaseModel) -> Body:
    """The transaction set's body as the partner's map options write it (no numbers yet)."""
    theirs = partner_identity(landscape, partner)
    chosen = map_for(set_id, theirs.map_version(set_id))
    segments = chosen.write(document, map_options(theirs, set_id, theirs.version))
    number = document.document_number() if isinstance(document, Document) else ""
    return Body(set_id, chosen.functional_id, number, tuple(segments))


def render(
    landscape: Landscape, partner: str, body: Body, *, controls: Controls, at: datetime
) -> Rendered:
    """``body`` in the interchange ``partner`` receives (pure: no counters, no clock)."""
    ours = own_identity(landscape)
    theirs = partner_identity(landscape, partner)
    envelope = Envelope(
        Party(ours.qualifier, ours.id, ours.application),
        Party(theirs.qualifier, theirs.id, theirs.application),
        version=theirs.gs_version,
        delimiters=x12_delimiters(theirs),
        usage=theirs.usage,
    )
    isa, gs, st = controls
    text = envelope.interchange(
        body.functional_id, [(body.set_id, body.segments)], interchange_control=isa,
        group_control=gs, first_set_control=st, at=at,
    )  # fmt: skip
    return Rendered(
        partner, body.set_id, body.functional_id, body.document_number, isa, gs, st, text
    )


async def render_document(
    landscape: Landscape,
    numbers: ControlNumbers,
    partner: str,
    set_id: str,
    raw: bytes | Mapping[str, Any],
    *,
    key: str,
    at: datetime,
) -> Rendered:
    """Validate and write ``raw``, then draw the numbers of ``key`` and wrap it.

    Everything that can refuse the document runs before a number is drawn, so
    a refused document leaves no gap in the partner's control numbers.
    """
    own_identity(landscape)
    document = read_document(set_id, partner_identity(landscape, partner), raw, partner=partner)
    body = write_body(landscape, partner, set_id, document)
    controls = await assign_controls(numbers, partner, key)
    return render(landscape, partner, body, controls=controls, at=at)


def _refusal(
    set_id: str, partner: str, model: type[BaseModel], data: bytes, exc: ValidationError
) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    action = f"rendering {set_id} for {partner}"
    if errors and errors[0]["type"] == "json_invalid":
        return f"{action}: the document is not JSON: {errors[0]['msg']}"
    subject = _subject(model, data)
    shown = []
    for error in errors[:MAX_REPORTED_ERRORS]:
        path = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ").removeprefix(f"{subject}: ")
        shown.append(f"{path}: {message}" if path else message)
    return f"{action}: {subject} is not valid: {'; '.join(shown)}"


def _subject(model: type[BaseModel], data: bytes) -> str:
    """How messages name the document: ``purchase order PO-1`` (its kind and number)."""
    kind = getattr(model, "kind", None)
    subject = kind if isinstance(kind, str) else model.__name__
    number_field = getattr(model, "number_field", None)
    parsed = orjson.loads(data)
    number = parsed.get(number_field) if isinstance(parsed, dict) and number_field else None
    return f"{subject} {number[:64]}" if isinstance(number, str) else subject
