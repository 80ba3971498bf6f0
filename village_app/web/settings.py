"""What one running web app needs to know: where the data is, the secret key, the limits."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from village_app.county.registry import Registry

log = logging.getLogger(__name__)

ROOT: Final = Path(__file__).resolve().parents[2]
SECRET_KEY_FILE: Final = ".secret_key"
#: DOMAIN/issue 4: an attachment may be up to 10 MB.
MAX_ATTACHMENT_BYTES: Final = 10 * 1024 * 1024
#: Room for the other form fields and multipart framing around one full-size attachment.
_FORM_OVERHEAD: Final = 64 * 1024
#: A login form (token, name, password, the page to return to) with room to spare.
ANONYMOUS_MAX_BODY_BYTES: Final = 8 * 1024
#: A key shorter than this was not written by us (token_urlsafe(48) gives 64 characters).
_MIN_KEY_CHARS: Final = 32


def default_hash_threads(cpu_count: int | None) -> int:
    """Half the cores, at least one: a hash keeps a core busy for tens of milliseconds, and
    the event loop (every other request) needs a core of its own while a flood of logins is
    being hashed. A laptop has one secretary; one hash at a time is plenty for her."""
    return max(1, (cpu_count or 1) // 2)


class DataDirError(RuntimeError):
    """The data folder does not say which village to serve."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
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
    #: Before signing in only the login form and the language switch are posted: a body
    #: larger than this is refused unread (413).
    max_anonymous_body_bytes: int = ANONYMOUS_MAX_BODY_BYTES
    #: How long reading one request body may take, from its first byte asked for (408 after):
    #: signed in, 10 MB over a slow village network; anonymous, a few KB.
    body_timeout_seconds: float = 120.0
    anonymous_body_timeout_seconds: float = 10.0
    #: Failed logins in a row for one name before each further one makes it wait: first
    #: ``login_first_delay_seconds``, doubling up to ``login_max_delay_seconds``.
    login_max_failures: int = 5
    login_first_delay_seconds: float = 1.0
    login_max_delay_seconds: float = 5 * 60
    #: A name's failures are forgotten this long after its last one (and at its next success).
    login_forget_seconds: float = 24 * 60 * 60
    #: Password hashes running at once (worker threads), and logins that may wait for one
    #: before more are turned away (503).
    login_hash_threads: int = field(default_factory=lambda: default_hash_threads(os.cpu_count()))
    login_hash_queue: int = 16
    #: Host names the app answers to (``Host`` header); ``serve`` on a loopback address lists
    #: only loopback names, so a page on another site cannot reach it by DNS rebinding.
    allowed_hosts: tuple[str, ...] = ("*",)
    #: ``field`` (a village's laptop), ``county`` (the county's staff, over its CouchDB) or
    #: ``kiosk`` (the village hall's read-only screen).
    mode: str = "field"
    #: County mode: the county CouchDB with an administrator's credentials (the indexer reads
    #: every village database; reviews are written after the app's own rule check).
    couch_url: str | None = None
    #: County mode: the registry file (townships, villages, staff), or the registry itself.
    registry_path: Path | None = None
    registry: Registry | None = None
    #: County mode: the county index folder (default ``<data_dir>/county-index``).
    index_dir: Path | None = None
    #: County mode: keep the index up to date from inside the app (else run
    #: ``village-app county index`` beside it).
    follow_index: bool = True
    #: County mode: the village databases' name prefix (tests keep theirs apart with it).
    db_prefix: str = ""
    #: County mode: the USB bundles' key folder (``village-app bundle county-keys``; default
    #: ``<data_dir>/county-keys``).
    bundle_keys: Path | None = None
    #: County mode: the county's key folder (``village-app bundle county-keys``), whose
    #: registered laptop keys the verify page checks publications against.
    keys_dir: Path | None = None
    #: Kiosk mode: the county's web address, for the QR code of each signed publication
    #: (``<verify_url>/verify?...``); ``None``: no QR code.
    verify_url: str | None = None
    #: Kiosk mode: keep pulling from the county while the app runs (from the address the last
    #: ``village-app kiosk pull`` kept in the data folder).
    kiosk_follow: bool = True

    @property
    def max_body_bytes(self) -> int:
        return self.max_attachment_bytes + _FORM_OVERHEAD

    def resolved_secret_key(self) -> str:
        """The session signing key, persisted in the data folder so sessions survive restarts.

        In a data folder that cannot be written (served read-only) a missing key is made for
        this run alone: signing in works, and sessions end when the server stops."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / SECRET_KEY_FILE
        key = path.read_text(encoding="ascii").strip() if path.exists() else ""
        if len(key) < _MIN_KEY_CHARS:
            # Missing, or empty/short (a start that stopped between creating and writing it):
            # an empty key would sign sessions anyone can forge, so make a new one.
            key = secrets.token_urlsafe(48)
            try:
                self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
                _write_private(path, key)
            except OSError as exc:  # read-only (EACCES, EPERM, EROFS), or the disk is full
                log.warning(
                    "cannot keep the session key in %s (%s): sessions end when the server stops",
                    path,
                    exc.strerror,
                )
        elif path.stat().st_mode & 0o077:
            try:
                path.chmod(0o600)  # copied or restored with looser permissions
            except OSError as exc:
                log.warning("cannot make %s private (%s)", path, exc.strerror)
        return key

    def county_bundle_keys(self) -> Path:
        return self.bundle_keys or self.data_dir / "county-keys"

    def county_index_dir(self) -> Path:
        return self.index_dir or self.data_dir / "county-index"

    def village_db_path(self) -> Path | None:
        """The village database file, or ``None`` while the data folder has none yet."""
        if self.village:
            return self.data_dir / f"{self.village}.sqlite"
        return find_village_file(self.data_dir)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only, replacing it atomically: the file
    is created 0600 (never world-readable, not even for a moment) and renamed into place."""
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def find_village_file(data_dir: Path) -> Path | None:
    """The one ``*.sqlite`` in ``data_dir`` (field mode serves one village)."""
    files = sorted(data_dir.glob("*.sqlite")) if data_dir.is_dir() else []
    if not files:
        return None
    if len(files) > 1:
        names = ", ".join(f.stem for f in files)
        raise DataDirError(
            f"{data_dir} holds several villages ({names}): choose one with --village"
        )
    return files[0]
