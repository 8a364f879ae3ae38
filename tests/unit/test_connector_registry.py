"""The connector registry: built-ins, entry points, landscape checks, and bootstrap's use of it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from distsync.bootstrap import Overrides, build
from distsync.config import SystemConfig, build_landscape
from distsync.connectors.base import register_connector, spec_of
from distsync.connectors.http_json_endpoint import HttpJsonEndpoint, HttpJsonOptions
from distsync.connectors.policy import PolicyConnector
from distsync.connectors.policy_breaker import CircuitBreaker
from distsync.connectors.policy_limits import ConcurrencyLimit, RateLimit, Timeout
from distsync.connectors.registry import (
    BUILTIN,
    ENTRY_POINT_GROUP,
    build_connector,
    connector_types,
    system_validators,
)
from distsync.errors import ConfigError
from distsync.landscape import check_landscape
from distsync.testing import InMemoryMessageLog, RecordingConnector

PLUGIN = """
from pydantic import BaseModel, ConfigDict

from distsync.connectors.base import register_connector


class AcmeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    warehouse: str


@register_connector("{type_name}", config=AcmeOptions)
class AcmeWmsConnector:
    def __init__(self, name, warehouse):
        self.name, self.warehouse = name, warehouse

    @classmethod
    def from_config(cls, name, system, options):
        return cls(name, options.warehouse)

    async def connect(self): ...
    async def send(self, request): ...
    async def close(self): ...
"""


def install_plugin(
    site: Path, module: str, *, type_name: str = "acme-wms", entry_name: str | None = None
) -> Path:
    """A third-party distribution, as pip would leave it: a module and its dist-info."""
    site.mkdir(exist_ok=True)
    (site / f"{module}.py").write_text(PLUGIN.format(type_name=type_name), encoding="utf-8")
    info = site / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n{entry_name or type_name} = {module}:AcmeWmsConnector\n",
        encoding="utf-8",
    )
    return site


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = install_plugin(tmp_path / "site", "acme_wms_discovered")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "acme_wms_discovered", raising=False)
    return site


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "landscape.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


# -- registration ------------------------------------------------------------------------


def test_the_built_in_connectors_are_listed_explicitly() -> None:
    types = connector_types(discovered=[])

    assert HttpJsonEndpoint in BUILTIN
    assert list(types) == [spec_of(cls).type_name for cls in BUILTIN]
    assert types["http-json"].connector is HttpJsonEndpoint
    assert types["http-json"].config is HttpJsonOptions
    assert types["http-json"].origin == "built-in"


def test_registering_attaches_metadata_and_registers_nothing_globally() -> None:
    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

    @register_connector("test-only", config=Options)
    class TestOnly:
        @classmethod
        def from_config(cls, name: str, system: SystemConfig, options: Options) -> Any:
            return cls()

    class Derived(TestOnly):
        pass

    assert spec_of(TestOnly).type_name == "test-only"
    assert "test-only" not in connector_types(discovered=[])
    assert "test-only" in connector_types(builtin=[TestOnly], discovered=[])
    with pytest.raises(ConfigError, match="Derived is not a registered connector"):
        spec_of(Derived)


def test_a_registration_needs_a_strict_config_a_proper_name_and_a_factory() -> None:
    class Loose(BaseModel):
        pass

    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid")

    with pytest.raises(ValueError, match="Loose must forbid extra keys"):
        register_connector("loose", config=Loose)
    with pytest.raises(ValueError, match="use lower-case letters"):
        register_connector("Acme WMS", config=Strict)
    with pytest.raises(TypeError, match="needs a classmethod from_config"):
        register_connector("bare", config=Strict)(type("Bare", (), {}))


# -- entry points ---------------------------------------------------------------------------


def test_a_connector_of_an_installed_distribution_is_discovered(plugin_site: Path) -> None:
    spec = connector_types()["acme-wms"]

    assert spec.connector.__name__ == "AcmeWmsConnector"
    assert spec.origin == (
        "entry point acme-wms = acme_wms_discovered:AcmeWmsConnector of acme_wms_discovered 1.0"
    )
    system = SystemConfig.model_validate({"type": "acme-wms", "warehouse": "EAST"})
    built = build_connector("wms", system)
    assert (built.name, built.warehouse) == ("wms", "EAST")  # type: ignore[attr-defined]


def test_two_connectors_claiming_one_type_is_a_config_error(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site", "acme_clash", type_name="http-json")
    point = EntryPoint("http-json", "acme_clash:AcmeWmsConnector", ENTRY_POINT_GROUP)
    sys.path.insert(0, str(site))
    try:
        with pytest.raises(ConfigError, match="'http-json' is claimed twice"):
            connector_types(discovered=[point])
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("acme_clash", None)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("no_such_module:Connector", "loading connector entry point x = no_such_module"),
        ("distsync.errors:DEFAULT_RESOLUTIONS", "is not a class"),
        ("distsync.errors:ConfigError", "ConfigError is not a registered connector"),
        ("distsync.connectors.http_json_endpoint:HttpJsonEndpoint", "registers type 'http-json'"),
    ],
)
def test_a_broken_entry_point_is_a_config_error_naming_it(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        connector_types(builtin=[], discovered=[EntryPoint("x", value, ENTRY_POINT_GROUP)])


# -- checking a landscape ------------------------------------------------------------------


def test_unknown_option_of_a_system_is_reported_at_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        systems:
          wms:
            type: http-json
            url: http://127.0.0.1:9001
            bach: true
          erp: {type: sap-rfc, url: http://127.0.0.1:8000}
        """,
    )

    report = check_landscape(path, system_validators(), environ={})

    assert [(p.line, p.column, p.key) for p in report.errors] == [
        (5, 5, "systems.wms.bach"),
        (6, 9, "systems.erp.type"),
    ]
    assert report.errors[0].message == "unknown key 'bach'; did you mean 'batch'?"
    assert report.errors[1].message.startswith("unknown system type 'sap-rfc' (known types: ")


