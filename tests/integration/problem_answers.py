"""The assertion every API test makes of a refusal: its status, its code, problem+json."""

from __future__ import annotations

from typing import Any


def assert_problem(response: Any, status: int, error: str) -> dict[str, Any]:
    """``response`` is an ``application/problem+json`` refusal with ``status`` and ``error``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["status"], body["error"], body["type"]) == (
        status,
        error,
        f"urn:distsync:problem:{error}",
    )
    return body
