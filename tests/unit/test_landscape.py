"""Loading and checking a landscape file: every problem, with its line and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from distsync.config import Landscape
from distsync.errors import ConfigError
from distsync.landscape import (
    CheckReport,
    LandscapeError,
    Problem,
    check_landscape,
    load_landscape,
    validate_system_options,
)

LANDSCAPES = Path(__file__).parent / "landscapes"
DOCS = Path(__file__).parents[2] / "docs" / "configuration.md"
SECRETS = {"ERP_PASSWORD": "x", "WMS_EAST_TOKEN": "y"}


def write(tmp_path: Path, text: str, name: str = "landscape.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def check(path: Path, **kwargs: object) -> CheckReport:
    return check_landscape(path, environ=SECRETS, **kwargs)  # type: ignore[arg-type]


def where(problems: list[Problem]) -> list[tuple[int | None, int | None, str]]:
    return [(p.line, p.column, p.key) for p in problems]


def test_the_full_example_loads() -> None:
    landscape = load_landscape(LANDSCAPES / "full.yaml")

    erp = landscape.systems["erp"]
    assert erp.type == "tryton"
    assert erp.rate_limit == 20.0
    assert erp.secret_env == {"password_env": "ERP_PASSWORD"}
    assert erp.options == {"database": "dist", "user": "distsync"}
    assert landscape.ownership == {"item.financial": "erp", "stock.on_hand": "wms-*"}
    acme = landscape.partners["acme"]
    assert acme.x12 is not None
    assert acme.x12.version == "004010"
    assert acme.sku_xref == str(LANDSCAPES / "xref" / "acme.csv")
    assert landscape.flows.procure.asn_date_tolerance_days == 2
    assert landscape.runtime.subscriptions["procure.asn"].ordered


def test_the_full_example_checks_clean_when_its_secrets_are_set() -> None:
    report = check(LANDSCAPES / "full.yaml")

    assert report.ok
    assert report.warnings == []
    assert report.landscape is not None


def test_the_full_example_in_the_configuration_reference_loads(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8").split("## The full example", 1)[1]
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]

    report = check(write(tmp_path, example))

    assert report.errors == []
    assert report.landscape is not None
    assert report.landscape.runtime.subscription_policy("procure.documents").retry.max_attempts == 5


def test_a_loaded_landscape_survives_a_round_trip_through_plain_data() -> None:
    landscape = load_landscape(LANDSCAPES / "full.yaml")

    assert Landscape.model_validate(landscape.model_dump()) == landscape


def test_the_design_example_is_refused_for_naming_an_undeclared_pim_system() -> None:
    report = check(LANDSCAPES / "design_section5.yaml")

    assert where(report.errors) == [(7, 17, "ownership.item.content")]
    assert "'pim' matches no system" in report.errors[0].message


@pytest.mark.parametrize(
    ("text", "line", "column", "key"),
    [
        ("tenant: t\ncolour: blue\n", 2, 1, "colour"),
        ("runtime:\n  batch_size: 5\n  batchsize: 5\n", 3, 3, "runtime.batchsize"),
        ("runtime:\n  retry:\n    attempts: 3\n", 3, 5, "runtime.retry.attempts"),
        (
            "partners:\n  acme:\n    kind: supplier\n"
            "    x12: {qualifier: ZZ, id: A, version: '004010', vers: 1}\n",
            4,
            52,
            "partners.acme.x12.vers",
        ),
        (
            "partners:\n  acme:\n    kind: carrier\n"
            "    channel:\n      transport: http\n      colour: blue\n",
            6,
            7,
            "partners.acme.channel.colour",
        ),
    ],
)
def test_unknown_key_is_reported_with_its_line_number(
    tmp_path: Path, text: str, line: int, column: int, key: str
) -> None:
    report = check(write(tmp_path, text))

    assert where(report.errors) == [(line, column, key)]
    assert report.errors[0].message.startswith(f"unknown key {key.rsplit('.', 1)[-1]!r}")


def test_unknown_key_suggests_the_closest_known_key(tmp_path: Path) -> None:
    report = check(write(tmp_path, "runtime:\n  lease_secs: 10\n"))

    assert report.errors[0].message == "unknown key 'lease_secs'; did you mean 'lease_seconds'?"


def test_unknown_key_without_a_close_match_lists_the_allowed_keys(tmp_path: Path) -> None:
    report = check(write(tmp_path, "runtime:\n  http: {bind: x}\n"))

    assert report.errors[0].message == "unknown key 'bind'; allowed here: host, port"


@pytest.mark.parametrize("key", ["password", "token", "secret", "api_key", "client_secret"])
def test_inline_secret_is_refused(tmp_path: Path, key: str) -> None:
    path = write(tmp_path, f"systems:\n  erp:\n    type: tryton\n    {key}: hunter2\n")

    report = check(path)

    assert where(report.errors) == [(4, 5, f"systems.erp.{key}")]
    assert report.errors[0].message == (
        f"secrets never sit in the landscape file: use {key}_env or {key}_file"
    )


def test_refusing_an_inline_secret_never_repeats_the_secret(tmp_path: Path) -> None:
    path = write(tmp_path, "systems:\n  erp: {type: tryton, password: 'p@ss word!'}\n")

    with pytest.raises(LandscapeError) as caught:
        load_landscape(path)

    assert "p@ss word" not in str(caught.value)


def test_inline_secret_in_a_partner_channel_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        partners:
          acme:
            kind: supplier
            channel: {transport: sftp, url: sftp://h/in, password: hunter2}
        """,
    )

    report = check(path)

    assert where(report.errors) == [(4, 50, "partners.acme.channel.password")]
    assert report.errors[0].message.startswith("secrets never sit in the landscape file")


