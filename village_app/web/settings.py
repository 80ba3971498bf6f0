"""What one running web app needs to know: where the data is, which mode, the secret key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
SECRET_KEY_FILE: Final = ".secret_key"
#: DOMAIN/issue 4: an attachment may be up to 10 MB.
MAX_ATTACHMENT_BYTES: Final = 10 * 1024 * 1024
#: Room for the other form fields and multipart framing around one full-size attachment.
_FORM_OVERHEAD: Final = 64 * 1024


class DataDirError(RuntimeError):
    """The data folder does not say which village to serve."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    mode: str = "field"
    #: The village's database file stem; ``None`` means the only ``*.sqlite`` in ``data_dir``.
    village: str | None = None
    #: ``None``: read ``data_dir/.secret_key``, creating it on first start.
    secret_key: str | None = None
    max_attachment_bytes: int = MAX_ATTACHMENT_BYTES
    templates_dir: Path = ROOT / "templates"
    static_dir: Path = ROOT / "static"
    #: Secure cookies need HTTPS; field laptops serve plain HTTP on 127.0.0.1.
    https_only: bool = False
    session_max_age: int = 12 * 60 * 60
    login_max_failures: int = 5
    login_lockout_seconds: float = 15 * 60

    @property
    def max_body_bytes(self) -> int:
        return self.max_attachment_bytes + _FORM_OVERHEAD

    def resolved_secret_key(self) -> str:
        """The session signing key, persisted in the data folder so sessions survive restarts."""
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / SECRET_KEY_FILE
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48), encoding="ascii")
        return path.read_text(encoding="ascii").strip()

    def village_db_path(self) -> Path | None:
        """The village database file, or ``None`` while the data folder has none yet."""
        if self.village:
            return self.data_dir / f"{self.village}.sqlite"
        return find_village_file(self.data_dir)


def find_village_file(data_dir: Path) -> Path | None:
    """The one ``*.sqlite`` in ``data_dir`` (field mode serves one village)."""
    files = sorted(data_dir.glob("*.sqlite")) if data_dir.is_dir() else []
    if not files:
        return None
    if len(files) > 1:
        names = ", ".join(f.stem for f in files)
        raise DataDirError(f"{data_dir} holds several villages ({names}): choose one with --village")
    return files[0]
