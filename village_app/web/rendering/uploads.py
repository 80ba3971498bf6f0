"""The scans sent with a form: checked, held for the form until it is saved (so a refused save
does not lose them, see :mod:`village_app.repo.pending`), and handed to the store."""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile

from village_app.domain import (
    AttachmentTooLarge,
    InvalidAttachment,
    Problems,
    validate_attachment,
)
from village_app.i18n import N_
from village_app.repo import NewAttachment, PendingUploads


async def attachments(
    form: FormData, held: PendingUploads | None, max_bytes: int, problems: Problems
) -> list[NewAttachment]:
    """The files to store with the record: those held from earlier tries that the form still
    lists (``pending``: the secretary may have removed some), then the ones chosen now. A file
    that is not a scan, or too large, is named in ``problems`` and not kept. With ``held``
    (the form has an idempotency key), every good file is held under it until the save."""
    if held is not None:
        held.keep_only({v for v in form.getlist("pending") if isinstance(v, str)})
    chosen: list[NewAttachment] = []
    for item in form.getlist("attachment"):
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        try:
            if item.size is not None and item.size > max_bytes:
                raise AttachmentTooLarge(
                    N_("附件不能超过10 MB（此文件%(size)s MB）"),
                    {"size": f"{item.size / 1024 / 1024:.1f}"},
                    field="attachment",
                )
            data = await item.read()
            if not data:
                continue
            validate_attachment(item.filename, data)
        except InvalidAttachment as exc:
            problems.add(
                type(exc)(  # too large stays too large (413)
                    N_("“%(name)s”未附上：%(why)s"),
                    {"name": item.filename, "why": exc.text},
                    field="attachment",
                    ids=exc.ids,
                )
            )
            continue
        if held is not None:
            held.add(item.filename, data)
        else:
            chosen.append(NewAttachment(item.filename, data))
    return held.read() if held is not None else chosen
