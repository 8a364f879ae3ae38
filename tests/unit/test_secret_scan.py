"""The suite-wide secret scan (``tests/secret_scan.py``), run on small inner pytest sessions.

The inner sessions run in a subprocess: in-process, their deliberate leaks
would be seen by this session's own scan.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PLUGIN = Path(__file__).parents[1] / "secret_scan.py"

LEAKY = """
import logging
import subprocess
import sys

import pytest
import structlog
import typer
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from typer.testing import CliRunner

from distsync.redaction import register_secret
import secret_scan

TOKEN = "wms-token-4f9c2a7e"


def echo_app(value: str) -> TestClient:
    async def page(request):
        return PlainTextResponse(f"your token is {value}")
    return TestClient(Starlette(routes=[Route("/", page)]))


def test_logs_a_registered_secret():
    register_secret(TOKEN)
    structlog.get_logger().info("calling wms", action="wms.call", note=f"with {TOKEN}")


def test_answers_with_a_secret_set_in_the_environment(monkeypatch):
    monkeypatch.setenv("SHOP_WEBHOOK_SECRET", "hmac-key-77aa01")
    assert echo_app("hmac-key-77aa01").get("/").status_code == 200


def test_uvicorn_style_log_of_a_token_in_a_url():
    register_secret("query-token-93bd")
    logging.getLogger("uvicorn.error").warning("GET /v1/x?t=%s failed", "query-token-93bd")


def test_cli_prints_a_secret_to_stderr():
    register_secret("cli-secret-5e5e5e")
    code = "import sys; print(sys.argv[2], file=sys.stderr)"
    subprocess.run([sys.executable, "-c", code, "distsync", "cli-secret-5e5e5e"],
                   capture_output=True, text=True, check=True)


def test_an_in_process_command_prints_a_secret():
    register_secret("runner-secret-2d2d")
    app = typer.Typer()

    @app.command()
    def show() -> None:
        typer.echo("runner-secret-2d2d")

    assert CliRunner().invoke(app, []).exit_code == 0


def test_an_expected_secret_may_be_shown_in_a_response_only():
    register_secret("issued-token-0c0c0c")
    secret_scan.expect_shown("issued-token-0c0c0c")
    assert "issued-token-0c0c0c" in echo_app("issued-token-0c0c0c").get("/").text


@pytest.mark.shows_secret
def test_a_marked_test_may_see_secrets_in_responses():
    register_secret("api-key-created-1b1b")
    assert "api-key-created-1b1b" in echo_app("api-key-created-1b1b").get("/").text
"""

CLEAN = """
import io
import logging

import structlog
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from distsync.redaction import register_secret
from distsync.telemetry import configure_logging, get_logger


def test_redacted_logs_and_clean_responses_pass(monkeypatch):
    monkeypatch.setenv("ERP_PASSWORD", "erp-password-9a9a")
    register_secret("erp-password-9a9a")
    configure_logging("info", stream=io.StringIO())
    get_logger().error("login refused", action="erp.login", error="bad erp-password-9a9a")
    logging.getLogger("uvicorn.error").warning("login for %s refused", "distsync")

    async def page(request):
        return JSONResponse({"status": "refused", "system": "erp"})

    assert TestClient(Starlette(routes=[Route("/", page)])).get("/").status_code == 200
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("DISTSYNC_SECRET_SCAN", raising=False)
    pytester.makepyfile(secret_scan=PLUGIN.read_text())
    pytester.makeconftest('pytest_plugins = ["secret_scan"]')
    return pytester


def test_a_secret_in_a_log_response_or_cli_output_fails_the_session(
    inner: pytest.Pytester,
) -> None:
    inner.makepyfile(test_leaky=LEAKY)
    result = inner.runpytest_subprocess("-p", "no:cacheprovider")
    report = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, report
    result.assert_outcomes(passed=7)
    leaks = [line for line in result.outlines if " secret " in line and " in " in line]
    assert sorted(leak.split("::")[1].split(":")[0] for leak in leaks) == [
        "test_an_in_process_command_prints_a_secret",
        "test_answers_with_a_secret_set_in_the_environment",
        "test_cli_prints_a_secret_to_stderr",
        "test_logs_a_registered_secret",
        "test_uvicorn_style_log_of_a_token_in_a_url",
    ], report
    assert "secret wms… (18 chars) in log (structlog)" in report
    assert "secret hma… (15 chars) in response 200 GET http://testserver/" in report
    assert "secret que… (16 chars) in log (uvicorn.error)" in report
    assert "secret cli… (17 chars) in cli stderr" in report
    assert "secret run… (18 chars) in cli stdout" in report
    assert "with ***" in report
    for value in ("wms-token-4f9c2a7e", "hmac-key-77aa01", "query-token-93bd"):
        assert value not in report


def test_a_session_whose_secrets_stay_hidden_passes(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_clean=CLEAN)
    result = inner.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert "secret scan" not in result.stdout.str()


def test_the_scan_can_be_switched_off(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISTSYNC_SECRET_SCAN", "0")
    inner.makepyfile(test_leaky=LEAKY)
    result = inner.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
