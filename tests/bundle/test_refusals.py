"""Sticks that must be refused, each with a clear reason and nothing written: damaged,
cut short, for another county, signed by a key not registered for the village, another
village's, imported already, from a newer version; and a lost stick reveals nothing."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from syncing.laptop import VILLAGE, village

from bundle.conftest import Stick
from village_app.bundle.container import MAGIC, BundleRefused
from village_app.bundle.county import import_bundle
from village_app.bundle.keys import CountyKeys, KeyPair, keep_county_public_key, laptop_keys
from village_app.bundle.laptop import export_bundle, import_reply

pytestmark = pytest.mark.peer


async def _bundle(stick: Stick, path: Path) -> Path:
    await village(stick.laptop.db, stick.account, scans=2, scan_size=30_000)
    return (await export_bundle(stick.laptop.db, stick.laptop.data_dir, VILLAGE, path)).path


async def _refused(
    stick: Stick, path: Path, code: str, village: str | None = None
) -> BundleRefused:
    before = await stick.county_ids()
    with pytest.raises(BundleRefused) as refused:
        await import_bundle(
            stick.county.url, stick.keys, path, prefix=stick.county.prefix, village=village
        )
    assert refused.value.code == code, refused.value
    assert await stick.county_ids() == before  # nothing written
    assert not path.with_name(path.stem + ".reply.cunyi").exists()
    return refused.value


async def test_a_lost_stick_reveals_nothing(stick: Stick, tmp_path: Path) -> None:
    path = await _bundle(stick, tmp_path / "b.cunyi")
    data = path.read_bytes()
    for secret in (
        VILLAGE.encode(),
        "清溪村".encode(),
        "机耕道".encode(),
        b"matter:",
        b"stage_record",
        b"SQLite",
    ):
        assert secret not in data
    header_length = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])[0]
    header = json.loads(data[len(MAGIC) + 4 : len(MAGIC) + 4 + header_length])
    assert set(header) == {"format", "to", "ephemeral", "chunk"}


async def test_a_changed_byte_anywhere_is_refused(stick: Stick, tmp_path: Path) -> None:
    path = await _bundle(stick, tmp_path / "b.cunyi")
    data = bytearray(path.read_bytes())
    for where in (len(MAGIC) + 10, len(data) // 2, len(data) - 5):
        changed = tmp_path / f"changed{where}.cunyi"
        copy = bytearray(data)
        copy[where] ^= 0x01
        changed.write_bytes(bytes(copy))
        await _refused(stick, changed, "damaged")


async def test_a_stick_cut_short_is_refused(stick: Stick, tmp_path: Path) -> None:
    await village(stick.laptop.db, stick.account, scans=3, scan_size=400_000)  # a few chunks
    path = tmp_path / "b.cunyi"
    await export_bundle(stick.laptop.db, stick.laptop.data_dir, VILLAGE, path)
    data = path.read_bytes()
    for keep in (len(data) - 1, len(data) // 2, len(MAGIC) + 2):
        cut = tmp_path / f"cut{keep}.cunyi"
        cut.write_bytes(data[:keep])
        error = await _refused(stick, cut, "truncated")
        assert "cut short" in str(error)
    # Cut at a chunk's end: every chunk left is whole, the missing last one's flag tells.
    offset = len(MAGIC) + 4 + struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])[0]
    first_chunk = struct.unpack(">I", data[offset : offset + 4])[0]
    at_boundary = tmp_path / "boundary.cunyi"
    at_boundary.write_bytes(data[: offset + 4 + first_chunk])
    assert len(data) > offset + 4 + first_chunk + 1000  # there was more
    await _refused(stick, at_boundary, "truncated")


async def test_a_forged_stick_is_refused(stick: Stick, tmp_path: Path) -> None:
    """Signed by a laptop key the county never registered, encrypted to the county's real
    public key (which anyone may have): refused at the signature."""
    forger = tmp_path / "forger"
    forger.mkdir()
    (forger / f"{VILLAGE}.sqlite").write_bytes((stick.laptop.path).read_bytes())
    import sync

    db = await sync.open_database(str(forger / f"{VILLAGE}.sqlite"))
    try:
        county_pub = (stick.keys / "county.pub").read_text()
        keep_county_public_key(forger, county_pub)
        await village(db, stick.account)
        path = (await export_bundle(db, forger, VILLAGE, tmp_path / "forged.cunyi")).path
    finally:
        await db.close()
    error = await _refused(stick, path, "unknown_key")
    assert "not match the key registered" in str(error)


async def test_a_bundle_for_another_county_is_refused(stick: Stick, tmp_path: Path) -> None:
    path = await _bundle(stick, tmp_path / "b.cunyi")
    other = CountyKeys(tmp_path / "other-county")
    other.create("999999")
    other.register(laptop_keys(stick.laptop.data_dir, VILLAGE).public.to_text())
    with pytest.raises(BundleRefused) as refused:
        await import_bundle(stick.county.url, other.folder, path, prefix=stick.county.prefix)
    assert refused.value.code == "not_for_us"


async def test_another_villages_bundle_is_refused_where_one_village_is_expected(
    stick: Stick, tmp_path: Path
) -> None:
    path = await _bundle(stick, tmp_path / "b.cunyi")
    await _refused(stick, path, "other_village", village=stick.county.village_b)


async def test_a_bundle_imported_twice_is_refused_the_second_time(
    stick: Stick, tmp_path: Path
) -> None:
    path = await _bundle(stick, tmp_path / "b.cunyi")
    first = await import_bundle(stick.county.url, stick.keys, path, prefix=stick.county.prefix)
    first.reply.unlink()
    error = await _refused(stick, path, "replayed")
    assert "imported already" in str(error)
    # An older bundle after a newer one: refused too (what it holds is there already).
    older = path
    newer = (
        await export_bundle(stick.laptop.db, stick.laptop.data_dir, VILLAGE, tmp_path / "n.cunyi")
    ).path
    await import_bundle(stick.county.url, stick.keys, newer, prefix=stick.county.prefix)
    await _refused(stick, older, "replayed")


async def test_a_bundle_from_a_newer_version_is_refused(stick: Stick, tmp_path: Path) -> None:
    path = await _bundle(stick, tmp_path / "b.cunyi")
    data = path.read_bytes()
    length = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])[0]
    header = json.loads(data[len(MAGIC) + 4 : len(MAGIC) + 4 + length])
    header["format"] = 2
    raw = json.dumps(header, sort_keys=True).encode()
    newer = tmp_path / "newer.cunyi"
    newer.write_bytes(MAGIC + struct.pack(">I", len(raw)) + raw + data[len(MAGIC) + 4 + length :])
    error = await _refused(stick, newer, "newer_format")
    assert "newer version" in str(error)


async def test_the_laptop_refuses_a_reply_not_meant_for_it(stick: Stick, tmp_path: Path) -> None:
    path = await _bundle(stick, tmp_path / "b.cunyi")
    reply = (
        await import_bundle(stick.county.url, stick.keys, path, prefix=stick.county.prefix)
    ).reply
    # Another laptop (a new key) cannot read it.
    other = tmp_path / "other-laptop"
    other.mkdir()
    keep_county_public_key(other, (stick.keys / "county.pub").read_text())
    import sync

    db = await sync.open_database(str(other / f"{VILLAGE}.sqlite"))
    try:
        with pytest.raises(BundleRefused) as refused:
            await import_reply(db, other, VILLAGE, reply)
        assert refused.value.code == "not_for_us"
    finally:
        await db.close()
    # A county key the laptop does not trust: the reply's signature does not verify.
    real = (stick.laptop.data_dir / "county.pub").read_text()
    keep_county_public_key(
        stick.laptop.data_dir, KeyPair.generate("county", "330102").public.to_text()
    )
    with pytest.raises(BundleRefused) as refused:
        await import_reply(stick.laptop.db, stick.laptop.data_dir, VILLAGE, reply)
    assert refused.value.code == "unknown_key"
    keep_county_public_key(stick.laptop.data_dir, real)
    # Its own bundle is no reply; the reply once imported is not imported again.
    with pytest.raises(BundleRefused):
        await import_reply(stick.laptop.db, stick.laptop.data_dir, VILLAGE, path)
    await import_reply(stick.laptop.db, stick.laptop.data_dir, VILLAGE, reply)
    with pytest.raises(BundleRefused) as refused:
        await import_reply(stick.laptop.db, stick.laptop.data_dir, VILLAGE, reply)
    assert refused.value.code == "replayed"
