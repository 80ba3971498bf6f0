"""A kiosk with no network, fed by USB stick: the laptop's 导出到查询机 writes a public bundle
(only what the county's public database would get, signed with the laptop's key), the kiosk
imports it and its pages show the resolution. Refused whole, with one English line and
nothing written: a changed byte, a stick cut short, another village's, a key the kiosk has not
pinned, a newer format. An older stick imported again changes nothing."""

from __future__ import annotations

import asyncio
import json
import os
import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from starlette.testclient import TestClient

import sync
from village_app import repo
from village_app.bundle.container import BundleRefused
from village_app.bundle.keys import KeyPair, PublicKey, laptop_keys
from village_app.bundle.public import MAGIC, export_public, open_public, write_public
from village_app.demo import load_demo
from village_app.domain import Village
from village_app.domain.publicity import check_public
from village_app.kiosk.pull import KioskFolder, read_status
from village_app.kiosk.stick import KEYS_FILE, import_stick, pinned_keys
from village_app.web import Settings, create_app

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Laptop:
    data_dir: Path
    path: Path  # the village database
    village: str

    @property
    def key(self) -> PublicKey:
        return laptop_keys(self.data_dir, self.village).public

    async def export(self, out: Path) -> Path:
        db = await sync.open_database(str(self.path))
        try:
            return (await export_public(db, self.data_dir, self.village, out)).path
        finally:
            await db.close()

    async def store(self) -> tuple[sync.Database, repo.VillageStore]:
        db = await sync.open_database(str(self.path))
        caches = repo.VillageCaches(signer=laptop_keys(self.data_dir, self.village))
        return db, repo.VillageStore(db, self.village, repo.Actor("demo"), caches)


@pytest.fixture
async def laptop(tmp_path: Path) -> AsyncIterator[Laptop]:
    """The demo village's laptop, its twins made and signed as the app does at start-up."""
    folder = tmp_path / "laptop"
    demo = await load_demo(folder)
    made = Laptop(folder, demo.path, demo.village)
    db, store = await made.store()
    try:
        await store.repair_derived()
    finally:
        await db.close()
    yield made


async def _kiosk_state(folder: KioskFolder) -> Any:
    """Everything a kiosk holds, to compare before and after a refused stick."""
    if not folder.store_path.exists():
        return None, pinned_keys(folder).keys()
    db = await sync.open_database(str(folder.store_path), create=False)
    try:
        rows = (await db.changes(style="all_docs"))["results"]
        status = await read_status(db)
    finally:
        await db.close()
    keys = (folder.data_dir / KEYS_FILE).read_bytes() if pinned_keys(folder) else b""
    return sorted((r["id"], sorted(c["rev"] for c in r["changes"])) for r in rows), status, keys


async def _refused(folder: KioskFolder, stick: Path, code: str, trust: str | None = None) -> str:
    before = await _kiosk_state(folder)
    with pytest.raises(BundleRefused) as refused:
        await import_stick(folder, stick, trust=trust)
    assert refused.value.code == code, refused.value
    assert await _kiosk_state(folder) == before  # nothing written
    return str(refused.value)


def _client(folder: KioskFolder) -> TestClient:
    return TestClient(
        create_app(Settings(data_dir=folder.data_dir, mode="kiosk", kiosk_follow=False))
    )


async def test_laptop_to_stick_to_kiosk_pages(laptop: Laptop, tmp_path: Path) -> None:
    stick = await laptop.export(tmp_path / "kiosk.cunyi")
    data = stick.read_bytes()
    assert data.startswith(MAGIC)
    kiosk = KioskFolder(tmp_path / "kiosk")
    done = await import_stick(kiosk, stick, trust=laptop.key.fingerprint_text)
    assert done.village == laptop.village and done.written > 10 and done.refused == 0
    assert done.pinned_now and set(pinned_keys(kiosk)) == {laptop.key.fingerprint}
    with _client(kiosk) as client:
        listing = BeautifulSoup(client.get("/resolutions").text, "html.parser")
        card = listing.select_one("a.k-card")
        assert card is not None
        response = client.get(str(card["href"]))
        page = response.context["page"]  # type: ignore[attr-defined]
        assert page.matter.resolution is not None and page.matter.resolution.content
        soup = BeautifulSoup(response.text, "html.parser")
        title = soup.select_one("h1")
        assert title is not None and page.matter.title in title.text
        assert soup.select_one("#resolution-title") is not None
        assert page.matter.resolution.content in soup.text
        home = client.get("/")
        frame = home.context["page"].frame  # type: ignore[attr-defined]
        assert frame.village_name == "杏林村" and not frame.out_of_touch  # 最后更新: the stick
        assert frame.last_update is not None
    # Every record arrived, and every one passed the allow-list: nothing but public twins.
    db = await sync.open_database(str(kiosk.store_path))
    try:
        docs = (await db.all_docs(include_docs=True))["rows"]
    finally:
        await db.close()
    assert docs and all(check_public(r["doc"], laptop.village) is None for r in docs)
    # A second stick of the same laptop needs no --trust.
    again = await import_stick(kiosk, await laptop.export(tmp_path / "again.cunyi"))
    assert again.written == 0 and not again.pinned_now


