"""``distsync serve`` with a ``security`` section, as an operator runs it: keys, tokens, refusals.

A landscape file with one partner and two API clients; ``distsync auth keys
init`` makes the key ring; ``distsync serve --role api`` runs in its own
process on 127.0.0.1. A partner's client gets a token from ``/oauth/token``
and submits a document; what it may not do is refused; the operator's client
reads the operations API; SIGTERM stops the server cleanly. Without a
``security`` section, listening beyond loopback is refused before anything
starts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from distsync.model.examples import example_po_ack
from tests.integration.test_api_health import free_port, wait_until_healthy

ACME_SECRET = "acme-portal-secret-e2e-4b7f"
OPS_SECRET = "ops-console-secret-e2e-91ac"
LANDSCAPE = """
runtime:
  database: var/distsync.sqlite
partners:
  acme: {kind: supplier, party_id: SUP-ACME, sends: [json-po_ack]}
  globex: {kind: supplier, party_id: SUP-GLOBEX, sends: [json-po_ack]}
security:
  token_ttl_seconds: 300
  clients:
    acme-portal: {client_secret_env: ACME_PORTAL_SECRET, scopes: [inbound:write], partner: acme}
    ops-console: {client_secret_env: OPS_CONSOLE_SECRET, scopes: [ops:read]}
"""


def environment() -> dict[str, str]:
    return os.environ | {"ACME_PORTAL_SECRET": ACME_SECRET, "OPS_CONSOLE_SECRET": OPS_SECRET}


def distsync(landscape: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "distsync.cli", "-l", str(landscape), *args]
    return subprocess.run(
        command, cwd=landscape.parent, env=environment(), capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture
def landscape(tmp_path: Path) -> Path:
    path = tmp_path / "landscape.yaml"
    path.write_text(LANDSCAPE, encoding="utf-8")
    keys = distsync(path, "auth", "keys", "init")
    assert keys.returncode == 0, keys.stderr
    return path


@pytest.fixture
def server(landscape: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    command = [sys.executable, "-m", "distsync.cli", "-l", str(landscape), "serve",
               "--role", "api", "--port", str(port)]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=landscape.parent, env=environment(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def token(base: str, client_id: str, secret: str) -> str:
    answer = httpx.post(
        f"{base}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert answer.status_code == 200, answer.text
    value: str = answer.json()["access_token"]
    return value


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def test_a_partner_submits_with_a_token_and_is_refused_everything_else(
    server: tuple[str, subprocess.Popen[str]],
) -> None:
    base, process = server
    document = example_po_ack().model_dump_json().encode()
    acme = token(base, "acme-portal", ACME_SECRET)

    taken = httpx.post(f"{base}/v1/inbound/acme/po_ack", content=document, headers=bearer(acme))
    anonymous = httpx.post(f"{base}/v1/inbound/acme/po_ack", content=document)
    as_globex = httpx.post(
        f"{base}/v1/inbound/globex/po_ack", content=document, headers=bearer(acme)
    )
    reading = httpx.get(f"{base}/ops/messages", headers=bearer(acme))
    wrong_secret = httpx.post(
        f"{base}/oauth/token", data={"grant_type": "client_credentials"},
        auth=("acme-portal", "not-the-secret"),
    )  # fmt: skip

    assert taken.status_code == 202, taken.text
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert as_globex.status_code == 403
    assert reading.status_code == 403
    assert (wrong_secret.status_code, wrong_secret.json()["error"]) == (401, "invalid_client")

    ops = token(base, "ops-console", OPS_SECRET)
    listed = httpx.get(f"{base}/ops/messages", headers=bearer(ops))
    assert listed.status_code == 200
    assert taken.json()["event_id"] in {message["event_id"] for message in listed.json()["items"]}
    assert httpx.get(f"{base}/metrics", headers=bearer(ops)).status_code == 200
    assert httpx.get(f"{base}/metrics").status_code == 401

    process.send_signal(signal.SIGTERM)
    _, logs = process.communicate(timeout=30)
    assert process.returncode == 0, logs
    for secret in (ACME_SECRET, OPS_SECRET, acme, ops):
        assert secret not in logs


def test_without_a_security_section_only_loopback_may_be_served(tmp_path: Path) -> None:
    path = tmp_path / "landscape.yaml"
    path.write_text("runtime:\n  database: var/distsync.sqlite\n", encoding="utf-8")

    refused = distsync(path, "serve", "--role", "api", "--host", "0.0.0.0", "--port", "0")

    assert refused.returncode == 1
    assert "binding to 0.0.0.0 without a security section" in refused.stderr