@pytest.mark.parametrize(("written", "number"), [("004010", 2056), ("005010", 2568)])
def test_unquoted_x12_version_gets_the_quoting_hint(
    tmp_path: Path, written: str, number: int
) -> None:
    path = write(
        tmp_path,
        f"""
        partners:
          acme:
            kind: supplier
            x12:
              qualifier: ZZ
              id: ACME
              version: {written}
        """,
    )

    report = check(path)

    assert where(report.errors) == [(7, 16, "partners.acme.x12.version")]
    assert f'version: "{written}"' in report.errors[0].message
    assert str(number) in report.errors[0].message


def test_quoted_x12_version_outside_the_supported_ones_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "partners:\n  acme:\n    kind: supplier\n"
        "    x12: {qualifier: ZZ, id: ACME, version: '003060'}\n",
    )

    report = check(path)

    assert report.errors[0].key == "partners.acme.x12.version"
    assert "'004010' or '005010'" in report.errors[0].message


@pytest.mark.parametrize("owner", ["pim", "wms-*"])
def test_ownership_naming_an_undeclared_system_is_an_error(tmp_path: Path, owner: str) -> None:
    path = write(
        tmp_path,
        f"""
        systems:
          erp: {{type: tryton}}
        ownership:
          item.financial: erp
          item.content: {owner}
        """,
    )

    report = check(path)

    assert where(report.errors) == [(5, 17, "ownership.item.content")]
    assert report.errors[0].message == f"{owner!r} matches no system declared under systems"


def test_ownership_glob_matching_a_declared_system_is_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        systems:
          wms-east: {type: wms-rest}
          wms-west: {type: wms-rest}
        ownership:
          stock.on_hand: wms-*
        """,
    )

    assert check(path).ok


@pytest.mark.parametrize("rate", ["fast", "20/fortnight", "0/s", "true", "-5/s"])
def test_bad_rate_limit_is_reported_at_its_value(tmp_path: Path, rate: str) -> None:
    path = write(tmp_path, f"systems:\n  erp: {{type: tryton, rate_limit: {rate}}}\n")

    report = check(path)

    assert where(report.errors) == [(2, 35, "systems.erp.rate_limit")]


def test_duplicate_key_is_an_error_at_its_second_occurrence(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        systems:
          erp: {type: tryton}
          wms: {type: wms-rest}
          erp: {type: other}
        """,
    )

    report = check(path)

    assert where(report.errors) == [(4, 3, "systems.erp")]
    assert "first given on line 2" in report.errors[0].message


def test_duplicate_key_in_a_flow_mapping_is_an_error(tmp_path: Path) -> None:
    report = check(write(tmp_path, "runtime: {batch_size: 5, batch_size: 6}\n"))

    assert where(report.errors) == [(1, 26, "runtime.batch_size")]