async def test_an_older_stick_again_is_harmless(laptop: Laptop, tmp_path: Path) -> None:
    old = await laptop.export(tmp_path / "old.cunyi")
    db, store = await laptop.store()
    try:
        await store.add_village_rule("村规民约", "爱护水渠", "不往水渠里倒垃圾。", published=True)
    finally:
        await db.close()
    new = await laptop.export(tmp_path / "new.cunyi")
    kiosk = KioskFolder(tmp_path / "kiosk")
    await import_stick(kiosk, new, trust=laptop.key.fingerprint)
    before = await _kiosk_state(kiosk)
    replayed = await import_stick(kiosk, old)
    assert replayed.written == 0
    assert await _kiosk_state(kiosk) == before  # 最后更新 did not go back either
    with _client(kiosk) as client:
        assert "爱护水渠" in client.get("/rules").text


async def test_a_changed_byte_anywhere_is_refused(laptop: Laptop, tmp_path: Path) -> None:
    stick = await laptop.export(tmp_path / "kiosk.cunyi")
    kiosk = KioskFolder(tmp_path / "kiosk")
    await import_stick(kiosk, stick, trust=laptop.key.fingerprint)  # a kiosk with records
    data = stick.read_bytes()
    header = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])[0]
    meta_at = len(MAGIC) + 4 + header + 4
    # In the header (its JSON broken), the meta (the signature no longer matches), the
    # payload (its hash), the signature itself.
    for where in (len(MAGIC) + 6, meta_at + 20, len(data) // 2, len(data) - 70, len(data) - 5):
        copy = bytearray(data)
        copy[where] ^= 0x01
        changed = tmp_path / f"changed{where}.cunyi"
        changed.write_bytes(bytes(copy))
        await _refused(kiosk, changed, "damaged")
    # A record changed and the stick signed again by someone else: not a key the kiosk knows.
    forged = tmp_path / "forged.cunyi"
    _resign(stick, forged, tmp_path, KeyPair.generate("laptop", laptop.village))
    message = await _refused(kiosk, forged, "unknown_key")
    assert "does not know" in message and "--trust" in message


def _resign(stick: Path, out: Path, tmp_path: Path, keys: KeyPair) -> None:
    """The stick's records and description, signed with ``keys`` as if it had written them."""
    opened = open_public(stick, tmp_path / "resign")
    meta = {k: v for k, v in opened.meta.items() if not k.startswith("payload_")}
    meta["key"] = keys.public.to_text()
    write_public(out, meta, opened.payload, keys.sign)


async def test_a_stick_cut_short_is_refused(laptop: Laptop, tmp_path: Path) -> None:
    stick = await laptop.export(tmp_path / "kiosk.cunyi")
    data = stick.read_bytes()
    kiosk = KioskFolder(tmp_path / "kiosk")
    for keep in (len(data) - 1, len(data) - 64, len(data) // 2, len(MAGIC) + 2, len(MAGIC) + 30):
        cut = tmp_path / f"cut{keep}.cunyi"
        cut.write_bytes(data[:keep])
        assert "cut short" in await _refused(kiosk, cut, "truncated")
    assert not kiosk.store_path.exists()


async def test_a_key_the_kiosk_has_not_pinned_is_refused(laptop: Laptop, tmp_path: Path) -> None:
    stick = await laptop.export(tmp_path / "kiosk.cunyi")
    kiosk = KioskFolder(tmp_path / "kiosk")
    # A new kiosk trusts nobody until told: no trust on first use.
    message = await _refused(kiosk, stick, "unknown_key")
    assert laptop.key.fingerprint_text in message
    # Told the wrong fingerprint.
    other = KeyPair.generate("laptop", laptop.village).public
    await _refused(kiosk, stick, "unknown_key", trust=other.fingerprint)
    assert not kiosk.store_path.exists() and not (kiosk.data_dir / KEYS_FILE).exists()
    # A stick that carries its own key and is signed by it: still not pinned.
    own = tmp_path / "own.cunyi"
    _resign(stick, own, tmp_path, KeyPair.generate("laptop", laptop.village))
    await import_stick(kiosk, stick, trust=laptop.key.fingerprint)
    await _refused(kiosk, own, "unknown_key")


async def test_another_villages_stick_is_refused(laptop: Laptop, tmp_path: Path) -> None:
    kiosk = KioskFolder(tmp_path / "kiosk")
    await import_stick(
        kiosk, await laptop.export(tmp_path / "a.cunyi"), trust=laptop.key.fingerprint
    )
    other_code = "990101001002"
    other = Laptop(tmp_path / "other", tmp_path / "other" / f"{other_code}.sqlite", other_code)
    other.data_dir.mkdir()
    db, store = await other.store()
    try:
        await store.save_village(Village(other_code, "桃园村", "青山镇", "云岭县"))
    finally:
        await db.close()
    stick = await other.export(tmp_path / "b.cunyi")
    # Even with its key pinned on purpose, the kiosk shows one village.
    message = await _refused(kiosk, stick, "other_village", trust=other.key.fingerprint)
    assert other_code in message and laptop.village in message


async def test_a_stick_from_a_newer_version_is_refused(laptop: Laptop, tmp_path: Path) -> None:
    stick = await laptop.export(tmp_path / "kiosk.cunyi")
    data = stick.read_bytes()
    length = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])[0]
    header = json.loads(data[len(MAGIC) + 4 : len(MAGIC) + 4 + length])
    newer = json.dumps({**header, "format": 2}).encode()
    rest = data[len(MAGIC) + 4 + length :]
    path = tmp_path / "newer.cunyi"
    path.write_bytes(MAGIC + struct.pack(">I", len(newer)) + newer + rest)
    kiosk = KioskFolder(tmp_path / "kiosk")
    assert "newer version" in await _refused(
        kiosk, path, "newer_format", trust=laptop.key.fingerprint
    )
    # Neither a county bundle nor any other file is taken for one.
    other = tmp_path / "other.cunyi"
    other.write_bytes(b"CUNYI-BUNDLE\n" + os.urandom(100))
    assert "for the county" in await _refused(kiosk, other, "wrong_kind")
    other.write_bytes(os.urandom(300))
    await _refused(kiosk, other, "not_a_bundle")


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "village_app.cli", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_commands(tmp_path: Path) -> None:
    """``bundle export --public`` on the laptop, ``kiosk import`` at the kiosk; a refusal in
    one English line, exit 1."""
    demo = asyncio.run(load_demo(tmp_path / "laptop"))
    stick = tmp_path / "kiosk.cunyi"
    done = _cli("bundle", "export", "--public", "--data", tmp_path / "laptop", "--to", stick)
    assert done.returncode == 0, done.stderr
    fingerprint = laptop_keys(tmp_path / "laptop", demo.village).public.fingerprint_text
    assert fingerprint in done.stdout
    kiosk = tmp_path / "kiosk"
    refused = _cli("kiosk", "import", "--data", kiosk, stick)
    assert refused.returncode == 1 and refused.stderr.startswith("refused: ")
    assert len(refused.stderr.strip().splitlines()) == 1 and "--trust" in refused.stderr
    imported = _cli("kiosk", "import", "--data", kiosk, "--trust", fingerprint, stick)
    assert imported.returncode == 0, imported.stderr
    assert "pinned" in imported.stdout and demo.village in imported.stdout
    # The laptop's app never ran: the command made and signed the twins as its start-up does.
    with _client(KioskFolder(kiosk)) as client:
        listing = BeautifulSoup(client.get("/resolutions").text, "html.parser")
        card = listing.select_one("a.k-card")
        assert card is not None
        page = client.get(str(card["href"])).context["page"]  # type: ignore[attr-defined]
        assert page.matter.signature_hash
    cut = tmp_path / "cut.cunyi"
    cut.write_bytes(stick.read_bytes()[:-10])
    refused = _cli("kiosk", "import", "--data", kiosk, cut)
    assert refused.returncode == 1 and "cut short" in refused.stderr
    missing = _cli("kiosk", "import", "--data", kiosk, tmp_path / "nothing.cunyi")
    assert missing.returncode == 2 and missing.stderr.startswith("error: ")
