"""Issue 9 point 9, at the handlers: the 村规民约, the 红白事 standard and each body's charter with
its quorum and majority rule have a page each; everyone signed in reads them, the secretary
edits them, and what they said before stays readable."""

from __future__ import annotations

from fractions import Fraction

from starlette.testclient import TestClient

import sync
from village_app import accounts
from village_app.domain import BodyKind
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, attr, form_token, log_in, one, page_of, soup


async def _village(db: sync.Database) -> None:
    await villagedata.small_village(db)
    store = villagedata.store(db)
    await store.add_village_rule("村规民约", "清溪村村规民约", "一、爱护公共设施。")
    await store.add_village_rule(
        "红白事标准",
        "清溪村红白事简办标准",
        "婚事不超过15桌。",
        limits={"wedding": {"max_tables": 15}},
    )
    await accounts.add_user(db, "viewer", "reader-password-1", village=VILLAGE, role="viewer")


def test_the_rules_page_reads_every_rule(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    page = page_of(client.get("/rules"))
    texts = {t.key: t for t in page.texts}
    assert texts["village"].current["title"] == "清溪村村规民约"
    assert texts["standard"].current["limits"] == {"wedding": {"max_tables": 15}}
    kinds = {b.kind: b for b in page.bodies}
    assert not kinds["representatives"].editable and kinds["residents_council"].editable
    html = soup(client.get("/rules"))
    assert "一、爱护公共设施。" in one(html, "#rules-village").get_text()
    assert attr(one(html, "#nav-rules"), "aria-current") == "page"


def test_a_new_version_of_the_village_rules_keeps_the_old(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    url = "/rules/village/edit"
    form = page_of(client.get(url)).form
    assert form.values["title"] == "清溪村村规民约"
    refused = client.post(url, data={"title": "", "text": "", **form_token(client, url)})
    assert refused.status_code == 422
    assert set(page_of(refused).form.errors) == {"title", "text"}  # both at once
    saved = client.post(
        url,
        data={
            "title": "清溪村村规民约（修订）",
            "text": "一、爱护公共设施。\n二、不乱倒垃圾。",
            **form_token(client, url),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("#rules-village")
    page = page_of(client.get("/rules"))
    village = next(t for t in page.texts if t.key == "village")
    assert page.saved == "village"
    assert village.current["title"] == "清溪村村规民约（修订）"
    assert [v["title"] for v in village.earlier] == ["清溪村村规民约"]


def test_the_standard_caps_are_what_the_register_checks(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    url = "/rules/standard/edit"
    values = page_of(client.get(url)).form.values
    assert values["wedding_max_tables"] == "15"
    saved = client.post(
        url,
        data={
            "title": "清溪村红白事简办标准（2026）",
            "text": "婚事不超过12桌，丧事不超过10桌。",
            "wedding_max_tables": "12",
            "funeral_max_tables": "10",
            "funeral_max_gift": "",
            **form_token(client, url),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    limits = page_of(client.get("/ceremonies")).limits
    assert limits["wedding"].max_tables == 12 and limits["funeral"].max_tables == 10
    assert limits["funeral"].max_gift is None


def test_a_charter_and_its_rule_are_edited_with_history(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    page = page_of(client.get("/councils/residents_council/charter"))
    assert page.editable and page.history == ()
    url = "/councils/residents_council/charter/edit"
    form = page_of(client.get(url)).form
    assert form.values["quorum"] == "more_than_half" and form.values["rev"] == ""
    saved = client.post(
        url,
        data={
            "charter": "议事会由村民推选产生，每届三年。",
            "quorum": "at_least_two_thirds",
            "majority": "more_than_half",
            "majority_of": "present",
            "rev": "",
            **form_token(client, url),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    charter = page_of(client.get("/councils/residents_council/charter"))
    assert charter.saved and charter.body.charter == "议事会由村民推选产生，每届三年。"
    assert charter.rule.quorum["members"].fraction == Fraction(2, 3)
    assert not charter.rule.quorum["members"].strict
    # The council page and the live check follow the new rule.
    council = soup(client.get("/councils/residents_council"))
    assert "不少于三分之二" in one(council, ".rule").get_text()
    # A second edit: the first version goes into the history.
    form = page_of(client.get(url)).form
    again = client.post(
        url,
        data={**form.values, "charter": "议事会每届五年。", **form_token(client, url)},
        follow_redirects=False,
    )
    assert again.status_code == 303
    history = page_of(client.get("/councils/residents_council/charter")).history
    (version, rule) = history[0]
    assert version.charter == "议事会由村民推选产生，每届三年。" and version.by == "secretary"
    assert rule is not None and rule.quorum["members"].fraction == Fraction(2, 3)
    # The revision read is stale now.
    stale = client.post(url, data={**form.values, **form_token(client, url)})
    assert stale.status_code == 409


def test_the_law_fixes_the_representatives_rule(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    url = "/councils/representatives/charter/edit"
    page = page_of(client.get(url))
    assert not page.editable
    assert not soup(client.get(url)).select('select[name="quorum"]')
    saved = client.post(
        url,
        data={
            "charter": "村民代表会议章程",
            "quorum": "more_than_half",
            "rev": "",
            **form_token(client, url),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    charter = page_of(client.get("/councils/representatives/charter"))
    assert charter.rule.quorum["members"].fraction == Fraction(2, 3)  # unchanged: the law's


def test_everyone_reads_only_the_secretary_edits(make_client: ClientFactory) -> None:
    client = make_client(setup=_village, logged_in=False)
    assert log_in(client, "viewer", "reader-password-1").status_code == 303
    html = soup(client.get("/rules"))
    assert "清溪村村规民约" in html.get_text() and not html.select('[data-action="edit-rule"]')
    assert client.get("/rules/village/edit").status_code == 403
    assert client.get(f"/councils/{BodyKind.RESIDENTS_COUNCIL}/charter").status_code == 200
    assert client.get(f"/councils/{BodyKind.RESIDENTS_COUNCIL}/charter/edit").status_code == 403


def test_unknown_rule_text_is_not_found(make_client: ClientFactory) -> None:
    client: TestClient = make_client(setup=_village)
    assert client.get("/rules/nothing/edit").status_code == 404
