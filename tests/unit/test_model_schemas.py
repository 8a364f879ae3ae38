"""Schema export and the version lock: a model never changes without a version bump."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from distsync.model import catalog
from distsync.model.catalog import DOCUMENTS, DocumentSpec
from distsync.model.procurement import PurchaseOrder
from distsync.model.schemas import (
    SchemaLockError,
    check_lock,
    default_lock_path,
    export_schemas,
    fingerprint,
    json_schema,
    locked_specs,
    read_lock,
    update_lock,
)


class PurchaseOrderWithPriority(PurchaseOrder):
    """A purchase order that grew a field: a schema change."""

    priority: int = 0


class PurchaseOrderRedocumented(PurchaseOrder):
    """The same purchase order with another docstring: no schema change."""


def replace_spec(monkeypatch: pytest.MonkeyPatch, name: str, **changes: object) -> DocumentSpec:
    spec = dataclasses.replace(DOCUMENTS[name], **changes)  # type: ignore[arg-type]
    monkeypatch.setattr(catalog, "DOCUMENTS", {**DOCUMENTS, name: spec})
    return spec


@pytest.fixture
def lock_copy(tmp_path: Path) -> Path:
    path = tmp_path / "schema_lock.json"
    shutil.copy(default_lock_path(), path)
    return path


def test_the_committed_lock_matches_every_model() -> None:
    # Fails when a model changes without a version bump: raise the version in
    # model/catalog.py and run `distsync schema lock`.
    assert check_lock() == []


def test_the_committed_lock_records_every_document_and_the_envelope() -> None:
    lock = read_lock()
    for spec in locked_specs():
        assert str(spec.version) in lock[spec.name], spec.name


def test_a_changed_model_without_a_version_bump_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    replace_spec(monkeypatch, "purchase_order", model=PurchaseOrderWithPriority)
    problems = check_lock()
    assert len(problems) == 1
    assert problems[0].startswith(
        "purchase_order changed without a schema version bump (version 1 is locked as "
    )
    assert "raise its version to 2 in model/catalog.py" in problems[0]


def test_a_bumped_version_must_be_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    replace_spec(monkeypatch, "purchase_order", model=PurchaseOrderWithPriority, version=2)
    assert check_lock() == [
        "purchase_order v2 is not recorded in schema_lock.json: run `distsync schema lock`"
    ]


def test_a_version_never_goes_back(monkeypatch: pytest.MonkeyPatch, lock_copy: Path) -> None:
    lock = read_lock(lock_copy)
    lock["asn"]["2"] = "0" * 64
    lock_copy.write_text(json.dumps(lock))
    assert check_lock(lock_copy) == [
        "asn is at version 1 but schema_lock.json records version 2: versions never go back"
    ]


def test_docstrings_are_not_part_of_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    original = DOCUMENTS["purchase_order"]
    redocumented = replace_spec(monkeypatch, "purchase_order", model=PurchaseOrderRedocumented)
    assert fingerprint(redocumented) == fingerprint(original)
    assert check_lock() == []


def test_update_lock_records_a_new_version_and_keeps_the_old(
    monkeypatch: pytest.MonkeyPatch, lock_copy: Path
) -> None:
    old = read_lock(lock_copy)["purchase_order"]["1"]
    spec = replace_spec(monkeypatch, "purchase_order", model=PurchaseOrderWithPriority, version=2)
    assert update_lock(lock_copy) == ["purchase_order v2"]
    recorded = read_lock(lock_copy)["purchase_order"]
    assert recorded == {"1": old, "2": fingerprint(spec)}
    assert check_lock(lock_copy) == []
    assert update_lock(lock_copy) == []


def test_update_lock_refuses_to_rewrite_a_recorded_version(
    monkeypatch: pytest.MonkeyPatch, lock_copy: Path
) -> None:
    before = lock_copy.read_text()
    replace_spec(monkeypatch, "purchase_order", model=PurchaseOrderWithPriority)
    with pytest.raises(SchemaLockError, match="refusing to rewrite the fingerprint of"):
        update_lock(lock_copy)
    assert lock_copy.read_text() == before


def test_update_lock_starts_a_missing_lock(tmp_path: Path) -> None:
    path = tmp_path / "schema_lock.json"
    added = update_lock(path)
    assert len(added) == len(locked_specs())
    assert read_lock(path) == read_lock()


def test_json_schema_carries_name_and_version() -> None:
    schema = json_schema(DOCUMENTS["purchase_order"])
    assert schema["$id"] == "urn:distsync:schema:purchase_order:v1"
    assert schema["title"] == "purchase_order v1"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert "po_number" in schema["required"]


def test_json_schema_shows_decimals_as_strings_or_integers_never_numbers() -> None:
    money = json_schema(DOCUMENTS["invoice"])["$defs"]["Money"]["properties"]["amount"]
    assert [option["type"] for option in money["anyOf"]] == ["string", "integer"]


def test_export_writes_one_valid_schema_per_type_with_its_version(tmp_path: Path) -> None:
    written = export_schemas(tmp_path / "schemas")
    by_file = {f"{spec.name}.v{spec.version}.schema.json": spec for spec in locked_specs()}
    assert sorted(path.name for path in written) == sorted(by_file)
    assert "envelope.v1.schema.json" in by_file
    for path in written:
        schema = json.loads(path.read_text(encoding="utf-8"))
        spec = by_file[path.name]
        assert schema["$id"] == f"urn:distsync:schema:{spec.name}:v{spec.version}"
        assert schema["type"] == "object"