def test_keys_merged_from_an_anchor_are_no_duplicates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        systems:
          wms-east: &wms {type: wms-rest, rate_limit: 5/s}
          wms-west:
            <<: *wms
            rate_limit: slow
        """,
    )

    report = check(path)

    assert where(report.errors) == [(5, 17, "systems.wms-west.rate_limit")]


def test_yaml_syntax_error_reports_the_parsers_line(tmp_path: Path) -> None:
    path = write(tmp_path, "systems:\n  erp: {type: tryton\n  wms: {type: wms-rest}\n")

    report = check(path)

    assert len(report.errors) == 1
    assert report.errors[0].line == 3
    assert report.errors[0].message.startswith("YAML syntax: ")
    assert report.landscape is None


def test_tab_indentation_is_a_syntax_error_with_its_line(tmp_path: Path) -> None:
    report = check(write(tmp_path, "tenant: t\nruntime:\n\tbatch_size: 5\n"))

    assert [(p.line, p.column) for p in report.errors] == [(3, 1)]


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here yet\n", "~\n"])
def test_empty_file_is_one_clear_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)

    report = check(path)

    assert [str(p) for p in report.errors] == [f"{path}: is empty: give at least one section"]


def test_top_level_list_is_one_clear_error(tmp_path: Path) -> None:
    report = check(write(tmp_path, "- systems\n- partners\n"))

    assert where(report.errors) == [(1, 1, "")]
    assert report.errors[0].message.endswith("not a list")


def test_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    report = check(path)

    assert len(report.errors) == 1
    assert str(report.errors[0]).startswith(f"{path}: cannot read it: ")
    with pytest.raises(ConfigError, match=r"nowhere\.yaml"):
        load_landscape(path)


def test_relative_database_path_resolves_against_the_landscape_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "runtime:\n  database: state/ds.sqlite\n")
    monkeypatch.chdir("/")

    landscape = load_landscape(path)

    assert landscape.runtime.database_url == f"sqlite:///{tmp_path}/state/ds.sqlite"


def test_relative_database_path_resolves_from_a_relative_landscape_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "runtime:\n  database: ds.sqlite\n", name="site.yaml")
    monkeypatch.chdir(tmp_path)

    landscape = load_landscape("site.yaml")

    assert landscape.runtime.database_url == f"sqlite:////{str(tmp_path).lstrip('/')}/ds.sqlite"


def test_several_problems_are_reported_together_in_file_order() -> None:
    report = check(LANDSCAPES / "broken.yaml")

    assert where(report.errors) == [
        (3, 3, "runtime.batchsize"),
        (4, 12, "runtime.profile"),
        (7, 3, "systems.erp"),
        (9, 19, "ownership.item.financial"),
        (16, 16, "partners.acme.x12.version"),
        (17, 42, "partners.acme.channel.colour"),
        (18, 13, "partners.acme.sends.0"),
    ]
    assert report.landscape is None


def test_load_raises_one_config_error_listing_every_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        load_landscape(LANDSCAPES / "broken.yaml")

    assert isinstance(caught.value, LandscapeError)
    assert len(caught.value.problems) == 7
    text = str(caught.value)
    assert text.startswith(f"{LANDSCAPES / 'broken.yaml'}: 7 problems:\n")
    assert f"{LANDSCAPES / 'broken.yaml'}:16:16: partners.acme.x12.version: " in text


def test_a_single_problem_error_is_located_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "tenant: t\nruntime:\n  port: 1\n")

    with pytest.raises(LandscapeError) as caught:
        load_landscape(path)

    assert caught.value.location == f"{path}:3:3"
    assert str(caught.value) == f"{path}:3:3: runtime.port: unknown key 'port'; allowed here: " + (
        "profile, database, batch_size, concurrency, lease_seconds, max_payload_bytes, "
        "poll_interval_ms, retry, http, log_level, durability, subscriptions"
    )


def test_problem_reads_as_file_line_column_key_and_message() -> None:
    problem = Problem("landscape.yaml", 12, 5, "partners.acme.x12.version", "quote it")

    assert str(problem) == "landscape.yaml:12:5: partners.acme.x12.version: quote it"
    assert str(Problem("l.yaml", None, None, "", "no such file")) == "l.yaml: no such file"


def test_missing_required_key_points_at_its_parent(tmp_path: Path) -> None:
    path = write(tmp_path, "systems:\n  erp:\n    url: http://127.0.0.1:8000\n")

    report = check(path)

    assert where(report.errors) == [(2, 3, "systems.erp.type")]
    assert report.errors[0].message == "required, but missing"


def test_section_of_the_wrong_shape_is_reported(tmp_path: Path) -> None:
    report = check(write(tmp_path, "systems:\n  - erp\n"))

    assert where(report.errors) == [(1, 1, "systems")]
    assert report.errors[0].message == "should be a mapping of keys to values, not a list"


def test_empty_section_means_its_defaults(tmp_path: Path) -> None:
    landscape = load_landscape(write(tmp_path, "tenant: t\nruntime:\nsystems:\n"))

    assert landscape.runtime.batch_size == 100
    assert landscape.systems == {}


def test_missing_env_variable_is_a_warning_not_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        systems:
          erp: {type: tryton, password_env: ERP_PASSWORD}
          wms: {type: wms-rest, token_env: WMS_TOKEN}
        """,
    )

    report = check_landscape(path, environ={"ERP_PASSWORD": "set"})

    assert report.ok
    assert report.landscape is not None
    assert where(report.warnings) == [(3, 36, "systems.wms.token_env")]
    assert "WMS_TOKEN is not set" in report.warnings[0].message


