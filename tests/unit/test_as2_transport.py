"""AS2 at the byte level: messages and MDNs built, parsed and verified with real keys."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from distsync.config import build_landscape
from distsync.demo.as2_peer import KeyPair, make_key_pair
from distsync.errors import ConfigError, PermanentError, Rejected
from distsync.flows.as2_certificates import GAUGE_NAME, CertificateWatch
from distsync.transports import as2
from distsync.transports.as2_backend import load
from distsync.transports.as2_certs import expiry, read_certificate, read_private_key

X12 = b"ISA*00*          *00*          *ZZ*ACME           *ZZ*NORTHWIND      *~IEA*0*1~"


@dataclass(frozen=True)
class Keys:
    us: KeyPair
    acme: KeyPair
    mallory: KeyPair


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    folder = tmp_path_factory.mktemp("keys")
    return Keys(*(make_key_pair(folder, name) for name in ("distsync", "acme", "mallory")))


def ours(pair: KeyPair, as2_id: str = "DISTSYNC") -> as2.Ours:
    return as2.Ours(as2_id, pair.key_file.read_bytes())


def partner(pair: KeyPair, as2_id: str = "ACME", **settings: object) -> as2.PartnerProfile:
    return replace(as2.PartnerProfile(as2_id, pair.certificate), **settings)  # type: ignore[arg-type]


def from_acme(keys: Keys, *, signer: KeyPair | None = None, **to_us: object) -> as2.Outbound:
    """A message ACME sends us (signed by ``signer``, ACME's key unless told)."""
    return as2.build_message(
        ours(signer or keys.acme, "ACME"), partner(keys.us, "DISTSYNC", **to_us), X12,
        message_id="po-1", filename="po.edi",
    )  # fmt: skip


def receive(keys: Keys, out: as2.Outbound, *, seen: bool = False, **acme: object) -> as2.Received:
    raw = as2.raw_message(out.headers, out.body)
    return as2.parse_message(ours(keys.us), partner(keys.acme, **acme), raw, seen_before=seen)


def mdn_raw(mdn: as2.MdnToSend | None) -> bytes:
    assert mdn is not None
    return as2.raw_message(mdn.headers, mdn.body)


def test_a_signed_encrypted_message_is_read_and_answered_with_a_signed_mdn(keys: Keys) -> None:
    out = from_acme(keys)
    assert out.headers["Content-Type"].startswith("application/pkcs7-mime")
    assert X12 not in out.body

    received = receive(keys, out)

    assert (received.accepted, received.payload, received.message_id) == (
        True, X12, out.message_id,
    )  # fmt: skip
    assert received.mdn is not None
    assert received.mdn.url is None
    assert received.mdn.headers["Content-Type"].startswith("multipart/signed")
    outcome = as2.read_mdn(
        partner(keys.us, "DISTSYNC"), mdn_raw(received.mdn), message_id=out.message_id, mic=out.mic
    )
    assert (outcome.disposition, outcome.duplicate) == ("processed", False)


def test_the_message_id_is_the_one_asked_for_so_a_retry_carries_it_again(keys: Keys) -> None:
    first, again = from_acme(keys), from_acme(keys)

    assert first.message_id == again.message_id == "po-1@acme.as2"
    assert first.mic == again.mic
    assert first.body != again.body  # a fresh session key each time


def test_a_changed_byte_of_signed_content_fails_authentication(keys: Keys) -> None:
    out = from_acme(keys, encrypt=False)
    tampered = replace(out, body=out.body.replace(b"NORTHWIND", b"NORTHWINE"))

    received = receive(keys, tampered, require_encrypted=False)

    assert (received.accepted, received.detail, received.payload) == (
        False, "authentication-failed", None,
    )  # fmt: skip
    assert b"authentication-failed" in mdn_raw(received.mdn)


def test_a_message_signed_by_another_key_fails_authentication(keys: Keys) -> None:
    received = receive(keys, from_acme(keys, signer=keys.mallory))

    assert (received.accepted, received.detail) == (False, "authentication-failed")


def test_a_message_encrypted_to_another_certificate_fails_decryption(keys: Keys) -> None:
    out = as2.build_message(
        ours(keys.acme, "ACME"), partner(keys.mallory, "DISTSYNC"), X12,
        message_id="po-2", filename="po.edi",
    )  # fmt: skip

    received = receive(keys, out)

    assert (received.accepted, received.detail) == (False, "decryption-failed")


@pytest.mark.parametrize("missing", ["encrypt", "sign"])
def test_a_message_without_the_security_the_channel_requires_is_refused(
    keys: Keys, missing: str
) -> None:
    received = receive(keys, from_acme(keys, **{missing: False}))

    assert (received.accepted, received.detail) == (False, "insufficient-message-security")


def test_a_replayed_message_id_is_answered_duplicate_and_not_read(keys: Keys) -> None:
    out = from_acme(keys)
    received = receive(keys, out, seen=True)

    assert (received.accepted, received.duplicate, received.payload) == (False, True, None)
    outcome = as2.read_mdn(
        partner(keys.us, "DISTSYNC"), mdn_raw(received.mdn), message_id=out.message_id, mic=out.mic
    )
    assert outcome.duplicate


def test_a_negative_mdn_is_rejected_with_its_disposition(keys: Keys) -> None:
    out = from_acme(keys)
    refusal = as2.answer_with(receive(keys, out), "processed/Error", "unexpected-processing-error")

    with pytest.raises(Rejected, match="processed/Error: unexpected-processing-error"):
        as2.read_mdn(
            partner(keys.us, "DISTSYNC"), mdn_raw(refusal), message_id=out.message_id, mic=out.mic
        )


def test_an_mdn_signed_by_another_key_is_a_permanent_error(keys: Keys) -> None:
    out = from_acme(keys)
    mdn = mdn_raw(receive(keys, out).mdn)

    with pytest.raises(PermanentError, match="does not verify") as caught:
        as2.read_mdn(partner(keys.mallory, "DISTSYNC"), mdn, message_id=out.message_id, mic=out.mic)
    assert not isinstance(caught.value, Rejected)


def test_an_mdn_quoting_another_mic_is_a_permanent_error(keys: Keys) -> None:
    out = from_acme(keys)
    mdn = mdn_raw(receive(keys, out).mdn)

    with pytest.raises(PermanentError, match="another MIC"):
        as2.read_mdn(partner(keys.us, "DISTSYNC"), mdn, message_id=out.message_id, mic="AAAA")


def test_an_mdn_is_told_from_a_message_and_names_what_it_answers(keys: Keys) -> None:
    out = from_acme(keys)
    mdn = mdn_raw(receive(keys, out).mdn)

    assert as2.is_mdn(mdn)
    assert not as2.is_mdn(as2.raw_message(out.headers, out.body))
    assert as2.mdn_original_id(mdn) == out.message_id


def test_the_oscrypto_work_around_is_applied_once_and_leaves_re_search_alone() -> None:
    assert load() is load()
    assert re.search is not None
    assert re.search.__module__ == "re"


def test_expiry_says_whose_certificate_and_how_long_it_has_left(keys: Keys) -> None:
    now = datetime.now(UTC)
    found = expiry(keys.acme.certificate, owner="acme", path="acme.pem", now=now)

    assert found.subject == "CN=acme"
    assert abs(found.seconds_left - timedelta(days=365).total_seconds()) < 120
    later = expiry(keys.acme.certificate, owner="acme", path="p", now=now + timedelta(days=366))
    assert later.expired
    assert later.seconds_left < 0


def test_a_key_file_that_is_no_key_is_refused_naming_the_file(keys: Keys, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"as2 private key in {keys.acme.certificate_file}"):
        read_private_key(str(keys.acme.certificate_file), None, what="as2 private key")
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(ConfigError, match="is not PEM"):
        read_certificate(str(tmp_path / "junk.pem"), what="partners.acme certificate")


def test_certificates_close_to_expiry_are_in_the_gauge_and_warned_about(tmp_path: Path) -> None:
    ours_pair = make_key_pair(tmp_path, "distsync", days=400)
    soon = make_key_pair(tmp_path, "acme", days=10)
    expired = make_key_pair(tmp_path, "globex", days=-2)
    landscape = build_landscape(
        {"partners": {
            "acme": {"kind": "supplier", "channel": channel("ACME", soon)},
            "globex": {"kind": "supplier", "channel": channel("GLOBEX", expired)},
            "gone": {"kind": "supplier", "channel": {"transport": "as2", "as2_id": "GONE",
                                                     "certificate_file": "missing.pem"}},
        }},
        base_dir=tmp_path,
    )  # fmt: skip
    settings = {"as2_id": "DISTSYNC", "private_key_file": str(ours_pair.key_file),
                "certificate_file": str(ours_pair.certificate_file)}  # fmt: skip
    landscape = with_as2(landscape, settings)
    registry = CollectorRegistry()
    watch = CertificateWatch(landscape, registry=registry, clock=lambda: datetime.now(UTC))

    with capture_logs() as logs:
        statuses = {status.owner: status for status in watch.check()}

    assert {owner: s.state for owner, s in statuses.items()} == {
        "us": "ok", "acme": "expiring", "globex": "expired", "gone": "unreadable",
    }  # fmt: skip
    assert "missing.pem" in (statuses["gone"].error or "")
    left = registry.get_sample_value(GAUGE_NAME, {"owner": "acme", "subject": "CN=acme"})
    assert left is not None
    assert 9 * 86_400 < left < 10 * 86_400
    actions = sorted((line["action"], line.get("owner")) for line in logs)
    assert actions == [
        ("as2.certificate_expired", "globex"), ("as2.certificate_expiring", "acme"),
        ("as2.certificate_unreadable", "gone"),
    ]  # fmt: skip
    assert statuses["acme"].as_kpi()["days_left"] == pytest.approx(10, abs=0.1)
    assert watch.latest() == list(statuses.values())


def channel(as2_id: str, pair: KeyPair) -> dict[str, object]:
    return {"transport": "as2", "as2_id": as2_id, "certificate_file": str(pair.certificate_file)}


def with_as2(landscape: object, settings: dict[str, str]) -> object:
    """The landscape with our ``as2`` identity (``Landscape.as2``)."""
    from distsync.config_as2 import As2Settings

    as2_settings = As2Settings.model_validate(settings)
    return landscape.model_copy(update={"as2": as2_settings})  # type: ignore[attr-defined]


def test_the_key_password_is_read_from_its_variable_and_a_missing_one_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from distsync.config_as2 import As2Settings

    settings = As2Settings.model_validate(
        {
            "as2_id": "DISTSYNC",
            "private_key_file": "k.pem",
            "certificate_file": "c.pem",
            "private_key_password_env": "DS_TEST_AS2_KEY",
        }
    )
    monkeypatch.delenv("DS_TEST_AS2_KEY", raising=False)
    with pytest.raises(ConfigError, match="DS_TEST_AS2_KEY"):
        settings.key_password()
    monkeypatch.setenv("DS_TEST_AS2_KEY", "correct horse")
    assert settings.key_password() == "correct horse"
