"""The session signing key in the data folder: private, never empty."""

from __future__ import annotations

import stat
from pathlib import Path

from village_app.web import Settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_is_created_owner_only_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    key = settings.resolved_secret_key()
    assert len(key) >= 32
    assert _mode(tmp_path / ".secret_key") == 0o600
    assert Settings(data_dir=tmp_path).resolved_secret_key() == key


def test_empty_key_file_is_replaced_not_used(tmp_path: Path) -> None:
    """A start that stopped between creating the file and writing it left it empty: an empty
    key signs session cookies anyone can forge."""
    (tmp_path / ".secret_key").touch()
    key = Settings(data_dir=tmp_path).resolved_secret_key()
    assert len(key) >= 32
    assert (tmp_path / ".secret_key").read_text().strip() == key
    assert _mode(tmp_path / ".secret_key") == 0o600


def test_key_file_with_loose_permissions_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / ".secret_key"
    path.write_text("k" * 64)
    path.chmod(0o644)
    assert Settings(data_dir=tmp_path).resolved_secret_key() == "k" * 64
    assert _mode(path) == 0o600
