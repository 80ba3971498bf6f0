"""Every route of every mode, for every role: the status each gets is the one its declared
access says, and a route that declares nothing (or is missing from this table) fails here."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

import sync
from village_app import accounts
from village_app.domain import Attendance, StageRecord, Vote
from village_app.web.security.permissions import GuardedRoute, PublicMount, routes_without_access
from village_app.web.state import app_state
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, csrf_of, log_in

#: What each route of the field app admits. A new route must be added here on purpose.
FIELD: dict[str, str] = {
    "health": "public",
    "login": "public",
    "login_submit": "public",
    "set_language": "public",
    "logout": "signed in",
    "overview": "signed in",
    "councils": "signed in",
    "council": "signed in",
    "matters": "signed in",
    "matter": "signed in",
    "notice": "signed in",
    "notice_draft": "secretary",
    "attachment": "signed in",
    "supervision": "signed in",
    "member_add": "secretary",
    "member_end_term": "secretary",
    "member_edit_form": "secretary",
    "member_edit": "secretary",
    "stage_roster": "secretary",
    "rules": "signed in",
    "rule_text_form": "secretary",
    "rule_text_edit": "secretary",
    "charter": "signed in",
    "charter_edit_form": "secretary",
    "charter_edit": "secretary",
    "worthies": "signed in",
    "worthies_add": "secretary",
    "roster_conflicts": "secretary",
    "roster_conflict_resolve": "secretary",
    "matter_create": "secretary",
    "matter_new": "secretary",
    "matter_edit_form": "secretary",
    "matter_edit": "secretary",
    "matter_conflicts": "secretary",
    "matter_conflict_resolve": "secretary",
    "stage_form": "secretary",
    "stage_record": "secretary",
    "correction_form": "secretary",
    "correction_record": "secretary",
    "meeting_check": "secretary",
    "attachment_add": "secretary",
    "supervision_add": "secretary",
    "supervision_follow_up": "secretary",
    "ceremonies": "secretary",
    "ceremony_add": "secretary",
    "services": "signed in",
    "service_resources": "signed in",
    "service_review": "signed in",
    "service_project": "signed in",
    "service_log_add": "secretary",
    "service_log_back": "signed in",
    "service_rating_add": "secretary",
    "service_rating_back": "signed in",
    "pairing_log_add": "secretary",
    "pairing_log_back": "signed in",
    "service_needs": "secretary",
    "service_need_add": "secretary",
    "service_need_propose": "secretary",
    "service_need_propose_back": "signed in",
    "service_need_close": "secretary",
    "service_need_close_back": "signed in",
    "service_posts": "signed in",
    "service_post_add": "secretary",
    "post_claim_add": "secretary",
    "post_claim_back": "signed in",
    "post_claim_end": "secretary",
    "post_claim_end_back": "signed in",
    "duty_log_add": "secretary",
    "duty_log_back": "signed in",
    "service_log_correct_form": "secretary",
    "service_log_correct": "secretary",
    "duty_log_correct_form": "secretary",
    "duty_log_correct": "secretary",
    "member_add_back": "signed in",
    "member_end_term_back": "signed in",
    "supervision_follow_up_back": "signed in",
    "attachment_add_back": "signed in",
    "unreadable": "signed in",
    "ledgers": "signed in",
    "ledger_matters_xlsx": "signed in",
    "ledger_matters_print": "signed in",
    "ledger_meetings_xlsx": "signed in",
    "ledger_meetings_print": "signed in",
    "ledger_supervision_xlsx": "signed in",
    "ledger_supervision_print": "signed in",
    "ledger_ceremonies_xlsx": "secretary",
    "ledger_ceremonies_print": "secretary",
    "ledger_services_xlsx": "signed in",
    "ledger_services_print": "signed in",
    "search": "signed in",
    "help": "signed in",
    "help_area": "signed in",
    "sync": "signed in",
    "sync_progress": "signed in",
    "sync_log": "signed in",
    "sync_settings": "secretary",
    "sync_start": "secretary",
    "sync_cancel": "secretary",
    "sync_auto": "secretary",
    "sync_bundle_key": "secretary",
    "sync_bundle_county_key": "secretary",
    "sync_bundle_export": "secretary",
    "sync_bundle_kiosk": "secretary",
    "sync_bundle_reply": "secretary",
}
MODES: dict[str, dict[str, str]] = {"field": FIELD}
ROLES = ("anonymous", "secretary", "viewer", "reviewer")
READER_PASSWORD = "reader-password-1"


async def _village(db: sync.Database) -> None:
    await villagedata.small_village(db)
    matter = await villagedata.through_consultation(db)
    await villagedata.store(db).append_stage_record(
        matter.id,
        StageRecord(
            matter.id,
            "review",
            held_at=villagedata.at(9),
            attendance=Attendance(30, 24),
            vote=Vote(20, 2, 2),
        ),
    )
    for role in ("viewer", "reviewer"):
        await accounts.add_user(db, role, READER_PASSWORD, village=VILLAGE, role=role)


def _client(make_client: ClientFactory, role: str) -> TestClient:
    client = make_client(setup=_village, logged_in=role == "secretary")
    if role in ("viewer", "reviewer"):
        assert log_in(client, role, READER_PASSWORD).status_code == 303
    return client


def _ids(client: TestClient) -> dict[str, str]:
    """Real ids for the path parameters (a made-up id would make an admitted role's answer a
    404, which says nothing about whether the role got in)."""
    state = app_state(client.app)  # type: ignore[arg-type]
    assert state.db is not None
    store = villagedata.store(state.db)

    async def read() -> dict[str, str]:
        [matter] = await store.list_matters()
        record = (await store.list_stage_records(matter.id))[0]
        member = (await store.list_members())[0]
        return {
            "matter_id": matter.id,
            "record_id": record.id,
            "stage": "review",
            "body": "residents_council",
            "member_id": member.id,
            "thread_id": "supervision:x",
            "name": "x.png",
            "area": "matters",
            "key": "village",
            # Service pages: a made-up id answers 404 to whoever is let in (not 401/403).
            "project_id": "x",
            "need_id": "x",
            "claim_id": "x",
            "pairing_id": "x",
            "log_id": "x",
            "duty_id": "x",
        }

    # The app's database lives on the test client's event loop.
    return client.portal.call(read)  # type: ignore[union-attr]


def _path(route: Route, ids: dict[str, str]) -> str:
    return re.sub(r"{(\w+)(:\w+)?}", lambda m: ids[m.group(1)], route.path)


def _expected_ok(access: str, role: str) -> bool:
    if access == "public":
        return True
    if role == "anonymous":
        return False
    return access == "signed in" or role == "secretary"


@pytest.mark.parametrize("mode", sorted(MODES))
def test_every_route_declares_its_access_and_is_in_the_table(
    make_client: ClientFactory, mode: str
) -> None:
    client = make_client(logged_in=False)
    routes = client.app.routes  # type: ignore[attr-defined]
    assert routes_without_access(routes) == []
    named = {r.name: r.access.label for r in routes if isinstance(r, GuardedRoute)}
    assert named == MODES[mode]
    assert [r.name for r in routes if isinstance(r, PublicMount)] == ["static"]


def test_a_route_without_a_declared_access_is_found() -> None:
    async def endpoint(request: Any) -> Any:
        raise AssertionError

    assert routes_without_access([Route("/open", endpoint, name="open")]) == ["/open"]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_declared(make_client: ClientFactory, role: str) -> None:
    client = _client(make_client, role)
    ids = _ids(client)
    token = csrf_of(client, "/login" if role == "anonymous" else "/")
    routes = [r for r in client.app.routes if isinstance(r, GuardedRoute)]  # type: ignore[attr-defined]
    # Logging out ends the session the other requests need: last.
    routes.sort(key=lambda r: r.name == "logout")
    seen = 0
    for route in routes:
        for method in sorted((route.methods or set()) - {"HEAD"}):
            path = _path(route, ids)
            data = {"csrf_token": token} if method == "POST" else None
            response = client.request(method, path, data=data, follow_redirects=False)
            where = f"{role} {method} {path} ({route.name}): {response.status_code}"
            to_login = response.status_code == 303 and "/login" in response.headers.get(
                "location", ""
            )
            if _expected_ok(FIELD[route.name], role):
                assert response.status_code not in (401, 403), where
                assert not to_login or route.name == "logout", where
            elif role == "anonymous":
                assert to_login if method == "GET" else response.status_code == 401, where
            else:
                assert response.status_code == 403, where
            seen += 1
    assert seen == sum(len((r.methods or set()) - {"HEAD"}) for r in routes)
