"""Nothing private reaches a kiosk, through the real chain: a laptop records a random village
(through the store, and raw documents of every type as a broken or hostile laptop would
write them), syncs to the county (the test peer, provisioned by ``county init``, with the
secretary's account), CouchDB's own ``_replicator`` job fills the public database, and a kiosk
pulls it with its kiosk account. Every private value (named votes, attendance names, phone
and ID numbers, close relatives, moral reviews that are not commendations, draft matters,
party members, rules not published, member_private documents) is a unique token; each field
of each revision that arrived, on the public database and on the kiosk, is on the allow-list
and holds none of them. Public tokens must arrive: the chain really ran.

The service lists (issue 13) go the same way: needs (the person sealed, the summary and the
visitor private all the same: the kiosk never shows a need in any form), a project the
county matched (its note and its needs private; title, organisation, schedule public),
services delivered and their corrections (what and how many public; place, volunteers and
the reason private), posts and their holders (public), duties and ratings (private)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from couchpeer import PeerCleanup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sync
from county.provisioned import PASSWORD, County, provision
from sync.errors import NotFoundError
from village_app import repo
from village_app.domain import (
    SHANGHAI,
    Attendance,
    Matter,
    Member,
    Publication,
    StageRecord,
    Village,
    Vote,
    check_public,
)
from village_app.domain.dates import now_utc, to_shanghai
from village_app.domain.organisation import ROSTER_BODIES
from village_app.domain.publicity import PUBLIC_ROSTERS, PUBLIC_TYPES
from village_app.domain.services import (
    Claim,
    DutyLog,
    Need,
    NeedPerson,
    OrgRef,
    Post,
    Project,
    Rating,
    ServiceLog,
    builtin_posts,
)
from village_app.domain.services.vocab import ServiceDoc
from village_app.kiosk.pull import KioskFolder, pull
from village_app.repo.docs import services as sdocs
from village_app.repo.public import PublicTwins
from village_app.repo.sealing import SealKey

pytestmark = pytest.mark.peer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
COUNCIL_BODIES = (
    "residents_council",
    "moral_review_council",
    "worthies_association",
    "weddings_funerals_council",
)
#: Names a broken laptop might give private data (the deny-list of old missed most).
PRIVATE_NAMES = ("phone", "id_number", "mobile", "phone_number", "id_card", "names", "by_name")


@pytest.fixture
async def county(couch_url: str, peer_cleanup: PeerCleanup) -> AsyncIterator[County]:
    async for provisioned in provision(couch_url, peer_cleanup):
        yield provisioned


@dataclass
class Tokens:
    """Unique strings for private and public values, to find them wherever they land."""

    private: set[str] = field(default_factory=set)
    public: set[str] = field(default_factory=set)

    def secret(self, what: str) -> str:
        token = f"私{what}{uuid.uuid4().hex[:10]}"
        self.private.add(token)
        return token

    def shown(self, what: str) -> str:
        token = f"公{what}{uuid.uuid4().hex[:10]}"
        self.public.add(token)
        return token


@dataclass(frozen=True)
class MatterPlan:
    body: str  # "major" or a council
    commendation: bool
    stages: int  # how many stages recorded
    named: bool  # attendance names and named votes recorded


@dataclass(frozen=True)
class ServicesPlan:
    needs: int  # needs from home visits, each with a sealed person
    project: bool  # the county matches them into a project
    logs: int  # services delivered (with a place and volunteers)
    correction: bool  # the last one corrected
    own_post: bool  # a post the village adds (else a claim of a named one)
    claims: int
    duties: bool
    ratings: int


@dataclass(frozen=True)
class Plan:
    matters: list[MatterPlan]
    members: list[tuple[str, bool]]  # body, with a phone and relatives
    rules: list[bool]  # published?
    raw: list[tuple[str, str]]  # type, private field name
    services: ServicesPlan


#: The village's service records a broken laptop might write with a private field.
SERVICE_TYPES = (
    ServiceDoc.NEED,
    ServiceDoc.SERVICE_LOG,
    ServiceDoc.POST,
    ServiceDoc.CLAIM,
    ServiceDoc.DUTY_LOG,
    ServiceDoc.RATING,
)

_PLANS = st.builds(
    Plan,
    matters=st.lists(
        st.builds(
            MatterPlan,
            body=st.sampled_from(("major", *COUNCIL_BODIES)),
            commendation=st.booleans(),
            stages=st.integers(0, 6),
            named=st.booleans(),
        ),
        min_size=1,
        max_size=4,
    ),
    members=st.lists(
        st.tuples(st.sampled_from([str(b) for b in ROSTER_BODIES]), st.booleans()), max_size=4
    ),
    rules=st.lists(st.booleans(), max_size=2),
    raw=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "member",
                    "member_private",
                    "matter",
                    "stage_record",
                    "supervision",
                    "ceremony",
                    "village_rule",
                    *(str(t) for t in SERVICE_TYPES),
                    *PUBLIC_TYPES,
                ]
            ),
            st.sampled_from(PRIVATE_NAMES),
        ),
        max_size=5,
    ),
    services=st.builds(
        ServicesPlan,
        needs=st.integers(0, 2),
        project=st.booleans(),
        logs=st.integers(0, 2),
        correction=st.booleans(),
        own_post=st.booleans(),
        claims=st.integers(0, 2),
        duties=st.booleans(),
        ratings=st.integers(0, 2),
    ),
)


def _attendance(tokens: Tokens, named: bool) -> Attendance:
    names = tuple(tokens.secret("到会") for _ in range(4)) if named else ()
    return Attendance(5, 4, attendees=names)


def _vote(attendance: Attendance, named: bool) -> Vote:
    if not named:
        return Vote(3, 1, 0)
    names = attendance.attendees
    return Vote(
        3, 1, 0, by_name=tuple((n, "for" if i < 3 else "against") for i, n in enumerate(names))
    )


def _steps(
    matter: Matter, plan: MatterPlan, tokens: Tokens, public: bool
) -> list[Callable[[], StageRecord]]:
    """Makers of the plan's stage records (tokens are made only for what is recorded); texts
    that will be public get public tokens."""
    text = tokens.shown if public else tokens.secret
    day = [T0 + timedelta(days=i) for i in range(7)]
    mid = matter.id

    def meeting(stage: str, i: int, *, vote: bool = False, **kw: Any) -> StageRecord:
        attendance = _attendance(tokens, plan.named)
        return StageRecord(
            mid,
            stage,
            held_at=day[i],
            attendance=attendance,
            vote=_vote(attendance, plan.named) if vote else None,
            **kw,
        )

    def staff() -> tuple[str, ...]:
        return (tokens.secret("乡干部"),) if plan.named else ()

    def published(stage: str, i: int) -> StageRecord:
        where = Publication(text("标题"), text("地点"), day[i])
        return StageRecord(mid, stage, content=text("公告"), publication=where)

    if plan.body == "major":
        return [
            lambda: meeting("proposal", 0, content=tokens.secret("提议")),
            lambda: meeting("consultation", 1, content=tokens.secret("商议")),
            lambda: meeting("review", 2, vote=True, township_staff=staff()),
            lambda: meeting(
                "resolution", 3, vote=True, body="representatives", township_staff=staff(),
                content=text("决议"),
            ),
            lambda: published("resolution_publication", 4),
            lambda: published("result_publication", 5),
        ]  # fmt: skip
    return [
        lambda: StageRecord(mid, "council_proposal", held_at=day[0], content=tokens.secret("提议")),
        lambda: meeting("deliberation", 1, content=tokens.secret("纪要")),
        lambda: meeting("council_vote", 2, vote=True),
        lambda: StageRecord(mid, "council_resolution", held_at=day[3], content=text("决议")),
        lambda: published("council_publication", 4),
    ]  # fmt: skip


async def _record_matter(store: repo.VillageStore, plan: MatterPlan, tokens: Tokens) -> None:
    commendation = plan.body == "moral_review_council" and plan.commendation
    named_private = plan.body == "moral_review_council" and not commendation
    major = plan.body == "major"
    public = plan.stages >= 5 and not named_private  # its resolution published
    title = (tokens.shown if public else tokens.secret)("事项")
    matter = await store.create_matter(
        Matter(
            kind="major" if major else "council",
            title=title,
            body="" if major else plan.body,
            year=2026,
            summary=(tokens.shown if public else tokens.secret)("摘要"),
            commendation=commendation,
        )
    )
    steps = _steps(matter, plan, tokens, public)
    if named_private:
        steps = steps[:4]  # a moral review that is no commendation is never published
    for make in steps[: plan.stages]:
        await store.append_stage_record(matter.id, make())


async def _record_members(store: repo.VillageStore, plan: Plan, tokens: Tokens) -> None:
    for body, details in plan.members:
        public = body in PUBLIC_ROSTERS
        name = (tokens.shown if public else tokens.secret)("成员")
        await store.add_member(
            Member(
                body,
                name,
                "成员",
                T0.date(),
                phone=tokens.secret("电话") if details else "",
                close_relatives=(tokens.secret("亲属"),) if details else (),
            )
        )


def _raw(
    code: str, author: str, doc_type: str, private_field: str, tokens: Tokens
) -> dict[str, Any]:
    """A document of ``doc_type`` with a private field, as some other laptop wrote it."""
    doc: dict[str, Any] = {
        "_id": f"{doc_type}:{code}:{uuid.uuid4().hex}",
        "type": doc_type,
        "village": code,
        "created_at": "2026-03-01T08:00:00.000Z",
        "created_by": author,
        private_field: tokens.secret(private_field),
    }
    if doc_type == "member":
        doc.update(body="residents_council", name=tokens.shown("成员"), role="成员")
    elif doc_type == "matter":
        doc.update(kind="major", title=tokens.secret("草案"), body="party_branch", year=2026)
        doc.update(stage="proposal")
    elif doc_type == "village_rule":
        doc.update(kind="村规民约", title=tokens.shown("规约"), text=tokens.shown("条文"))
        doc.update(published=True)
    elif doc_type == ServiceDoc.SERVICE_LOG:
        doc.update(served_on="2026-03-01", what=tokens.shown("服务"), people_served=3)
        doc.update(project_id=f"service_project:{code}:p")
    elif doc_type == ServiceDoc.POST:
        doc.update(name=tokens.shown("岗位"))
    elif doc_type == ServiceDoc.CLAIM:
        doc.update(post_id=f"service_post:{code}:policy_law", holder=tokens.shown("认领人"))
        doc.update(holder_kind="volunteer", since="2026-03-01")
    elif doc_type.startswith("public_"):
        del doc["created_at"], doc["created_by"]  # a twin has no author of its own
    return doc


async def _record_services(
    store: repo.VillageStore, county: County, remote: str, plan: ServicesPlan, tokens: Tokens
) -> None:
    """The service lists as a village records them, and a project the county matched (written
    by the county into the village's database, pulled by the laptop)."""
    code = store.village
    day = to_shanghai(now_utc()).date() - timedelta(days=3)
    needs = []
    for _ in range(plan.needs):
        person = NeedPerson(
            tokens.secret("姓名"),
            tokens.secret("住址"),
            tokens.secret("电话"),
            tokens.secret("情况"),
        )
        needs.append(
            await store.add_need(
                Need(
                    "elderly_alone",
                    tokens.secret("需求"),
                    day,
                    categories=("elderly",),
                    visited_by=tokens.secret("走访人"),
                    person=person,
                )
            )
        )
    project_id = None
    if plan.project:
        organisation = OrgRef(f"service_org:{county.registry.code}:o1", tokens.shown("组织"))
        project = Project(
            tokens.shown("项目"),
            "",
            organisation,
            "charity",
            day - timedelta(days=30),
            need_ids=tuple(n.id for n in needs),
            schedule=tokens.shown("安排"),
            note=tokens.secret("备注"),
        )
        doc = sdocs.project_to_doc(code, project, repo.Actor(county.accounts["county"]))
        async with httpx.AsyncClient(timeout=30) as client:
            put = await client.put(f"{county.url}/{county.db(code)}/{doc['_id']}", json=doc)
            assert put.status_code == 201, put.text
        await sync.replicate(remote, store.db, doc_ids=[doc["_id"]])
        project_id = str(doc["_id"])
    last = None
    for _ in range(plan.logs if project_id else 0):
        last = await store.add_service_log(
            ServiceLog(
                day,
                tokens.shown("服务"),
                5,
                volunteers=2,
                volunteer_hours=3.0,
                project_id=project_id,
                place=tokens.secret("地点"),
            )
        )
    if last is not None and plan.correction:
        await store.add_service_log(
            ServiceLog(
                day,
                tokens.shown("更正"),
                6,
                project_id=project_id,
                place=tokens.secret("地点"),
                corrects=last.id,
                reason=tokens.secret("原因"),
            )
        )
    if plan.own_post:
        post = await store.add_post(Post(tokens.shown("岗位"), tokens.shown("职责")))
    else:
        post = builtin_posts(code)[0]
    holders = []
    for _ in range(plan.claims):
        claim = Claim(post.id, tokens.shown("认领人"), "volunteer", day - timedelta(days=1))
        holders.append(await store.claim_post(claim))
    if holders and plan.duties:
        duty = DutyLog(post.id, holders[0].holder, day, tokens.secret("履职"), hours=2.0)
        await store.add_duty_log(duty)
    for _ in range(plan.ratings if project_id else 0):
        await store.add_rating(Rating(str(project_id), {"close": 4, "warm": 5}, day))


async def _chain(county: County, folder: Path, plan: Plan, tokens: Tokens) -> Path:
    code = county.village_a
    author = county.accounts["secretary_a"]
    laptop = await sync.open_database(str(folder / f"{code}.sqlite"))
    store = repo.VillageStore(laptop, code, repo.Actor(author))
    store.seal_key = SealKey.generate()
    scheme, rest = county.base.split("://", 1)
    remote = f"{scheme}://{author}:{PASSWORD}@{rest}/{county.db(code)}"
    try:
        # The village's profile as the county has it (from earlier examples): a laptop of the
        # same village edits it rather than making a second one.
        profile = f"village:{code}:profile"
        await sync.replicate(remote, laptop, doc_ids=[profile, f"public_{profile}"])
        await store.repair_derived()
        await store.save_village(Village(code, tokens.shown("村"), "甲镇", "测试县"))
        # Matters before members: nobody is seated yet, so the names typed for a meeting are
        # not checked against a roster (and stay tokens of their own, private).
        for matter in plan.matters:
            await _record_matter(store, matter, tokens)
        await _record_members(store, plan, tokens)
        await _record_services(store, county, remote, plan.services, tokens)
        for published in plan.rules:
            make = tokens.shown if published else tokens.secret
            await store.add_village_rule(
                "村规民约", make("规约"), make("条文"), published=published
            )
        raw = [_raw(code, author, t, f, tokens) for t, f in plan.raw]
        await laptop.bulk_docs([d for d in raw if not d["type"].startswith("public_")])
        await PublicTwins(store).reconcile_all()  # what start-up does
        await laptop.bulk_docs([d for d in raw if d["type"].startswith("public_")])
        pushed = await sync.replicate(laptop, remote)
        assert not pushed.denied, pushed.denied
    finally:
        await laptop.close()
    await _public_caught_up(county, code)
    kiosk = KioskFolder(folder / "kiosk")
    url = f"{scheme}://{county.accounts['kiosk_a']}:{PASSWORD}@{rest}/{county.public_db(code)}"
    result = await pull(kiosk, url)
    assert result.refused == 0  # the county's database already refused what is not public
    return kiosk.store_path


async def _twins_in(client: httpx.AsyncClient, url: str) -> dict[str, set[str]]:
    """Every public twin (all leaf revisions) of a database."""
    rows = (await client.get(f"{url}/_changes", params={"style": "all_docs"})).json()["results"]
    return {
        r["id"]: {c["rev"] for c in r["changes"]}
        for r in rows
        if str(r["id"]).startswith("public_")
    }


async def _public_caught_up(county: County, code: str) -> None:
    """Wait for CouchDB's replicator: every twin revision of the village database that the
    allow-list passes is in the public database."""
    source, target = f"{county.url}/{county.db(code)}", f"{county.url}/{county.public_db(code)}"
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(600):
            wanted: dict[str, set[str]] = {}
            for docid, revs in (await _twins_in(client, source)).items():
                for rev in revs:
                    doc = (await client.get(f"{source}/{docid}", params={"rev": rev})).json()
                    if check_public(doc, code) is None:
                        wanted.setdefault(docid, set()).add(rev)
            have = await _twins_in(client, target)
            missing = {k: v - have.get(k, set()) for k, v in wanted.items()}
            if not any(missing.values()):
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"the public database did not catch up: {missing}")


