"""The county index's tables of the service lists (issue 13), beside the villages' own
(:mod:`.tables`): written in the same transaction as the village's row, dropped with it."""

from __future__ import annotations

import json
from typing import Final

from sync.embedded.tables import Transaction
from village_app.county.services_summary import ServiceSummary

SCHEMA: Final = """
CREATE TABLE svc_villages (
    code TEXT PRIMARY KEY REFERENCES villages(code) ON DELETE CASCADE,
    posts INTEGER NOT NULL,
    posts_held INTEGER NOT NULL
);
CREATE TABLE svc_needs (
    code TEXT NOT NULL REFERENCES villages(code) ON DELETE CASCADE,
    id TEXT NOT NULL,
    grp TEXT NOT NULL,
    categories TEXT NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    people INTEGER NOT NULL,
    visited_on TEXT NOT NULL,
    proposed_resource TEXT,
    closed INTEGER NOT NULL,
    matched INTEGER NOT NULL,
    PRIMARY KEY (code, id)
);
CREATE INDEX svc_needs_waiting ON svc_needs(code) WHERE closed = 0 AND matched = 0;
CREATE TABLE svc_projects (
    code TEXT NOT NULL REFERENCES villages(code) ON DELETE CASCADE,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    org_id TEXT NOT NULL,
    org_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    need_count INTEGER NOT NULL,
    starts_on TEXT NOT NULL,
    PRIMARY KEY (code, id)
);
CREATE TABLE svc_pairings (
    code TEXT NOT NULL REFERENCES villages(code) ON DELETE CASCADE,
    id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    org_name TEXT NOT NULL,
    since TEXT NOT NULL,
    ended_on TEXT,
    schedule TEXT NOT NULL,
    PRIMARY KEY (code, id)
);
CREATE TABLE svc_services (
    code TEXT NOT NULL REFERENCES villages(code) ON DELETE CASCADE,
    project_id TEXT,
    pairing_id TEXT,
    year INTEGER NOT NULL,
    services INTEGER NOT NULL,
    people INTEGER NOT NULL,
    volunteers INTEGER NOT NULL,
    hours REAL NOT NULL
);
CREATE INDEX svc_services_by_village ON svc_services(code, year);
CREATE TABLE svc_ratings (
    code TEXT NOT NULL REFERENCES villages(code) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    source TEXT NOT NULL,
    ratings INTEGER NOT NULL,
    distribution TEXT NOT NULL,
    hearts TEXT NOT NULL
);
CREATE INDEX svc_ratings_by_village ON svc_ratings(code, year);
CREATE TABLE svc_kiosk_days (
    code TEXT NOT NULL REFERENCES villages(code) ON DELETE CASCADE,
    device TEXT NOT NULL,
    day TEXT NOT NULL,
    ratings INTEGER NOT NULL
);
CREATE TABLE svc_duties (
    code TEXT NOT NULL REFERENCES villages(code) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    duties INTEGER NOT NULL,
    hours REAL NOT NULL
)
"""

_TABLES: Final = (
    "svc_villages",
    "svc_needs",
    "svc_projects",
    "svc_pairings",
    "svc_services",
    "svc_ratings",
    "svc_kiosk_days",
    "svc_duties",
)


def save(tx: Transaction, code: str, summary: ServiceSummary | None) -> None:
    """Replace the village's service rows (inside the transaction that writes its row)."""
    for table in _TABLES:
        tx.execute(f"DELETE FROM {table} WHERE code = ?", (code,))
    if summary is None:
        return
    tx.execute("INSERT INTO svc_villages VALUES (?,?,?)", (code, summary.posts, summary.posts_held))
    tx.executemany(
        "INSERT INTO svc_needs VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            (
                code,
                n.id,
                n.group,
                json.dumps(list(n.categories)),
                n.kind,
                n.summary,
                n.people,
                n.visited_on,
                n.proposed_resource,
                int(n.closed),
                int(n.matched),
            )
            for n in summary.needs
        ),
    )
    tx.executemany(
        "INSERT INTO svc_projects VALUES (?,?,?,?,?,?,?,?,?)",
        (
            (code, p.id, p.title, p.org_id, p.org_name, p.kind, p.status, p.need_count, p.starts_on)
            for p in summary.projects
        ),
    )
    tx.executemany(
        "INSERT INTO svc_pairings VALUES (?,?,?,?,?,?,?)",
        (
            (code, p.id, p.org_id, p.org_name, p.since, p.ended_on, p.schedule)
            for p in summary.pairings
        ),
    )
    tx.executemany(
        "INSERT INTO svc_services VALUES (?,?,?,?,?,?,?,?)",
        (
            (code, s.project_id, s.pairing_id, s.year, s.services, s.people, s.volunteers, s.hours)
            for s in summary.services
        ),
    )
    tx.executemany(
        "INSERT INTO svc_ratings VALUES (?,?,?,?,?,?,?)",
        (
            (
                code,
                r.project_id,
                r.year,
                r.source,
                r.ratings,
                json.dumps(list(r.distribution)),
                json.dumps({h: list(v) for h, v in r.hearts.items()}),
            )
            for r in summary.ratings
        ),
    )
    tx.executemany(
        "INSERT INTO svc_kiosk_days VALUES (?,?,?,?)",
        ((code, k.device, k.day, k.ratings) for k in summary.kiosk_days),
    )
    tx.executemany(
        "INSERT INTO svc_duties VALUES (?,?,?,?)",
        ((code, d.year, d.duties, d.hours) for d in summary.duties),
    )
