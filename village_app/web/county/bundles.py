"""A village's USB stick, imported on the county's pages: the clerk uploads the village's
bundle on that village's page, the app imports it (:func:`village_app.bundle.county.import_bundle`,
as ``village-app bundle import`` does) and hands back the reply to save on the stick.

The reply is kept in the data folder (``bundle-replies/<code>.reply.cunyi``, the village's
latest) so that it can be downloaded again if the first download was lost."""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from village_app.bundle.container import BundleRefused
from village_app.bundle.county import Imported, import_bundle
from village_app.bundle.keys import BadKey
from village_app.county.registry import Village
from village_app.i18n import N_
from village_app.web.county.pages import _visible_village, county
from village_app.web.errors import PageNotFound
from village_app.web.rendering.templates import render
from village_app.web.security.permissions import SIGNED_IN, route
from village_app.web.state import app_state

REPLIES_FOLDER: Final = "bundle-replies"

#: Why a village's bundle was refused, for the county's clerk (codes of BundleRefused).
REFUSALS: Final[dict[str, str]] = {
    "not_a_bundle": N_("这个文件不是村议的U盘文件。请选村里导出的文件（文件名以 .cunyi 结尾）。"),
    "damaged": N_("这个文件已损坏或被改动过，什么也没有导入。请村里重新导出一份。"),
    "truncated": N_("这个文件不完整（可能没复制完），什么也没有导入。请村里重新复制一份。"),
    "not_for_us": N_("这个文件不是给本县的（村里可能保存了别的县的公钥），什么也没有导入。"),
    "unknown_key": N_(
        "文件的签名对不上这个村登记的公钥：可能是伪造的，或村里换了电脑还没有登记新的公钥。什么也没有导入。"
    ),
    "newer_format": N_("这个文件是更新版本的村议做的。请先升级县里的村议。"),
    "replayed": N_("这个文件已经导入过了（或者比已经导入的更旧），什么也没有再写入。"),
    "other_village": N_("这是别的村的文件，不能导入这个村。"),
    "wrong_kind": N_("这是县里给村里的回执，不是村里导出的文件。"),
    "no_database": N_("县里还没有这个村的数据库。请先运行 village-app county init。"),
    "no_keys": N_("县里还没有U盘用的钥匙。请先运行 village-app bundle county-keys。"),
    "no_file": N_("请先选择文件。"),
}


@dataclass(frozen=True)
class BundlePage:
    village: Village
    imported: Imported | None = None
    error: str = ""
    #: The village's latest reply is kept and may be downloaded (again).
    has_reply: bool = False


def _reply_path(request: Request, code: str) -> Path:
    return app_state(request).settings.data_dir / REPLIES_FOLDER / f"{code}.reply.cunyi"


def _page(
    request: Request, village: Village, *, imported: Imported | None = None, error: str = ""
) -> BundlePage:
    has_reply = _reply_path(request, village.code).exists()
    return BundlePage(village, imported, error, has_reply)


async def bundle_form(request: Request) -> Response:
    village = _visible_village(request, request.path_params["code"])
    return render(request, "county/bundle.html", _page(request, village))


async def bundle_import(request: Request) -> Response:
    village = _visible_village(request, request.path_params["code"])
    settings = app_state(request).settings
    limit = settings.max_body_bytes
    async with request.form(max_part_size=limit) as form:
        item = form.get("bundle")
        data = await item.read(limit) if isinstance(item, UploadFile) and item.filename else b""
        if isinstance(item, UploadFile):
            with contextlib.suppress(Exception):
                await item.close()
    if not data:
        return _refused(request, village, "no_file")
    reply = _reply_path(request, village.code)
    reply.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.data_dir) as folder:
        path = Path(folder) / "bundle.cunyi"
        path.write_bytes(data)
        try:
            done = await import_bundle(
                settings.couch_url or "",
                settings.county_bundle_keys(),
                path,
                reply=reply,
                prefix=county(request).prefix,
                village=village.code,
                work=Path(folder) / "work",
            )
        except BundleRefused as exc:
            return _refused(request, village, exc.code if exc.code in REFUSALS else "damaged")
        except BadKey:
            return _refused(request, village, "no_keys")
    return render(request, "county/bundle.html", _page(request, village, imported=done))


def _refused(request: Request, village: Village, code: str) -> Response:
    page = _page(request, village, error=REFUSALS[code])
    return render(request, "county/bundle.html", page, status_code=422)


async def bundle_reply(request: Request) -> Response:
    village = _visible_village(request, request.path_params["code"])
    path = _reply_path(request, village.code)
    if not path.exists():
        raise PageNotFound("回执", village.code)
    return FileResponse(
        path,
        media_type="application/octet-stream",
        filename=path.name,
        headers={"Cache-Control": "no-store"},
    )


routes = [
    route("/villages/{code}/bundle", bundle_form, name="county_bundle", access=SIGNED_IN),
    route(
        "/villages/{code}/bundle",
        bundle_import,
        name="county_bundle_import",
        access=SIGNED_IN,
        methods=("POST",),
    ),
    route(
        "/villages/{code}/bundle/reply.cunyi",
        bundle_reply,
        name="county_bundle_reply",
        access=SIGNED_IN,
    ),
]
