"""Where the laptop syncs to and as whom: entered once on the 同步 page, kept in the data folder.

``sync.json`` (0600) holds the county's address, the village's account and whether to sync
by itself; the password is in it only as a Fernet token (AES-128-CBC with HMAC-SHA256)
whose key is another 0600 file, ``.sync_key``. So the password is never in the village
database (nothing of it can be replicated or put in a bundle), never in a URL (the
credentials go to the HTTP client apart from the address), and a copy of ``sync.json``
alone, or of the database, reveals nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet, InvalidToken

from village_app.county import roles
from village_app.domain.errors import ValidationError
from village_app.i18n import N_
from village_app.syncing.files import read_private, write_private

CONFIG_FILE: Final = "sync.json"
KEY_FILE: Final = ".sync_key"


class NotConfigured(Exception):
    """No county address and account yet."""


class PasswordUnreadable(Exception):
    """The stored password cannot be decrypted (the key file was lost or replaced)."""


@dataclass(frozen=True)
class SyncConfig:
    #: The county's server as typed (``https://host[:port][/prefix]``), or the village
    #: database's own address (ending in ``village_<code>``).
    address: str
    account: str
    #: The password, encrypted (a Fernet token); see :func:`password`.
    password_token: str
    #: Sync by itself whenever the county can be reached.
    auto: bool = False

    def database_url(self, village: str) -> str:
        """The village database on the county server, without credentials."""
        parts = urlsplit(self.address)
        segments = [s for s in parts.path.split("/") if s]
        if not segments or not segments[-1].endswith(roles.village_database(village)):
            segments.append(roles.village_database(village))
        return urlunsplit((parts.scheme, parts.netloc, "/" + "/".join(segments), "", ""))


def normalize_address(text: str) -> str:
    """The county address as the form gives it, checked: ``http(s)://`` (``https://`` when
    no scheme is typed), a host, no credentials, no query."""
    text = text.strip()
    if not text:
        raise ValidationError(N_("请填写县里的服务器地址"), field="address")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            N_("地址不对：应当像 https://xian.example.cn 这样，请照县里给的地址填写"),
            field="address",
        )
    if parts.username is not None or parts.password is not None:
        raise ValidationError(N_("地址里不要写账号和密码，请分别填在下面"), field="address")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


class SyncSettingsStore:
    """Reads and writes ``sync.json`` and the password key in one data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    @property
    def path(self) -> Path:
        return self.data_dir / CONFIG_FILE

    def load(self) -> SyncConfig | None:
        raw = read_private(self.path)
        if raw is None:
            return None
        try:
            data: Any = json.loads(raw)
            return SyncConfig(
                address=str(data["address"]),
                account=str(data["account"]),
                password_token=str(data["password"]),
                auto=bool(data.get("auto", False)),
            )
        except (ValueError, KeyError, TypeError):
            return None  # damaged: the page asks for the settings again

    def save(self, config: SyncConfig) -> None:
        data = {
            "address": config.address,
            "account": config.account,
            "password": config.password_token,
            "auto": config.auto,
        }
        write_private(self.path, json.dumps(data, ensure_ascii=False, indent=1).encode())

    def new_config(
        self, address: str, account: str, password: str, previous: SyncConfig | None
    ) -> SyncConfig:
        """Settings from the form; an empty password keeps the one stored before."""
        account = account.strip()
        if not account:
            raise ValidationError(N_("请填写县里给本村的账号"), field="account")
        address = normalize_address(address)
        if password:
            token = self._fernet().encrypt(password.encode()).decode("ascii")
        elif previous is not None:
            token = previous.password_token
        else:
            raise ValidationError(N_("请填写密码"), field="password")
        auto = previous.auto if previous is not None else False
        return SyncConfig(address, account, token, auto)

    def with_auto(self, config: SyncConfig, auto: bool) -> SyncConfig:
        return replace(config, auto=auto)

    def password(self, config: SyncConfig) -> str:
        try:
            return self._fernet(create=False).decrypt(config.password_token).decode()
        except (InvalidToken, FileNotFoundError, ValueError) as exc:
            raise PasswordUnreadable(str(exc)) from exc

    def _fernet(self, *, create: bool = True) -> Fernet:
        path = self.data_dir / KEY_FILE
        key = read_private(path)
        if key is None:
            if not create:
                raise FileNotFoundError(path)
            key = Fernet.generate_key()
            write_private(path, key)
        return Fernet(key.strip())
