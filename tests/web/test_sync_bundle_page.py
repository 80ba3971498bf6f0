"""The U盘 part of the 同步 page: keys exchanged, 导出到U盘 as a download, the county's reply
uploaded and imported (through a county provisioned on the peer), and each refused file
explained in Chinese with nothing imported."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from couchpeer import PeerCleanup
from county.provisioned import provision
from starlette.testclient import TestClient

from village_app.bundle.container import MAGIC
from village_app.bundle.county import import_bundle
from village_app.bundle.keys import CountyKeys, PublicKey
from village_app.web.state import app_state
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, csrf_of, one, soup


def _post_file(client: TestClient, path: str, field: str, name: str, data: bytes) -> object:
    return client.post(
        path,
        data={"csrf_token": csrf_of(client, "/sync")},
        files={field: (name, data, "application/octet-stream")},
        follow_redirects=False,
    )


def _county_keys(tmp_path: Path, client: TestClient) -> CountyKeys:
    keys = CountyKeys(tmp_path / "county-keys")
    keys.create(VILLAGE[:6])
    laptop_key = client.get("/sync/bundle/laptop-key.pub")
    assert laptop_key.headers["content-disposition"] == f'attachment; filename="{VILLAGE}.pub"'
    assert PublicKey.from_text(laptop_key.content, "laptop").code == VILLAGE
    keys.register(laptop_key.content)
    return keys


def test_keys_then_a_bundle_comes_down_as_a_file(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    client = make_client(setup=villagedata.small_village)
    page = soup(client.get("/sync"))
    assert one(page, "#bundle-laptop-key")
    assert page.select_one("#bundle-export") is None  # no county key yet
    refused = client.post("/sync/bundle/export", data={"csrf_token": csrf_of(client, "/sync")})
    assert refused.status_code == 422
    assert "还没有县里的公钥" in one(soup(refused), "#bundle-error").get_text()

    bad = _post_file(client, "/sync/bundle/county-key", "key", "county.pub", b"not a key")
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert "不是县里的公钥文件" in one(soup(bad), "#bundle-error").get_text()
    keys = _county_keys(tmp_path, client)
    pub = (keys.folder / "county.pub").read_bytes()
    done = _post_file(client, "/sync/bundle/county-key", "key", "county.pub", pub)
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = soup(client.get("/sync?done=county_key"))
    assert one(page, "#bundle-done") and one(page, "#bundle-export")
    assert keys.own().public.fingerprint_text in page.get_text()

    stick = client.post("/sync/bundle/export", data={"csrf_token": csrf_of(client, "/sync")})
    assert stick.status_code == 200
    assert stick.headers["content-type"] == "application/octet-stream"
    assert f"cunyi-{VILLAGE}-" in stick.headers["content-disposition"]
    assert stick.content.startswith(MAGIC) and "清溪村".encode() not in stick.content
    service = app_state(client.app).sync  # type: ignore[arg-type]
    assert service is not None
    assert service.log.records()[0].kind == "bundle_export"
    # The header still counts the records as not at the county: nothing acknowledged them.
    assert one(soup(client.get("/")), "#sync-status")["data-state"] == "not_configured"


@pytest.mark.peer
def test_the_countys_reply_is_uploaded_and_imported(
    make_client: ClientFactory, tmp_path: Path, couch_url: str, peer_cleanup: PeerCleanup
) -> None:
    client = make_client(setup=villagedata.small_village)
    keys = _county_keys(tmp_path, client)
    _post_file(
        client,
        "/sync/bundle/county-key",
        "key",
        "county.pub",
        (keys.folder / "county.pub").read_bytes(),
    )
    stick = tmp_path / "stick.cunyi"
    stick.write_bytes(
        client.post("/sync/bundle/export", data={"csrf_token": csrf_of(client, "/sync")}).content
    )

    async def at_the_county() -> bytes:
        async for county in provision(couch_url, peer_cleanup, county_code=VILLAGE[:6]):
            done = await import_bundle(county.url, keys.folder, stick, prefix=county.prefix)
            assert done.written > 5
            return done.reply.read_bytes()
        raise AssertionError("no county")

    reply = asyncio.run(at_the_county())
    # A damaged copy first: refused, said plainly, nothing imported.
    broken = bytearray(reply)
    broken[len(broken) // 2] ^= 1
    refused = _post_file(client, "/sync/bundle/reply", "reply", "reply.cunyi", bytes(broken))
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "已损坏或被改动过" in one(soup(refused), "#bundle-error").get_text()
    cut = _post_file(client, "/sync/bundle/reply", "reply", "reply.cunyi", reply[:-10])
    assert "不完整" in one(soup(cut), "#bundle-error").get_text()
    own = _post_file(client, "/sync/bundle/reply", "reply", "stick.cunyi", stick.read_bytes())
    assert "不是给本机的" in one(soup(own), "#bundle-error").get_text()

    done = _post_file(client, "/sync/bundle/reply", "reply", "reply.cunyi", reply)
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = soup(client.get("/sync?done=reply"))
    assert one(page, "#bundle-done")["data-received"] == "0"
    service = app_state(client.app).sync  # type: ignore[arg-type]
    assert service is not None and service.pending == 0
    # A village on sticks alone: the header goes by the county's acknowledgement.
    assert one(soup(client.get("/")), "#sync-status")["data-state"] == "synced"
    assert [r.kind for r in service.log.records()[:2]] == ["bundle_reply", "bundle_export"]
    again = _post_file(client, "/sync/bundle/reply", "reply", "reply.cunyi", reply)
    assert "已经导入过了" in one(soup(again), "#bundle-error").get_text()
