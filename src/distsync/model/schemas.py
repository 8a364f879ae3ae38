"""JSON Schema export and the schema version lock.

Partners and other systems hold on to a document's JSON Schema, so a change
to a model must come with a new version of its document type. The lock file
``schema_lock.json`` (next to this module) records, for every document type
and every version it ever had, the fingerprint of its schema::

    {"purchase_order": {"1": "5f0c...", "2": "a41e..."}, ...}

:func:`check_lock` compares the models with the lock and lists what is wrong;
a test runs it, so a model that changes without a version bump fails the
build. :func:`update_lock` records new versions and never rewrites a recorded
one. The fingerprint covers what validates and what is emitted (the
validation and serialization schemas) and ignores annotations such as titles
and descriptions: editing a docstring needs no bump, renaming a field does.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from distsync.errors import DistsyncError
from distsync.model import catalog
from distsync.model.catalog import DocumentSpec

__all__ = [
    "LOCK_FILE_NAME",
    "SchemaLockError",
    "check_lock",
    "default_lock_path",
    "export_schemas",
    "fingerprint",
    "json_schema",
    "locked_specs",
    "read_lock",
    "schema_file_name",
    "update_lock",
]

LOCK_FILE_NAME = "schema_lock.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_ANNOTATIONS = frozenset({"title", "description", "examples", "$comment"})
_SCHEMA_MAPS = frozenset({"properties", "$defs", "patternProperties", "dependentSchemas"})
_DATA_KEYWORDS = frozenset({"default", "const", "enum"})

Lock = dict[str, dict[str, str]]


class SchemaLockError(DistsyncError):
    """Updating the lock would rewrite the fingerprint of a recorded version."""


def locked_specs() -> list[DocumentSpec]:
    """Every spec under the lock: the documents, then the envelope."""
    return [*catalog.DOCUMENTS.values(), catalog.ENVELOPE]


def schema_id(spec: DocumentSpec) -> str:
    """The ``$id`` of a spec's schema: ``urn:distsync:schema:purchase_order:v1``."""
    return f"urn:distsync:schema:{spec.name}:v{spec.version}"


def schema_file_name(spec: DocumentSpec) -> str:
    """``purchase_order.v1.schema.json``."""
    return f"{spec.name}.v{spec.version}.schema.json"


def json_schema(spec: DocumentSpec) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) that a payload of ``spec`` validates against."""
    schema = spec.model.model_json_schema(mode="validation")
    schema.pop("title", None)
    header = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id(spec),
        "title": f"{spec.name} v{spec.version}",
    }
    return header | schema


def fingerprint(spec: DocumentSpec) -> str:
    """The sha256 (hex) of the canonical JSON of the spec's wire contract."""
    contract = {
        "validation": _wire_contract(spec.model.model_json_schema(mode="validation")),
        "serialization": _wire_contract(spec.model.model_json_schema(mode="serialization")),
    }
    canonical = json.dumps(contract, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _wire_contract(node: Any) -> Any:
    """A schema without its annotations: only what decides validity and output."""
    if isinstance(node, list):
        return [_wire_contract(item) for item in node]
    if not isinstance(node, dict):
        return node
    contract: dict[str, Any] = {}
    for key, value in node.items():
        if key in _ANNOTATIONS:
            continue
        if key in _DATA_KEYWORDS:
            contract[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            contract[key] = {name: _wire_contract(sub) for name, sub in value.items()}
        else:
            contract[key] = _wire_contract(value)
    return contract


def export_schemas(directory: Path) -> list[Path]:
    """Write ``<name>.v<version>.schema.json`` for every document and the envelope."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in locked_specs():
        path = directory / schema_file_name(spec)
        path.write_text(json.dumps(json_schema(spec), indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def default_lock_path() -> Path:
    """``schema_lock.json`` next to this module."""
    return Path(__file__).with_name(LOCK_FILE_NAME)


def read_lock(lock_path: Path | None = None) -> Lock:
    """The recorded fingerprints: name -> {version: fingerprint}; empty when no lock exists."""
    path = lock_path or default_lock_path()
    if not path.exists():
        return {}
    recorded: Lock = json.loads(path.read_text(encoding="utf-8"))
    return recorded


def check_lock(lock_path: Path | None = None) -> list[str]:
    """What is wrong between the models and the lock; empty when they agree."""
    lock = read_lock(lock_path)
    problems = []
    for spec in locked_specs():
        problem = _lock_problem(spec, lock.get(spec.name, {}), fingerprint(spec))
        if problem:
            problems.append(problem)
    return problems


def _lock_problem(spec: DocumentSpec, recorded: dict[str, str], current: str) -> str | None:
    newest = max((int(version) for version in recorded), default=0)
    if newest > spec.version:
        return (
            f"{spec.name} is at version {spec.version} but {LOCK_FILE_NAME} records "
            f"version {newest}: versions never go back"
        )
    locked = recorded.get(str(spec.version))
    if locked is None:
        return (
            f"{spec.name} v{spec.version} is not recorded in {LOCK_FILE_NAME}: "
            "run `distsync schema lock`"
        )
    if locked != current:
        return (
            f"{spec.name} changed without a schema version bump (version {spec.version} "
            f"is locked as {locked[:12]}, the model now gives {current[:12]}): raise its "
            f"version to {spec.version + 1} in model/catalog.py and run `distsync schema lock`"
        )
    return None


def update_lock(lock_path: Path | None = None) -> list[str]:
    """Record the current version of every spec; return what was added (``"asn v2"``).

    Raises SchemaLockError, and writes nothing, when a recorded version's
    fingerprint differs from the model's: that version is published and a
    changed model needs a new version instead.
    """
    path = lock_path or default_lock_path()
    lock = read_lock(path)
    added = []
    for spec in locked_specs():
        recorded = lock.setdefault(spec.name, {})
        current = fingerprint(spec)
        locked = recorded.get(str(spec.version))
        if locked is not None and locked != current:
            raise SchemaLockError(
                f"refusing to rewrite the fingerprint of {spec.name} v{spec.version} in "
                f"{path}: that version is recorded; raise the version in model/catalog.py"
            )
        if locked is None:
            recorded[str(spec.version)] = current
            added.append(f"{spec.name} v{spec.version}")
    if added:
        _write_lock(path, lock)
    return added


def _write_lock(path: Path, lock: Lock) -> None:
    ordered = {
        name: dict(sorted(versions.items(), key=lambda item: int(item[0])))
        for name, versions in sorted(lock.items())
    }
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(ordered, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
