"""Reading the service lists from the county index (issue 13): one read for any number of
villages, as the rest of the county pages (:mod:`.index`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sync.embedded.tables import Transaction
from village_app.county.index import CountyIndex
from village_app.county.services_summary import KioskDay, NeedRow, PairingRow, ProjectRow
from village_app.domain.services import Satisfaction
from village_app.domain.services.ratings import BURST_PER_DAY


def _in(codes: Sequence[str]) -> str:
    return ",".join("?" * len(codes))


def _need(row: dict[str, object]) -> NeedRow:
    return NeedRow(
        id=str(row["id"]),
        group=str(row["grp"]),
        categories=tuple(json.loads(str(row["categories"]))),
        kind=str(row["kind"]),
        summary=str(row["summary"]),
        people=int(row["people"]),  # type: ignore[call-overload]
        visited_on=str(row["visited_on"]),
        proposed_resource=row["proposed_resource"] if row["proposed_resource"] else None,  # type: ignore[arg-type]
        closed=bool(row["closed"]),
        matched=bool(row["matched"]),
    )


async def needs(
    index: CountyIndex, codes: Sequence[str], *, waiting_only: bool = True
) -> list[tuple[str, NeedRow]]:
    """Needs of ``codes`` (open ones no project serves, by default), oldest visit first."""
    if not codes:
        return []
    where = " AND closed = 0 AND matched = 0" if waiting_only else ""

    def read(tx: Transaction) -> list[tuple[str, NeedRow]]:
        rows = tx.rows(
            f"SELECT * FROM svc_needs WHERE code IN ({_in(codes)}){where} "
            "ORDER BY visited_on, code, id",
            tuple(codes),
        )
        return [(r["code"], _need(r)) for r in rows]

    return await index.read(read)


async def projects(index: CountyIndex, codes: Sequence[str]) -> list[tuple[str, ProjectRow]]:
    if not codes:
        return []
    rows = await index.read(
        lambda tx: tx.rows(
            f"SELECT * FROM svc_projects WHERE code IN ({_in(codes)}) "
            "ORDER BY starts_on DESC, code, id",
            tuple(codes),
        )
    )
    return [
        (
            r["code"],
            ProjectRow(
                r["id"],
                r["title"],
                r["org_id"],
                r["org_name"],
                r["kind"],
                r["status"],
                r["need_count"],
                r["starts_on"],
            ),
        )
        for r in rows
    ]


async def pairings(index: CountyIndex, codes: Sequence[str]) -> list[tuple[str, PairingRow]]:
    if not codes:
        return []
    rows = await index.read(
        lambda tx: tx.rows(
            f"SELECT * FROM svc_pairings WHERE code IN ({_in(codes)}) ORDER BY since, code, id",
            tuple(codes),
        )
    )
    return [
        (
            r["code"],
            PairingRow(
                r["id"], r["org_id"], r["org_name"], r["since"], r["ended_on"], r["schedule"]
            ),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class ServiceFigures:
    """One village's service figures for a year (add them up by township)."""

    code: str
    projects_active: int = 0
    projects_ended: int = 0
    services: int = 0
    people: int = 0
    volunteers: int = 0
    hours: float = 0.0
    needs_matched: int = 0
    needs_waiting: int = 0
    needs_closed: int = 0
    posts: int = 0
    posts_held: int = 0
    duties: int = 0
    duty_hours: float = 0.0