async def _every_revision(db: sync.Database) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for row in (await db.changes(style="all_docs"))["results"]:
        try:
            found = await db.get(row["id"], open_revs="all")
        except NotFoundError:
            continue
        docs.extend(item["ok"] for item in found if "ok" in item)
    return docs


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _assert_nothing_private(
    docs: list[dict[str, Any]], code: str, tokens: Tokens, where: str
) -> None:
    for doc in docs:
        if str(doc.get("_id", "")).startswith("_design/"):
            continue
        refusal = check_public(doc, code)
        assert refusal is None, (where, doc.get("_id"), refusal)
        for key, value in doc.items():  # field by field, at any depth
            leaked = [t for s in _strings(value) for t in tokens.private if t in s]
            assert not leaked, (where, doc["_id"], key, leaked)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=_PLANS)
def test_nothing_private_reaches_the_kiosk(
    county: County, tmp_path_factory: pytest.TempPathFactory, plan: Plan
) -> None:
    tokens = Tokens()
    folder = tmp_path_factory.mktemp("chain")

    async def run() -> None:
        kiosk_store = await _chain(county, folder, plan, tokens)
        code = county.village_a
        public = await sync.open_database(f"{county.url}/{county.public_db(code)}")
        kiosk = await sync.open_database(str(kiosk_store))
        try:
            on_county = await _every_revision(public)
            on_kiosk = await _every_revision(kiosk)
        finally:
            await public.close()
            await kiosk.close()
        _assert_nothing_private(on_county, code, tokens, "public database")
        _assert_nothing_private(on_kiosk, code, tokens, "kiosk")
        # The chain ran: what was published is there (tokens of this example only).
        arrived = json.dumps(on_kiosk, ensure_ascii=False)
        missing = [t for t in tokens.public if t not in arrived]
        assert not missing, missing

    asyncio.run(run())
