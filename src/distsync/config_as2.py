"""Our own AS2 identity: the ``as2`` section of the landscape file.

::

    as2:
      as2_id: DISTSYNC
      private_key_file: keys/as2-key.pem      # PEM private key; our certificate may follow it
      private_key_password_env: AS2_KEY_PASSWORD   # or private_key_password_file; if encrypted
      certificate_file: keys/as2-cert.pem
      mdn_url: http://127.0.0.1:8080/v1/as2   # where partners send asynchronous MDNs
      certificate_warning_days: 30

Partners find us by ``as2_id`` (their ``AS2-To``); we sign our messages and
MDNs with the private key and decrypt what partners encrypt to our
certificate. Paths are resolved against ``context={"base_dir": ...}`` as in
``config.py``; the files and the password are read when AS2 is used, never
when the landscape is loaded. The password is read like any secret (an
environment variable or a file, never the landscape itself) and registered
for redaction. Kept apart from ``config.py``, which imports it, and imports
nothing of it in turn.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from distsync.errors import ConfigError
from distsync.secret_source import read_secret

__all__ = ["As2Settings"]

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$")


def _url(value: str) -> str:
    if not _URL.match(value):
        raise ValueError("should be a URL such as http://127.0.0.1:8080/v1/as2")
    return value


As2Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[!-~]+( [!-~]+)*$")]
EnvVarName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class As2Settings(BaseModel):
    """Our AS2 identity (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as2_id: As2Id
    private_key_file: str = Field(description="PEM private key; our certificate may follow it")
    certificate_file: str = Field(description="Our PEM certificate, as partners have it")
    private_key_password_env: EnvVarName | None = None
    private_key_password_file: str | None = None
    mdn_url: Annotated[str, AfterValidator(_url)] | None = Field(
        None,
        description="Where partners POST asynchronous MDNs for what we send "
        "(our /v1/as2 route as partners reach it); needed by channels with mdn: async.",
    )
    certificate_warning_days: int = Field(30, ge=0, le=3650)

    @field_validator("private_key_file", "certificate_file", "private_key_password_file")
    @classmethod
    def _resolve(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        path = Path(value).expanduser()
        base = info.context.get("base_dir") if isinstance(info.context, Mapping) else None
        return str(Path(base) / path) if base is not None and not path.is_absolute() else str(path)

    def key_password(self) -> str | None:
        """The private key's password, read now (``None`` when the key is not encrypted)."""
        if self.private_key_password_env is not None and self.private_key_password_file is not None:
            raise ConfigError("as2: give private_key_password_env or _file, not both")
        variable, file = self.private_key_password_env, self.private_key_password_file
        if variable is None and file is None:
            return None
        return read_secret("private_key_password", variable=variable, file=file, where="as2: ")
