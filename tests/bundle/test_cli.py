"""``village-app bundle`` end to end, as the secretary and the county's clerk run it: keys made
and exchanged, a stick exported, imported at the county (killed half-way by SIGKILL first:
nothing half-applied that matters, and the rerun finishes without duplicating anything), the
reply imported on the laptop; a stick cut short refused in one clear line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

import pytest
from county.provisioned import County
from syncing.conftest import MakeLaptop
from syncing.countyproxy import CountyProxy
from syncing.laptop import VILLAGE, more_matters, village

import sync
from bundle.conftest import Stick
from village_app.bundle.county import IMPORTS_ID
from village_app.syncing.pending import count_pending

pytestmark = [pytest.mark.peer, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


async def _cli(*args: str | Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "village_app.cli",
        "bundle",
        *map(str, args),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def _count(county: County) -> int:
    db = await sync.open_database(f"{county.url}/{county.db(VILLAGE)}", create=False)
    try:
        return int((await db.info())["doc_count"])
    finally:
        await db.close()


async def test_keys_export_a_killed_import_its_rerun_and_the_reply(
    county: County, make_laptop: MakeLaptop, tmp_path: Path
) -> None:
    laptop = await make_laptop(start=False)
    account = county.accounts["secretary_a"]
    # A first batch of small records, then scans: a slow second batch on a slow line.
    await more_matters(laptop.db, account, 120)
    await village(laptop.db, account, scans=4, scan_size=150_000)
    data, keys = laptop.data_dir, tmp_path / "county-keys"

    code, out, _ = await _cli("key", "--data", data)
    assert code == 0 and '"laptop-key"' in out
    (tmp_path / "laptop.pub").write_text(out)
    assert (await _cli("county-keys", "--keys", keys, "--county", county.registry.code))[0] == 0
    assert (keys / "county.key").stat().st_mode & 0o777 == 0o600
    assert (data / ".bundle_key").stat().st_mode & 0o777 == 0o600
    code, out, _ = await _cli("register", "--keys", keys, tmp_path / "laptop.pub")
    assert code == 0 and VILLAGE in out
    bundle = tmp_path / "stick" / "b1.cunyi"
    bundle.parent.mkdir()
    code, out, err = await _cli(
        "export", "--data", data, "--to", bundle, "--county-key", keys / "county.pub"
    )
    assert code == 0, err
    assert "wrote bundle 1" in out

    # The import through a slow line, killed once the first batch is in and the second under way.
    before = await _count(county)
    async with CountyProxy(county.base, bandwidth=80_000) as proxy:
        admin = county.url.replace(county.base.split("://", 1)[1], f"127.0.0.1:{proxy.port}")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "village_app.cli",
            "bundle",
            "import",
            "--couch",
            admin,
            "--keys",
            str(keys),
            "--prefix",
            county.prefix,
            str(bundle),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        # The replicator writes its batches side by side: the scans are under way while
        # the first batch lands, and take seconds more on this line.
        for _ in range(3000):
            if await _count(county) >= before + 100:
                break
            await asyncio.sleep(0.01)
        # The line drops before the kill, so that a loaded machine cannot let the rest
        # through while the signal is on its way: the import is stopped mid-way for sure.
        proxy.cut()
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        await proc.wait()
    landed = await _count(county) - before
    laptop_ids = {r["id"] for r in (await laptop.db.all_docs())["rows"]}
    assert 100 <= landed < len(laptop_ids)
    assert not bundle.with_name("b1.reply.cunyi").exists()  # no acknowledgement of half
    remote = await sync.open_database(f"{county.url}/{county.db(VILLAGE)}", create=False)
    try:
        with pytest.raises(sync.NotFoundError):
            await remote.get_local(IMPORTS_ID)
    finally:
        await remote.close()

    # Rerun: finishes, nothing twice.
    code, out, err = await _cli(
        "import", "--couch", county.url, "--keys", keys, "--prefix", county.prefix, bundle
    )
    assert code == 0, err
    assert "imported bundle 1" in out
    remote = await sync.open_database(f"{county.url}/{county.db(VILLAGE)}", create=False)
    try:
        rows = (await remote.all_docs())["rows"]
        assert {r["id"] for r in rows if not r["id"].startswith("_design/")} == laptop_ids
        for docid in laptop_ids:
            theirs = await remote.get(docid, conflicts=True)
            assert "_conflicts" not in theirs
            assert theirs["_rev"] == (await laptop.db.get(docid))["_rev"]
        assert (await remote.get_local(IMPORTS_ID))["last_number"] == 1
    finally:
        await remote.close()

    # Imported again: refused, in one line, nothing written.
    code, _, err = await _cli(
        "import", "--couch", county.url, "--keys", keys, "--prefix", county.prefix, bundle
    )
    assert code == 1 and err.startswith("refused:") and "imported already" in err

    # The reply, on the laptop.
    reply = bundle.with_name("b1.reply.cunyi")
    code, out, err = await _cli("import-reply", "--data", data, reply)
    assert code == 0, err
    assert "reply to bundle 1" in out
    assert await count_pending(laptop.db, None) == 0


async def test_a_stick_cut_short_is_refused_in_one_line(stick: Stick, tmp_path: Path) -> None:
    await village(stick.laptop.db, stick.account)
    bundle = tmp_path / "b.cunyi"
    code, _, err = await _cli("export", "--data", stick.laptop.data_dir, "--to", bundle)
    assert code == 0, err
    data = bundle.read_bytes()
    bundle.write_bytes(data[: len(data) - 100])
    before = await stick.county_ids()
    code, out, err = await _cli(
        "import",
        "--couch",
        stick.county.url,
        "--keys",
        stick.keys,
        "--prefix",
        stick.county.prefix,
        bundle,
    )
    assert code == 1 and out == ""
    assert err.strip() == "refused: the bundle ends too soon: it was cut short"
    assert await stick.county_ids() == before
