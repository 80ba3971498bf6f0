"""Issue 9 point 2: scans survive a refused save (held for the form, shown as chips that can be
removed), and a correction carries the original's scans over by default."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from village_app.repo import PendingUploads
from village_app.repo.pending import sweep
from village_app.web.state import app_state
from web import villagedata
from web.helpers import PDF, PNG, VILLAGE, ClientFactory, attr, form_token, one, page_of, soup

KEY = "01JB0000000000000000000001"


@pytest.fixture
def reviewed(make_client: ClientFactory) -> tuple[TestClient, str]:
    made: dict[str, Any] = {}

    async def setup(db):  # type: ignore[no-untyped-def]
        await villagedata.small_village(db)
        made["matter"] = await villagedata.through_consultation(db)

    return make_client(setup=setup), made["matter"].id


def _held_folder(client: TestClient, key: str = KEY) -> Path:
    data_dir: Path = app_state(client.app).settings.data_dir  # type: ignore[arg-type]
    return data_dir / "pending" / VILLAGE / key


def _review(client: TestClient, **fields: Any) -> dict[str, Any]:
    return {
        "held_at": "2026-11-10T19:00",
        "expected": "40",
        "present": "35",
        "form_key": KEY,
        **fields,
        **form_token(client),
    }


def test_scans_are_held_across_a_refused_save(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    url = f"/matters/{matter_id}/stages/review"
    refused = client.post(
        url,
        data=_review(client),  # no vote counts: refused
        files=[
            ("attachment", ("签到表.pdf", PDF, "application/pdf")),
            ("attachment", ("照片.png", PNG, "image/png")),
        ],
    )
    assert refused.status_code == 422
    held = page_of(refused).form.held
    assert [f.name for f in held] == ["签到表.pdf", "照片.png"]
    chips = soup(refused).select("#stage-form-review .chip input[name=pending]")
    assert [attr(c, "value") for c in chips] == [f.id for f in held]
    assert all(c.has_attr("checked") for c in chips)
    assert attr(one(soup(refused), 'input[name="form_key"]'), "value") == KEY

    # Saved without choosing the files again, one of them removed (its box not sent).
    saved = client.post(
        url,
        data=_review(client, in_favour="30", pending=[held[0].id]),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    record = page_of(client.get(f"/matters/{matter_id}")).view.stages[2].attempts[0].current
    assert [a.name for a in record.attachments] == ["签到表.pdf"]
    assert not _held_folder(client).exists()  # let go once in the record


def test_a_file_that_is_not_a_scan_is_named_and_not_held(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    refused = client.post(
        f"/matters/{matter_id}/stages/review",
        data=_review(client, in_favour="30"),
        files=[
            ("attachment", ("会议记录.docx", b"PK\x03\x04 not a scan", "application/msword")),
            ("attachment", ("签到表.pdf", PDF, "application/pdf")),
        ],
    )
    assert refused.status_code == 422
    form = page_of(refused).form
    assert "“会议记录.docx”未附上" in form.state.errors["attachment"]
    assert [f.name for f in form.held] == ["签到表.pdf"]


def test_a_file_over_the_limit_is_refused_beside_the_field(
    reviewed: tuple[TestClient, str],
) -> None:
    client, matter_id = reviewed
    limit = 10 * 1024 * 1024
    big = PDF[:-6] + b"0" * (limit + 1) + b"%%EOF\n"
    refused = client.post(
        f"/matters/{matter_id}/stages/review",
        data=_review(client, in_favour="30"),
        files={"attachment": ("big.pdf", big, "application/pdf")},
    )
    assert refused.status_code == 413, page_of(refused).form.state.errors
    error = one(soup(refused), '#stage-form-review .field-error[data-field="attachment"]')
    assert "附件不能超过10 MB" in error.get_text()


def test_a_correction_carries_the_original_scans_by_default(
    reviewed: tuple[TestClient, str],
) -> None:
    client, matter_id = reviewed
    client.post(
        f"/matters/{matter_id}/stages/review",
        data=_review(client, in_favour="30", form_key=""),
        files=[("attachment", ("签到表.pdf", PDF, "application/pdf"))],
    )
    original = page_of(client.get(f"/matters/{matter_id}")).view.stages[2].attempts[0].current
    url = f"/matters/{matter_id}/records/{original.id}/correct"
    html = soup(client.get(url))
    chip = one(html, '.chip[data-carry="签到表.pdf"] input[name="carry"]')
    assert chip.has_attr("checked")
    values = {
        "held_at": "2026-11-10T19:00",
        "expected": "40",
        "present": "36",
        "in_favour": "31",
        "carry_shown": "1",
        "carry": "签到表.pdf",
        **form_token(client, url),
    }
    # Refused (no reason): the box stays as it was sent.
    refused = client.post(url, data={**values, "carry": []})
    assert refused.status_code == 409 or refused.status_code == 422
    assert not one(soup(refused), 'input[name="carry"]').has_attr("checked")
    done = client.post(url, data={**values, "reason": "签到表漏记一人"}, follow_redirects=False)
    assert done.status_code == 303
    view = page_of(client.get(f"/matters/{matter_id}")).view
    current = view.stages[2].attempts[0].current
    assert current.corrects == original.id
    assert [a.name for a in current.attachments] == ["签到表.pdf"]
    assert [a.name for a in original.attachments] == ["签到表.pdf"]  # the original untouched


def test_held_files_are_let_go_after_a_day(tmp_path: Path) -> None:
    fresh = PendingUploads(tmp_path, "01JB0000000000000000000002")
    stale = PendingUploads(tmp_path, "01JB0000000000000000000003")
    fresh.add("a.pdf", PDF)
    stale.add("b.pdf", PDF)
    day_ago = time.time() - 25 * 3600
    os.utime(stale.folder, (day_ago, day_ago))
    assert sweep(tmp_path) == 1
    assert [f.name for f in fresh.files()] == ["a.pdf"] and stale.files() == []
    with pytest.raises(ValueError):
        PendingUploads(tmp_path, "../../etc")
