"""导出到查询机 on the 同步 page: there without any county key (a kiosk needs none), it comes
down as a public bundle signed by the laptop whose fingerprint the page shows, and a kiosk
given that fingerprint imports it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.testclient import TestClient

from village_app.bundle.public import MAGIC, open_public
from village_app.kiosk.pull import KioskFolder
from village_app.kiosk.stick import import_stick
from village_app.web import Settings, create_app
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, csrf_of, one, soup


def test_the_kiosks_stick_comes_down_signed(make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client(setup=villagedata.small_village)
    page = soup(client.get("/sync"))
    assert one(page, "#kiosk-export-button").get_text(strip=True) == "导出到查询机"
    fingerprint = one(page, "#kiosk-fingerprint").get_text(strip=True)
    assert len(fingerprint.replace(" ", "")) == 32
    stick = client.post("/sync/bundle/kiosk", data={"csrf_token": csrf_of(client, "/sync")})
    assert stick.status_code == 200
    assert stick.headers["content-type"] == "application/octet-stream"
    assert f"cunyi-{VILLAGE}-" in stick.headers["content-disposition"]
    assert stick.content.startswith(MAGIC)
    path = tmp_path / "kiosk.cunyi"
    path.write_bytes(stick.content)
    opened = open_public(path, tmp_path / "opened")
    assert opened.key.fingerprint_text == fingerprint and opened.meta["village"] == VILLAGE
    kiosk = KioskFolder(tmp_path / "kiosk")
    done = asyncio.run(import_stick(kiosk, path, trust=fingerprint))
    assert done.written and done.refused == 0
    app = create_app(Settings(data_dir=kiosk.data_dir, mode="kiosk", kiosk_follow=False))
    with TestClient(app) as kiosk_client:
        assert "清溪村" in kiosk_client.get("/").text
    # Only a secretary's POST with its token makes one.
    assert client.post("/sync/bundle/kiosk").status_code == 403