async def figures(index: CountyIndex, codes: Sequence[str], year: int) -> dict[str, ServiceFigures]:
    """Per village of ``codes`` that the index holds: projects (now), needs (now), services
    and duties of ``year``."""
    if not codes:
        return {}
    params = tuple(codes)

    def read(tx: Transaction) -> dict[str, ServiceFigures]:
        out: dict[str, dict[str, float]] = {}

        def add(code: str, **values: float) -> None:
            row = out.setdefault(code, {})
            for k, v in values.items():
                row[k] = row.get(k, 0) + (v or 0)

        for r in tx.rows(
            f"SELECT code, posts, posts_held FROM svc_villages WHERE code IN ({_in(codes)})", params
        ):
            add(r["code"], posts=r["posts"], posts_held=r["posts_held"])
        for r in tx.rows(
            "SELECT code, SUM(status = 'active') AS a, SUM(status != 'active') AS e "
            f"FROM svc_projects WHERE code IN ({_in(codes)}) GROUP BY code",
            params,
        ):
            add(r["code"], projects_active=r["a"], projects_ended=r["e"])
        for r in tx.rows(
            "SELECT code, SUM(closed = 0 AND matched = 1) AS m, "
            "SUM(closed = 0 AND matched = 0) AS w, SUM(closed = 1) AS c "
            f"FROM svc_needs WHERE code IN ({_in(codes)}) GROUP BY code",
            params,
        ):
            add(r["code"], needs_matched=r["m"], needs_waiting=r["w"], needs_closed=r["c"])
        for r in tx.rows(
            "SELECT code, SUM(services) AS s, SUM(people) AS p, SUM(volunteers) AS v, "
            f"SUM(hours) AS h FROM svc_services WHERE code IN ({_in(codes)}) AND year = ? "
            "GROUP BY code",
            (*params, year),
        ):
            add(r["code"], services=r["s"], people=r["p"], volunteers=r["v"], hours=r["h"])
        for r in tx.rows(
            "SELECT code, SUM(duties) AS d, SUM(hours) AS h FROM svc_duties "
            f"WHERE code IN ({_in(codes)}) AND year = ? GROUP BY code",
            (*params, year),
        ):
            add(r["code"], duties=r["d"], duty_hours=r["h"])
        return {
            code: ServiceFigures(
                code,
                **{
                    k: (round(v, 1) if k in ("hours", "duty_hours") else int(v))
                    for k, v in values.items()
                },  # type: ignore[arg-type]
            )
            for code, values in out.items()
        }

    return await index.read(read)


def _satisfaction(rows: Sequence[dict[str, object]]) -> Satisfaction:
    out = Satisfaction()
    for r in rows:
        hearts = {h: (int(v[0]), int(v[1])) for h, v in json.loads(str(r["hearts"])).items()}
        dist = tuple(int(n) for n in json.loads(str(r["distribution"])))
        out = out.merge(Satisfaction(int(r["ratings"]), dist, hearts))  # type: ignore[call-overload]
    return out


@dataclass(frozen=True)
class SatisfactionBy:
    by_organisation: dict[str, Satisfaction]  # organisation name -> satisfaction
    by_kind: dict[str, Satisfaction]  # SERVICE_KINDS key -> satisfaction
    overall: Satisfaction


async def satisfaction(index: CountyIndex, codes: Sequence[str], year: int) -> SatisfactionBy:
    """Ratings of ``year`` of the villages' projects, by organisation and by kind."""
    if not codes:
        return SatisfactionBy({}, {}, Satisfaction())

    def read(tx: Transaction) -> SatisfactionBy:
        rows = tx.rows(
            "SELECT r.ratings, r.distribution, r.hearts, p.org_name, p.kind "
            "FROM svc_ratings r JOIN svc_projects p ON p.code = r.code AND p.id = r.project_id "
            f"WHERE r.code IN ({_in(codes)}) AND r.year = ?",
            (*codes, year),
        )
        by_org: dict[str, list[dict[str, object]]] = {}
        by_kind: dict[str, list[dict[str, object]]] = {}
        for r in rows:
            by_org.setdefault(r["org_name"], []).append(r)
            by_kind.setdefault(r["kind"], []).append(r)
        return SatisfactionBy(
            {k: _satisfaction(v) for k, v in sorted(by_org.items())},
            {k: _satisfaction(v) for k, v in by_kind.items()},
            _satisfaction(rows),
        )

    return await index.read(read)


async def kiosk_bursts(
    index: CountyIndex, codes: Sequence[str], per_day: int = BURST_PER_DAY
) -> list[tuple[str, KioskDay]]:
    """Days on which one kiosk gave more ratings than a village hall sees."""
    if not codes:
        return []
    rows = await index.read(
        lambda tx: tx.rows(
            f"SELECT code, device, day, ratings FROM svc_kiosk_days WHERE code IN ({_in(codes)}) "
            "AND ratings > ? ORDER BY day DESC, code",
            (*codes, per_day),
        )
    )
    return [(r["code"], KioskDay(r["device"], r["day"], r["ratings"])) for r in rows]