def test_the_api_clients_secrets_as2_files_and_key_ring_are_checked_too(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        partners:
          acme: {kind: supplier}
        security:
          clients:
            portal: {client_secret_env: PORTAL_SECRET, scopes: [inbound:write], partner: acme}
        as2:
          as2_id: NORTHWIND
          private_key_file: keys/as2-key.pem
          certificate_file: keys/as2-cert.pem
        """,
    )

    report = check_landscape(path, environ={})

    assert report.ok
    messages = {problem.key: problem.message for problem in report.warnings}
    assert "PORTAL_SECRET is not set" in messages["security.clients.portal.client_secret_env"]
    assert "does not exist" in messages["as2.private_key_file"]
    assert "does not exist" in messages["as2.certificate_file"]
    assert "distsync auth keys init" in messages["security"]


def test_missing_sku_xref_and_secret_files_are_warnings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        systems:
          wms: {type: wms-rest, token_file: secrets/wms.token}
        partners:
          acme: {kind: supplier, sku_xref: xref/acme.csv}
        """,
    )

    report = check(path)

    assert report.ok
    assert where(report.warnings) == [
        (2, 37, "systems.wms.token_file"),
        (4, 36, "partners.acme.sku_xref"),
    ]


def test_unknown_flow_name_is_a_warning_with_a_suggestion(tmp_path: Path) -> None:
    report = check(write(tmp_path, "flows:\n  procur: {asn_qty_tolerance_pct: 1}\n"))

    assert report.ok
    assert [str(w.message) for w in report.warnings] == [
        "no flow is named 'procur'; did you mean 'procure'?"
    ]


def test_procure_policy_keys_are_checked(tmp_path: Path) -> None:
    path = write(tmp_path, "flows:\n  procure: {price_tolerance_pct: -1, ack_deadline: 4}\n")

    report = check(path)

    assert where(report.errors) == [
        (2, 34, "flows.procure.price_tolerance_pct"),
        (2, 38, "flows.procure.ack_deadline"),
    ]


def test_profile_and_database_must_agree(tmp_path: Path) -> None:
    path = write(tmp_path, "runtime:\n  database: postgresql://ds@127.0.0.1/ds\n")

    report = check(path)

    assert where(report.errors) == [(2, 13, "runtime.database")]
    assert report.errors[0].message == "profile embedded needs a sqlite database, not postgresql"


class TrytonOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    database: str
    user: str = "admin"


def test_system_validators_check_type_specific_keys_at_their_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        systems:
          erp:
            type: tryton
            database: dist
            usr: distsync
          wms: {type: wms-rest}
        """,
    )

    report = check(path, system_validators={"tryton": TrytonOptions.model_validate})

    assert where(report.errors) == [(5, 5, "systems.erp.usr"), (6, 9, "systems.wms.type")]
    assert report.errors[0].message == "unknown key 'usr'; did you mean 'user'?"
    assert report.errors[1].message == "unknown system type 'wms-rest' (known types: tryton)"


def test_system_validator_raising_value_error_is_reported_at_the_system() -> None:
    def refuse(options: object) -> None:
        raise ValueError("needs a database")

    problems = validate_system_options("tryton", {}, {"tryton": refuse})

    assert problems == [((), "needs a database")]


def test_number_where_text_is_expected_gets_the_quoting_hint(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "partners:\n  acme:\n    kind: supplier\n    channel: {transport: as2, as2_id: 12345}\n",
    )

    report = check(path)

    assert where(report.errors) == [(4, 39, "partners.acme.channel.as2_id")]
    assert report.errors[0].message == "should be text, not a number: put the value in quotes"


def test_an_alias_inside_the_node_it_names_is_one_clear_error(tmp_path: Path) -> None:
    report = check(write(tmp_path, "flows: &loop {procure: *loop}\n"))

    assert [p.message for p in report.errors] == ["an alias refers to a node that contains it"]


def test_a_second_yaml_document_is_a_syntax_error(tmp_path: Path) -> None:
    report = check(write(tmp_path, "tenant: a\n---\ntenant: b\n"))

    assert [(p.line, p.message.split(":")[0]) for p in report.errors] == [(2, "YAML syntax")]
