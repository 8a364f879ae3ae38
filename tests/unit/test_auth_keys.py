"""The signing key ring: files on disk, states that follow the clock, and rotation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from distsync.api.auth_keys import LEEWAY_SECONDS, KeyRing
from distsync.errors import ConfigError
from distsync.testing import FrozenClock

TTL = 900
LEAD = 300


def ring(folder: Path, clock: FrozenClock) -> KeyRing:
    return KeyRing(
        folder, clock=clock, token_ttl_seconds=TTL, key_lead_seconds=LEAD, reload_interval=0
    )


def published(keys: KeyRing) -> list[str]:
    return [key["kid"] for key in keys.jwks()["keys"]]


def test_a_missing_key_ring_tells_the_user_to_initialise_it(tmp_path: Path) -> None:
    keys = ring(tmp_path / "keys", FrozenClock())
    with pytest.raises(
        ConfigError, match=r"keys has no keyring\.json: run `distsync auth keys init`"
    ):
        keys.signing_key()


def test_init_creates_a_private_key_that_signs_at_once(tmp_path: Path) -> None:
    clock = FrozenClock()
    keys = ring(tmp_path / "keys", clock)
    first = keys.init()
    assert keys.signing_key()[0] == first.kid
    pem = tmp_path / "keys" / f"{first.kid}.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert pem.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    (jwk,) = keys.jwks()["keys"]
    assert jwk | {"x": "?"} == {"kty": "OKP", "crv": "Ed25519", "x": "?", "kid": first.kid,
                               "use": "sig", "alg": "EdDSA"}  # fmt: skip
    assert "d" not in jwk
    with pytest.raises(ConfigError, match="already holds a key ring"):
        keys.init()


def test_the_next_key_is_published_before_it_signs_and_the_old_one_lives_on(
    tmp_path: Path,
) -> None:
    clock = FrozenClock()
    keys = ring(tmp_path / "keys", clock)
    old = keys.init()
    new = keys.rotate()
    assert published(keys) == [old.kid, new.kid]
    assert keys.signing_key()[0] == old.kid
    assert keys.state_of(keys.records()[1]) == "next"
    clock.advance(LEAD)
    assert keys.signing_key()[0] == new.kid
    assert keys.state_of(keys.records()[0]) == "retired"
    clock.advance(TTL + LEEWAY_SECONDS - 1)
    assert keys.public_key(old.kid) is not None
    clock.advance(1)
    assert keys.public_key(old.kid) is None
    assert published(keys) == [new.kid]


def test_another_process_sees_a_rotation_through_the_manifest(tmp_path: Path) -> None:
    clock = FrozenClock()
    writer, reader = ring(tmp_path / "keys", clock), ring(tmp_path / "keys", clock)
    first = writer.init()
    assert published(reader) == [first.kid]
    new = writer.rotate()
    assert published(reader) == [first.kid, new.kid]
    clock.advance(LEAD)
    assert reader.signing_key()[0] == new.kid


def test_the_manifest_is_checked_at_most_once_a_second(tmp_path: Path) -> None:
    clock = FrozenClock()
    writer = ring(tmp_path / "keys", clock)
    writer.init()
    reader = KeyRing(tmp_path / "keys", clock=clock, token_ttl_seconds=TTL, key_lead_seconds=LEAD)
    assert len(published(reader)) == 1
    writer.rotate()
    assert len(published(reader)) == 1  # read less than a second ago


def test_rotation_drops_keys_whose_tokens_have_all_expired(tmp_path: Path) -> None:
    clock = FrozenClock()
    keys = ring(tmp_path / "keys", clock)
    first = keys.init()
    keys.rotate()
    clock.advance(LEAD + TTL + LEEWAY_SECONDS)
    third = keys.rotate()
    assert first.kid not in [record.kid for record in keys.records()]
    assert not (tmp_path / "keys" / f"{first.kid}.pem").exists()
    assert published(keys)[-1] == third.kid
    assert sorted(p.name for p in (tmp_path / "keys").iterdir() if p.name.startswith(".")) == []


def test_two_rotations_in_a_row_each_sign_in_turn(tmp_path: Path) -> None:
    clock = FrozenClock()
    keys = ring(tmp_path / "keys", clock)
    first = keys.init()
    second = keys.rotate()
    clock.advance(LEAD / 2)
    third = keys.rotate()
    assert published(keys) == [first.kid, second.kid, third.kid]
    clock.advance(LEAD / 2)
    assert keys.signing_key()[0] == second.kid
    clock.advance(LEAD / 2)
    assert keys.signing_key()[0] == third.kid


def test_a_key_whose_file_was_removed_is_neither_published_nor_accepted(tmp_path: Path) -> None:
    clock = FrozenClock()
    ring(tmp_path / "keys", clock).init()
    leaked = ring(tmp_path / "keys", clock).rotate()
    (tmp_path / "keys" / f"{leaked.kid}.pem").unlink()
    fresh = ring(tmp_path / "keys", clock)  # a server started after the file was moved away
    assert leaked.kid not in published(fresh)
    assert fresh.public_key(leaked.kid) is None
    assert len(published(fresh)) == 1
