"""``distsync edi`` run as a subprocess: parse, validate, acknowledge and render X12."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from distsync.formats.x12.ack_read import read_acknowledgements

LANDSCAPE = """\
runtime:
  database: var/distsync.sqlite
x12: {qualifier: ZZ, id: NORTHWIND}
partners:
  acme:
    kind: supplier
    x12: {qualifier: ZZ, id: ACME, version: "004010", acknowledgement: "999"}
  globex:
    kind: supplier
    x12:
      qualifier: ZZ
      id: GLOBEX
      delimiters: {element: "|", component: ":", segment: "!", repetition: null}
      mapping:
        "850": {code_lists: {uom: {EA: UN}}, qualifiers: {vendor_item: VN}}
"""

ISA = (
    "ISA*00*          *00*          *ZZ*ACME           *ZZ*NORTHWIND      "
    "*260105*0900*U*00401*000000017*0*P*>~"
)
PO = (
    ISA
    + """
GS*PO*ACME*NORTHWIND*20260105*0900*17*X*004010~
ST*850*0001~
BEG*00*SA*PO-1**20260105~
DTM*002*20260120~
N1*BY*NORTHWIND*92*NWD~
N1*SU*ACME*92*SUP-ACME~
N1*ST*NORTHWIND EAST*92*WH-EAST~
PO1*1*12*EA*10.50**VP*AC-778~
CTT*1~
SE*9*0001~
GE*1*17~
IEA*1*000000017~
"""
)


@pytest.fixture
def edi(tmp_path: Path):  # type: ignore[no-untyped-def]
    landscape = tmp_path / "landscape.yaml"
    landscape.write_text(LANDSCAPE)

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "distsync.cli", "-l", str(landscape), "edi", *args],
            capture_output=True,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )

    return run


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_parse_shows_the_envelopes_and_sets(edi, tmp_path: Path) -> None:
    result = edi("parse", str(write(tmp_path, "po.edi", PO)))
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "interchange 000000017" in out
    assert "850" in out
    assert "no problems" in out


def test_parse_json_gives_each_set_as_its_canonical_document(edi, tmp_path: Path) -> None:
    result = edi("parse", "--json", str(write(tmp_path, "po.edi", PO)))
    (found,) = json.loads(result.stdout)
    assert found["set"] == "850"
    assert found["document"]["po_number"] == "PO-1"
    assert found["document"]["ship_to_warehouse_id"] == "WH-EAST"


def test_render_writes_the_partners_interchange_and_reuses_numbers_for_the_same_document(
    edi, tmp_path: Path
) -> None:
    parsed = json.loads(edi("parse", "--json", str(write(tmp_path, "po.edi", PO))).stdout)
    document = write(tmp_path, "po.json", json.dumps(parsed[0]["document"]))
    first = edi("render", "--set", "850", "--partner", "acme", str(document))
    assert first.returncode == 0, first.stderr
    text = first.stdout.decode()
    assert text.startswith("ISA*00*")
    assert "*ZZ*NORTHWIND      *ZZ*ACME           *" in text
    assert "BEG*00*SA*PO-1" in text
    again = edi("render", "--set", "850", "--partner", "acme", str(document)).stdout.decode()
    assert again.split("*")[13] == text.split("*")[13]  # ISA13: the same document, the same numbers
    other = write(tmp_path, "other.json", json.dumps(parsed[0]["document"] | {"po_number": "PO-2"}))
    third = edi("render", "--set", "850", "--partner", "acme", str(other)).stdout.decode()
    assert int(third.split("*")[13]) == int(text.split("*")[13]) + 1  # the next number, no gap


def test_validate_exits_1_and_locates_every_error(edi, tmp_path: Path) -> None:
    broken = PO.replace("SE*9*0001", "SE*5*0001").replace("GE*1*17", "GE*1*18")
    result = edi("validate", "--json", str(write(tmp_path, "broken.edi", broken)))
    assert result.returncode == 1
    problems = json.loads(result.stdout)
    codes = {(p["code"], p["location"]["segment_tag"]) for p in problems}
    assert ("segment_count_mismatch", "SE") in codes
    assert ("control_number_mismatch", "GE") in codes
    envelope = [
        p for p in problems if p["code"] in ("segment_count_mismatch", "control_number_mismatch")
    ]
    assert all(p["location"]["byte_offset"] is not None for p in envelope)


def test_validate_exits_0_for_a_clean_file(edi, tmp_path: Path) -> None:
    assert edi("validate", str(write(tmp_path, "po.edi", PO))).returncode == 0


def test_ack_answers_in_the_partners_format_with_persistent_control_numbers(
    edi, tmp_path: Path
) -> None:
    broken = write(tmp_path, "broken.edi", PO.replace("SE*9*0001", "SE*5*0001"))
    first = edi("ack", str(broken))
    assert first.returncode == 0, first.stderr
    (ack,) = read_acknowledgements(first.stdout)
    assert ack.kind == "999"
    assert ack.group_control == "17"
    assert [s.status for s in ack.sets] == ["R"]
    again = edi(
        "ack",
        "--format",
        "997",
        str(write(tmp_path, "other.edi", PO.replace("000000017", "000000018"))),
    )
    assert b"ISA*00*" in again.stdout
    assert b"*000000002*" in again.stdout  # the next number of the partner's counter


def test_a_missing_file_is_a_clear_error(edi, tmp_path: Path) -> None:
    result = edi("parse", str(tmp_path / "nope.edi"))
    assert result.returncode == 1
    assert b"reading" in result.stderr
    assert b"Traceback" not in result.stderr


def test_render_follows_the_partners_delimiters_and_declared_mapping_options(
    edi, tmp_path: Path
) -> None:
    parsed = json.loads(edi("parse", "--json", str(write(tmp_path, "po.edi", PO))).stdout)
    document = write(tmp_path, "po.json", json.dumps(parsed[0]["document"]))
    result = edi("render", "--set", "850", "--partner", "globex", str(document))
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert text.startswith("ISA|")
    po1 = next(line for line in text.splitlines() if line.startswith("PO1|"))
    assert "|UN|" in po1  # our EA as their UN
    assert "|VN|AC-778" in po1  # their qualifier for the vendor's part number
