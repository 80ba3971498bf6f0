"""Ending a service project and a pairing on the county's pages (issue 13): a day and a
reason, written into the village's database; refusals in Chinese with what was typed; the
ended ones shown as ended, the pairing's organisation offered again; and on the laptop,
after its pull, no service dated after the end."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from web.helpers import attr, csrf_of, one, soup

import sync
from county.test_services_flow import Flow, _client, _index, _laptop, _log_in, _secretary_url, flow
from sync.couch_server import CouchServer
from village_app import repo
from village_app.county.services_db import CountyServices
from village_app.domain import ValidationError
from village_app.domain.services import Organisation, Resource, ServiceLog

pytestmark = pytest.mark.peer

__all__ = ["flow"]


def _lists(flow: Flow) -> tuple[str, str]:
    county = flow.county

    async def make() -> tuple[str, str]:
        async with CouchServer(county.url) as server:
            services = CountyServices(server, county.registry, county.prefix)
            clerk = repo.Actor(county.accounts["county"])
            org = await services.save_organisation(
                Organisation("仁和医院", "hospital", "县卫健系统行业党委"), clerk
            )
            resource, _ = await services.save_resource(
                Resource(org.ref, "上门义诊", "charity", ("medical",), (), "上门", "每月一次"),
                clerk,
            )
            return org.id, resource.id

    made = asyncio.run(make())
    asyncio.run(_index(flow))
    return made


def _post(client: TestClient, path: str, **fields: str) -> object:
    token = csrf_of(client, f"/services/villages/{path.split('/')[3]}")
    return client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)


def test_a_project_and_a_pairing_end_with_a_day_and_a_reason(flow: Flow, tmp_path: Path) -> None:
    county = flow.county
    a = county.village_a
    org_id, master_id = _lists(flow)
    village = f"/services/villages/{a}"
    with _client(flow, tmp_path) as client:
        _log_in(client, county.accounts["township_a"])
        made = client.post(
            f"{village}/projects",
            data={
                "csrf_token": csrf_of(client, "/services/needs"),
                "need_ids": flow.need.id,
                "resource_id": master_id,
                "starts_on": "2026-06-01",
            },
            follow_redirects=False,
        )
        assert made.status_code == 303, made.text
        paired = client.post(
            f"{village}/pairings",
            data={
                "csrf_token": csrf_of(client, village),
                "organisation": org_id,
                "since": "2026-01-01",
                "schedule": "每月一次",
            },
            follow_redirects=False,
        )
        assert paired.status_code == 303, paired.text
        page = soup(client.get(village))
        # Paired now, the organisation is not offered for another pairing.
        assert page.select(f"#pairing-form option[value='{org_id}']") == []
        project_id = attr(one(page, "#projects tr[data-project]"), "data-project")
        pairing_id = attr(one(page, "[data-pairing]"), "data-pairing")
        end_project = f"{village}/projects/{project_id}/end"
        end_pairing = f"{village}/pairings/{pairing_id}/end"
        form = one(page, f"tr[data-project='{project_id}'] form")
        assert attr(form, "action") == end_project

        # Refused, in Chinese, with what was typed kept.
        no_reason = client.post(
            end_project,
            data={"csrf_token": csrf_of(client, village), "ended_on": "2026-09-30"},
        )
        assert no_reason.status_code == 422
        box = one(soup(no_reason), f"tr[data-project='{project_id}'] details[open]")
        assert "请写明结束原因" in box.get_text()
        assert attr(one(box, "input[name=ended_on]"), "value") == "2026-09-30"
        too_early = client.post(
            end_project,
            data={
                "csrf_token": csrf_of(client, village),
                "ended_on": "2026-05-01",
                "ended_reason": "医院人手不足，暂停下乡",
            },
        )
        assert too_early.status_code == 422
        box = one(soup(too_early), f"tr[data-project='{project_id}'] details[open]")
        assert "结束日期不能早于开始日期" in box.get_text()
        assert "医院人手不足，暂停下乡" in one(box, "textarea[name=ended_reason]").get_text()

        ended = client.post(
            end_project,
            data={
                "csrf_token": csrf_of(client, village),
                "ended_on": "2026-09-30",
                "ended_reason": "医院人手不足，暂停下乡",
            },
            follow_redirects=False,
        )
        assert ended.status_code == 303, ended.text
        row = one(soup(client.get(village)), f"tr[data-project='{project_id}']")
        assert "已结束" in row.get_text() and "医院人手不足，暂停下乡" in row.get_text()
        assert row.select("form") == []
        twice = client.post(
            end_project,
            data={
                "csrf_token": csrf_of(client, village),
                "ended_on": "2026-10-30",
                "ended_reason": "再结束一次",
            },
        )
        assert twice.status_code == 409 and "已经结束" in twice.text

        done = client.post(
            end_pairing,
            data={
                "csrf_token": csrf_of(client, village),
                "ended_on": "2026-11-30",
                "ended_reason": "医院改为与邻村结对",
            },
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        line = one(soup(client.get(village)), f"[data-pairing='{pairing_id}']")
        assert line["data-active"] == "no" and "医院改为与邻村结对" in line.get_text()
        assert one(soup(client.get(village)), f"#pairing-form option[value='{org_id}']")
        # The organisation may be paired with the village again.
        again = client.post(
            f"{village}/pairings",
            data={
                "csrf_token": csrf_of(client, village),
                "organisation": org_id,
                "since": "2026-12-01",
                "schedule": "每季度一次",
            },
            follow_redirects=False,
        )
        assert again.status_code == 303, again.text

    # On the laptop, after its pull: ended, with the reason; no service after the end.
    async def pull() -> None:
        store = await _laptop(flow)
        try:
            pulled = await sync.replicate(_secretary_url(county, a), store.db)
            assert not pulled.denied and pulled.error is None
            project = await store.get_project(project_id)
            assert not project.active and project.ends_on == date(2026, 9, 30)
            assert project.ended_reason == "医院人手不足，暂停下乡"
            pairings = {p.id: p for p in await store.list_pairings()}
            assert pairings[pairing_id].ended_reason == "医院改为与邻村结对"
            assert len(pairings) == 2
            with pytest.raises(ValidationError) as late:
                await store.add_service_log(
                    ServiceLog(date(2026, 10, 5), "上门测血压", 10, project_id=project_id)
                )
            assert late.value.field == "served_on" and "结束" in late.value.message()
            kept = await store.add_service_log(
                ServiceLog(date(2026, 9, 20), "上门测血压", 10, project_id=project_id)
            )
            assert kept.id
            # Nor may a correction move a service past the end.
            with pytest.raises(ValidationError) as moved:
                await store.add_service_log(
                    replace(kept, served_on=date(2026, 10, 5), corrects=kept.id, reason="日期记错")
                )
            assert moved.value.field == "served_on"
        finally:
            await store.db.close()

    asyncio.run(pull())