def test_policy_keys_are_checked_at_their_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        systems:
          wms:
            type: http-json
            url: http://127.0.0.1:9001
            policy:
              retry: {atempts: 2}
              breaker: {failures: 0}
        """,
    )

    report = check_landscape(path, system_validators(), environ={})

    assert [(p.line, p.key) for p in report.errors] == [
        (6, "systems.wms.policy.retry.atempts"),
        (7, "systems.wms.policy.breaker.failures"),
    ]
    assert report.errors[0].message == "unknown key 'atempts'; did you mean 'attempts'?"


def run_cli(
    *args: str, cwd: Path, pythonpath: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "distsync.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_distsync_check_reports_an_unknown_option_with_its_line_number(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        systems:
          wms-east:
            type: http-json
            url: http://127.0.0.1:9001
            bach: true
        """,
    )

    result = run_cli("check", str(path), cwd=tmp_path)

    assert result.returncode == 1
    assert f"{path}:5:5: systems.wms-east.bach: unknown key 'bach'; did you mean" in result.stdout
    assert "invalid (1 error, 0 warnings)" in result.stdout


def test_distsync_check_knows_the_types_of_installed_distributions(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site", "acme_cli")
    path = write(
        tmp_path,
        """
        systems:
          wms: {type: acme-wms, warehouse: EAST}
          wms-west: {type: acme-wms, warehous: WEST}
        """,
    )

    result = run_cli("check", str(path), cwd=tmp_path, pythonpath=site)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}:3:30: systems.wms-west.warehous: unknown key 'warehous'" in result.stdout


# -- bootstrap -------------------------------------------------------------------------------


def landscape(tmp_path: Path, systems: dict[str, Any]) -> Any:
    return build_landscape({"systems": systems}, base_dir=tmp_path)


def test_bootstrap_builds_a_policy_wrapped_connector_per_declared_system(tmp_path: Path) -> None:
    systems = {
        "wms": {"type": "http-json", "url": "http://127.0.0.1:9001", "timeout_seconds": 5},
        "erp": {
            "type": "http-json",
            "url": "http://127.0.0.1:9002",
            "rate_limit": "10/s",
            "concurrency": 2,
            "policy": {"breaker": {"failures": 7}},
        },
    }
    services = build(
        landscape(tmp_path, systems), overrides=Overrides(backend=InMemoryMessageLog())
    )

    wms, erp = services.connectors["wms"], services.connectors["erp"]
    assert isinstance(wms, PolicyConnector)
    assert isinstance(erp, PolicyConnector)
    assert isinstance(wms.connector, HttpJsonEndpoint)
    assert wms.layer(Timeout).seconds == 5
    assert erp.layer(ConcurrencyLimit).limit == 2
    assert erp.layer(RateLimit).window is not None
    assert erp.layer(CircuitBreaker).breaker.settings.failures == 7
    exposed = services.metrics.exposition().decode()
    assert 'distsync_connector_breaker_state{system="erp"} 0.0' in exposed


def test_overrides_win_over_the_landscape(tmp_path: Path) -> None:
    recording = RecordingConnector()
    systems = {"wms": {"type": "http-json", "url": "http://127.0.0.1:9001"}}
    overrides = Overrides(backend=InMemoryMessageLog(), connectors={"wms": recording})

    services = build(landscape(tmp_path, systems), overrides=overrides)

    assert services.connectors == {"wms": recording}


def test_a_system_of_an_unknown_type_fails_at_start_up(tmp_path: Path) -> None:
    systems = {"erp": {"type": "sap-rfc", "url": "http://127.0.0.1:9001"}}

    with pytest.raises(ConfigError, match="system erp: unknown type 'sap-rfc'"):
        build(landscape(tmp_path, systems), overrides=Overrides(backend=InMemoryMessageLog()))


def test_an_http_json_system_needs_a_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"system wms \(http-json\) needs a url"):
        build_connector("wms", SystemConfig.model_validate({"type": "http-json"}))
