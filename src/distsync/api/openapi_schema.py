"""Request-body schemas for routes that read their body themselves.

A route that parses its raw body (for speed, or to name every wrong field
its own way) declares the body's schema through ``openapi_extra``. A
pydantic model's JSON Schema keeps its sub-models under ``$defs`` and points
at them with ``#/$defs/...``, which means nothing inside the OpenAPI
document: clients and schemathesis could not resolve it.
:func:`json_body` inlines every such reference, so the schema stands alone.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["json_body"]

MAX_DEPTH = 32


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a required JSON body of ``model``, its references inlined."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(schema, definitions, 0)}},
        }
    }


def _inline(node: Any, definitions: dict[str, Any], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError("a schema nested deeper than 32 levels (a recursive model?)")
    if isinstance(node, list):
        return [_inline(item, definitions, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        target = definitions[reference.removeprefix("#/$defs/")]
        rest = {key: value for key, value in node.items() if key != "$ref"}
        return _inline(target | rest, definitions, depth + 1)
    return {key: _inline(value, definitions, depth + 1) for key, value in node.items()}
