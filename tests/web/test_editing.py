from __future__ import annotations

from typing import Any

from web import villagedata
from web.helpers import VILLAGE, ClientFactory, form_token, one, page_of, soup


def test_edit_a_matter_and_refuse_a_stale_edit(make_client: ClientFactory) -> None:
    made: dict[str, Any] = {}

    async def setup(db: Any) -> None:
        await villagedata.small_village(db)
        made["matter"] = await villagedata.major_matter(db)

    client = make_client(setup=setup)
    matter_id = made["matter"].id
    form = page_of(client.get(f"/matters/{matter_id}/edit")).form
    stale_rev = form.values["rev"]
    done = client.post(
        f"/matters/{matter_id}/edit",
        data={
            "title": "修建村东机耕道（一期）",
            "summary": "1.2 公里",
            "rev": stale_rev,
            **form_token(client),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert (
        page_of(client.get(f"/matters/{matter_id}")).view.matter.title == "修建村东机耕道（一期）"
    )
    stale = client.post(
        f"/matters/{matter_id}/edit",
        data={"title": "别的名称", "rev": stale_rev, **form_token(client)},
    )
    assert stale.status_code == 409
    assert page_of(stale).form.errors[""] == "此记录已被他人修改，请刷新后再试"


def test_conflicting_versions_are_shown_and_one_is_kept(make_client: ClientFactory) -> None:
    made: dict[str, Any] = {}

    async def setup(db: Any) -> None:
        await villagedata.small_village(db)
        matter = await villagedata.major_matter(db)
        made["matter"] = matter
        doc = await db.get(matter.id)
        # Another laptop's edit of the same revision, arriving by replication.
        theirs = {
            **doc,
            "title": "修建村东机耕道（另一台电脑）",
            "_rev": "2-" + "f" * 32,
            "_revisions": {"start": 2, "ids": ["f" * 32, doc["_rev"].split("-")[1]]},
        }
        ours = {
            **doc,
            "title": "修建村东机耕道（本机）",
            "_rev": "2-" + "0" * 32,
            "_revisions": {"start": 2, "ids": ["0" * 32, doc["_rev"].split("-")[1]]},
        }
        await db.bulk_docs([theirs, ours], new_edits=False)

    client = make_client(setup=setup)
    matter_id = made["matter"].id
    matter_page = client.get(f"/matters/{matter_id}")
    assert soup(matter_page).select_one("#conflict-notice a") is not None
    page = page_of(client.get(f"/matters/{matter_id}/conflicts"))
    titles = [v["title"] for v in page.versions]
    assert sorted(titles) == ["修建村东机耕道（另一台电脑）", "修建村东机耕道（本机）"]
    keep = next(v for v in page.versions if v["title"] == "修建村东机耕道（本机）")
    done = client.post(
        f"/matters/{matter_id}/conflicts",
        data={"rev": keep["_rev"], **form_token(client)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    view = page_of(client.get(f"/matters/{matter_id}")).view
    assert view.matter.title == "修建村东机耕道（本机）" and view.matter.conflicts == ()
    assert page_of(client.get(f"/matters/{matter_id}/conflicts")).versions == ()
    assert VILLAGE in matter_id


def test_a_moral_review_matter_is_put_on_and_taken_off_the_commendation_list(
    make_client: ClientFactory,
) -> None:
    client = make_client(setup=villagedata.small_village)
    created = client.post(
        "/matters",
        data={
            "kind": "council",
            "body": "moral_review_council",
            "title": "好媳妇评选",
            "year": "2026",
            "commendation": "on",
            **form_token(client),
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    url = created.headers["location"]
    assert page_of(client.get(url)).view.matter.commendation is True
    form = page_of(client.get(f"{url}/edit")).form
    assert form.values["commendation"] == "on"
    assert one(soup(client.get(f"{url}/edit")), "input[name=commendation]").has_attr("checked")
    done = client.post(
        f"{url}/edit",
        data={"title": "好媳妇评选", "rev": form.values["rev"], **form_token(client)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert page_of(client.get(url)).view.matter.commendation is False


def test_only_moral_review_matters_are_commendations(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    refused = client.post(
        "/matters",
        data={
            "kind": "council",
            "body": "residents_council",
            "title": "修路",
            "year": "2026",
            "commendation": "on",
            **form_token(client),
        },
    )
    assert refused.status_code == 422
    assert "commendation" in page_of(refused).form.errors
    assert soup(refused).select_one('.field-error[data-field="commendation"]') is not None


def test_the_matter_page_says_whether_a_moral_review_matter_may_be_public(
    make_client: ClientFactory,
) -> None:
    client = make_client(setup=villagedata.small_village)
    urls = {}
    for commendation in ("on", ""):
        created = client.post(
            "/matters",
            data={
                "kind": "council",
                "body": "moral_review_council",
                "title": f"评议{commendation}",
                "year": "2026",
                "commendation": commendation,
                **form_token(client),
            },
            follow_redirects=False,
        )
        urls[commendation] = created.headers["location"]
    assert soup(client.get(urls["on"])).select_one("#publicity .badge.done") is not None
    assert soup(client.get(urls[""])).select_one("#publicity .badge.open") is not None
    rows = soup(client.get("/matters")).select("tr[data-matter]")
    assert [r.select_one("[data-private]") is not None for r in rows].count(True) == 1
