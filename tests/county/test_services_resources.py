"""Editing an entry of the resource list on the county's pages (issue 13): the form comes
filled, the edit is kept in the entry's history (what it said before stays readable), the
villages' copies follow (a township newly covered gets one), an edit made meanwhile is
refused rather than overwritten, refusals come in Chinese with what was typed, and only
county-wide staff edit."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from web.helpers import attr, csrf_of, one, soup

from county.test_services_flow import Flow, _client, _log_in, flow
from sync.couch_server import CouchServer
from sync.errors import NotFoundError
from village_app import repo
from village_app.county.services_db import CountyServices
from village_app.domain.services import Organisation, Resource

pytestmark = pytest.mark.peer

__all__ = ["flow"]


def _make(flow: Flow) -> tuple[str, str]:
    county = flow.county

    async def make() -> tuple[str, str]:
        async with CouchServer(county.url) as server:
            services = CountyServices(server, county.registry, county.prefix)
            clerk = repo.Actor(county.accounts["county"])
            org = await services.save_organisation(
                Organisation("仁和医院", "hospital", "县卫健系统行业党委"), clerk
            )
            resource, sent = await services.save_resource(
                Resource(
                    org.ref,
                    "上门义诊",
                    "charity",
                    ("medical",),
                    ("elderly_alone",),
                    "上门",
                    "每月一次",
                    20,
                    townships=("001",),
                ),
                clerk,
            )
            assert sent.written == [county.village_a]
            return org.id, resource.id

    return asyncio.run(make())


def _copy(flow: Flow, code: str, master_id: str) -> dict[str, Any] | None:
    async def read() -> dict[str, Any] | None:
        async with CouchServer(flow.county.url) as server:
            db = await server.database(flow.county.db(code), create=False)
            try:
                found: dict[str, Any] = await db.get(
                    f"service_resource:{code}:{master_id.rsplit(':', 1)[-1]}"
                )
                return found
            except NotFoundError:
                return None
            finally:
                await db.close()

    return asyncio.run(read())


def _fields(**kw: Any) -> dict[str, Any]:
    return {
        "title": "上门义诊和健康讲座",
        "kind": "charity",
        "categories": ["medical", "elderly"],
        "groups": ["elderly_alone"],
        "place": "上门",
        "frequency": "每月一次",
        "capacity": "30",
        "townships": ["001", "002"],
        "description": "",
        **kw,
    }


def test_a_resource_is_edited_with_its_history_and_the_villages_follow(
    flow: Flow, tmp_path: Path
) -> None:
    county = flow.county
    org_id, master_id = _make(flow)
    edit = f"/services/resources/{master_id}/edit"
    with _client(flow, tmp_path) as client:
        _log_in(client, county.accounts["county"])
        card = one(soup(client.get(f"/services/organisations/{org_id}")), "[data-resource]")
        assert attr(one(card, "a[data-action=edit]"), "href") == edit
        form = one(soup(client.get(edit)), "#resource-form")
        assert attr(one(form, "input[name=title]"), "value") == "上门义诊"
        assert attr(one(form, "input[name=capacity]"), "value") == "20"
        assert one(form, "input[name=townships][value='001']").has_attr("checked")
        assert not one(form, "input[name=townships][value='002']").has_attr("checked")
        rev = attr(one(form, "input[name=rev]"), "value")

        # Refused in Chinese, what was typed kept.
        token = csrf_of(client, edit)
        empty = client.post(edit, data={"csrf_token": token, "rev": rev, **_fields(title="")})
        assert empty.status_code == 422
        page = soup(empty)
        assert "请填写服务内容" in one(page, ".error-summary").get_text()
        assert attr(one(page, "input[name=capacity]"), "value") == "30"
        assert one(page, "input[name=townships][value='002']").has_attr("checked")

        saved = client.post(
            edit, data={"csrf_token": token, "rev": rev, **_fields()}, follow_redirects=False
        )
        assert saved.status_code == 303, saved.text
        assert "sent=2" in saved.headers["location"]
        history = one(soup(client.get(edit)), "#resource-history")
        changes = {attr(li, "data-field"): li.get_text() for li in history.select("[data-field]")}
        assert set(changes) == {"title", "categories", "capacity", "townships"}
        assert "上门义诊" in changes["title"] and "上门义诊和健康讲座" in changes["title"]
        assert "助医" in changes["categories"] and "助老" in changes["categories"]
        assert "乙乡" in changes["townships"]

        # An edit from the old revision (another clerk's form) is refused, not applied.
        stale = client.post(
            edit,
            data={"csrf_token": token, "rev": rev, **_fields(title="旧表单的改动")},
        )
        assert stale.status_code == 409
        assert "已被他人修改" in one(soup(stale), ".error-summary").get_text()
        assert attr(one(soup(stale), "input[name=title]"), "value") == "旧表单的改动"

        # Stopping it is kept in the history too.
        stop = client.post(
            f"/services/resources/{master_id}/active",
            data={"csrf_token": token, "active": "no"},
            follow_redirects=False,
        )
        assert stop.status_code == 303
        history = one(soup(client.get(edit)), "#resource-history")
        assert "停止提供" in one(history, "[data-field='active']").get_text()
        client.cookies.set("lang", "en")
        english = soup(client.get(edit))
        assert "Edit a service resource" in one(english, "h1").get_text()
        assert "Offered" in one(english, "#resource-history [data-field='active']").get_text()

    # The villages' copies follow: A's is edited, B (newly covered) has one; no history.
    a = _copy(flow, county.village_a, master_id)
    b = _copy(flow, county.village_b, master_id)
    assert a is not None and b is not None
    assert a["title"] == b["title"] == "上门义诊和健康讲座" and a["capacity"] == 30
    assert a["active"] is False and "history" not in a and "history" not in b


def test_only_county_wide_staff_edit_the_list(flow: Flow, tmp_path: Path) -> None:
    county = flow.county
    _, master_id = _make(flow)
    edit = f"/services/resources/{master_id}/edit"
    with _client(flow, tmp_path) as client:
        _log_in(client, county.accounts["township_a"])
        assert client.get(edit).status_code == 403
        token = csrf_of(client, "/services")
        refused = client.post(edit, data={"csrf_token": token, **_fields()})
        assert refused.status_code == 403
        assert "只有县里的工作人员" in refused.text
    assert (_copy(flow, county.village_a, master_id) or {})["title"] == "上门义诊"
