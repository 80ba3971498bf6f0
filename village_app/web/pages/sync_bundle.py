"""The U盘 part of the 同步 page: 导出到U盘 (the bundle comes down as a file to save on the
stick), 导入县里的回执 (the county's reply, uploaded), and the keys: the laptop's public key
to hand to the county, the county's to keep (once). 导出到查询机: the public bundle for a
kiosk with no network (see village_app.bundle.public)."""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Final

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from village_app.bundle.container import BundleRefused
from village_app.bundle.keys import BadKey
from village_app.bundle.public import export_public, public_bundle_name
from village_app.i18n import N_
from village_app.web.pages.sync_page import SettingsForm, _page, _service
from village_app.web.rendering.templates import render
from village_app.web.security.permissions import SECRETARY, route
from village_app.web.state import app_state

#: A county key file is a few hundred bytes; a reply, the county's reviews.
_MAX_KEY_BYTES: Final = 16 * 1024
#: Where, in the data folder, the kiosk's bundle is written before the browser saves it.
KIOSK_FOLDER: Final = "kiosk-bundles"

#: Why a bundle or key was refused (codes of BundleRefused), in words and with what to do.
BUNDLE_REFUSALS: Final[dict[str, str]] = {
    "not_a_bundle": N_("这个文件不是村议的U盘文件。请选县里给的回执文件（文件名以 .cunyi 结尾）。"),
    "damaged": N_("这个文件已损坏或被改动过，不能使用，什么也没有导入。请让县里重新导出一份。"),
    "truncated": N_(
        "这个文件不完整（可能没等复制完就拔了U盘），什么也没有导入。请重新复制一份再导入。"
    ),
    "not_for_us": N_("这个文件不是给本机的（可能是别的村、别的电脑的），什么也没有导入。"),
    "unknown_key": N_(
        "这个文件的签名对不上县里的公钥，可能是伪造的，已拒绝，什么也没有导入。请打电话向县里核对。"
    ),
    "newer_format": N_("这个文件是更新版本的村议做的。请先升级本机的村议再导入。"),
    "replayed": N_("这个回执已经导入过了，不用再导入。"),
    "other_village": N_("这是别的村的回执，不能导入本村。"),
    "wrong_kind": N_("这不是县里的回执（可能是本村自己导出的文件）。请选县里给的回执文件。"),
    "no_county_key": N_("还没有县里的公钥。请先导入县里给的公钥文件（county.pub）。"),
    "bad_key": N_("这个文件不是县里的公钥文件。请选县里给的 county.pub。"),
    "no_file": N_("请先选择文件。"),
}


def _refused(request: Request, code: str) -> Response:
    page = replace(_page(request, SettingsForm()), bundle_error=BUNDLE_REFUSALS[code])
    return render(request, "sync.html", page, status_code=422)


async def bundle_key(request: Request) -> Response:
    """The laptop's public key file, for the county to register."""
    service = _service(request)
    mine, _ = service.bundle_keys()
    return Response(
        mine.to_text(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{service.village}.pub"'},
    )


async def county_key(request: Request) -> Response:
    async with request.form(max_part_size=_MAX_KEY_BYTES) as form:
        data = await _upload(form, "key", _MAX_KEY_BYTES)
    if data is None:
        return _refused(request, "no_file")
    try:
        _service(request).keep_county_key(data)
    except (BadKey, ValueError):
        return _refused(request, "bad_key")
    return RedirectResponse(str(request.url_for("sync")) + "?done=county_key", status_code=303)


async def export(request: Request) -> Response:
    """The bundle, as a download to save on the stick."""
    try:
        done = await _service(request).export_bundle()
    except BundleRefused as exc:
        return _refused(request, exc.code if exc.code in BUNDLE_REFUSALS else "damaged")
    return FileResponse(
        done.path,
        media_type="application/octet-stream",
        filename=done.path.name,
        headers={"Cache-Control": "no-store"},
    )


async def export_kiosk(request: Request) -> Response:
    """导出到查询机: the public bundle, as a download to save on the stick."""
    service = _service(request)
    folder = service.settings.data_dir / KIOSK_FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    for old in folder.glob("*.cunyi"):  # one at a time: each holds everything public
        old.unlink(missing_ok=True)
    out = folder / public_bundle_name(service.village)
    done = await export_public(service.db, service.settings.data_dir, service.village, out)
    return FileResponse(
        done.path,
        media_type="application/octet-stream",
        filename=done.path.name,
        headers={"Cache-Control": "no-store"},
    )


async def reply(request: Request) -> Response:
    service = _service(request)
    limit = app_state(request).settings.max_body_bytes
    async with request.form(max_part_size=limit) as form:
        with tempfile.TemporaryDirectory(dir=service.settings.data_dir) as folder:
            path = Path(folder) / "reply.cunyi"
            data = await _upload(form, "reply", limit)
            if data is None:
                return _refused(request, "no_file")
            path.write_bytes(data)
            try:
                await service.import_reply(path)
            except BundleRefused as exc:
                return _refused(request, exc.code if exc.code in BUNDLE_REFUSALS else "damaged")
    return RedirectResponse(str(request.url_for("sync")) + "?done=reply", status_code=303)


async def _upload(form: FormData, name: str, limit: int) -> bytes | None:
    item = form.get(name)
    if not isinstance(item, UploadFile) or not item.filename:
        return None
    data = await item.read(limit)
    with contextlib.suppress(Exception):
        await item.close()
    return data or None


routes = [
    route("/sync/bundle/laptop-key.pub", bundle_key, name="sync_bundle_key", access=SECRETARY),
    route(
        "/sync/bundle/county-key",
        county_key,
        name="sync_bundle_county_key",
        access=SECRETARY,
        methods=("POST",),
    ),
    route(
        "/sync/bundle/export",
        export,
        name="sync_bundle_export",
        access=SECRETARY,
        methods=("POST",),
    ),
    route(
        "/sync/bundle/kiosk",
        export_kiosk,
        name="sync_bundle_kiosk",
        access=SECRETARY,
        methods=("POST",),
    ),
    route(
        "/sync/bundle/reply", reply, name="sync_bundle_reply", access=SECRETARY, methods=("POST",)
    ),
]
