"""Kiosk inboxes: how a villager's rating at the kiosk reaches the county (issue 13).

A kiosk holds the credentials of its kiosk account, which reads the village's public
database and nothing else private. Its one write goes to a database of its own on the
county's CouchDB, ``kiosk_<code>_<account>_ratings`` (:func:`roles.kiosk_inbox`), which
``county init`` makes for each kiosk in the registry with:

* ``_security``: the kiosk's account, **by name**, its only member (so one kiosk cannot
  write, or read, another's inbox, even of the same village); admins the county's
  administrators;
* a design document whose ``validate_doc_update`` (``validate_inbox.js``) accepts nothing
  but new, well-formed, anonymous ratings of this village's projects that say they came from
  this kiosk (:func:`village_app.domain.services.public.check_kiosk_rating`), never an edit,
  never a deletion.

The kiosk keeps its ratings in a store of its own and pushes them there with the replicator
(:mod:`village_app.kiosk.ratings`); a kiosk offline keeps them until the next push.

The county indexer merges each inbox into the village's database (:func:`merge_inbox`), as
the administrator, checking every document again; from there the ratings are counted with
the others (the county index's ``svc_ratings`` and ``svc_kiosk_days``: a kiosk giving more
than 30 in one day is flagged on the services dashboard) and reach the laptop at its next
pull, for the village's yearly review. Merged revisions keep their ids and revisions, so a
second merge writes nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import sync
from sync.couch_server import CouchServer
from sync.database import Database, Doc
from village_app.county import roles
from village_app.domain.services.public import INBOX_FIELDS, INBOX_META, check_kiosk_rating
from village_app.domain.services.ratings import SCORES
from village_app.domain.services.vocab import HEARTS, ServiceDoc
from village_app.kiosk.guard import GuardedStore

log = logging.getLogger(__name__)

DESIGN_ID: Final = "_design/cunyi"


def validate_source(village_code: str, kiosk: str) -> str:
    template = (
        resources.files("village_app.county")
        .joinpath("validate_inbox.js")
        .read_text(encoding="utf-8")
    )
    spec = {
        "type": str(ServiceDoc.RATING),
        "project": str(ServiceDoc.PROJECT),
        "fields": list(INBOX_FIELDS),
        "meta": list(INBOX_META),
        "hearts": list(HEARTS),
        "scores": list(SCORES),
    }
    return (
        template.replace("/*VILLAGE*/null", json.dumps(village_code))
        .replace("/*KIOSK*/null", json.dumps(kiosk))
        .replace("/*SPEC*/null", json.dumps(spec, sort_keys=True))
        .strip()
    )


def design_doc(village_code: str, kiosk: str) -> dict[str, Any]:
    return {
        "_id": DESIGN_ID,
        "language": "javascript",
        "validate_doc_update": validate_source(village_code, kiosk),
    }


def security_doc(kiosk: str) -> dict[str, Any]:
    return {
        "admins": {"names": [], "roles": [roles.COUNTY_ADMIN]},
        "members": {"names": [kiosk], "roles": []},
    }


@dataclass(frozen=True)
class Inbox:
    name: str  # the database
    village: str
    kiosk: str  # the kiosk's account


def inboxes_of(names: Sequence[str], prefix: str = "") -> list[Inbox]:
    """The kiosk inboxes among database ``names``."""
    out = []
    for name in names:
        owner = roles.inbox_owner(name, prefix)
        if owner is not None:
            out.append(Inbox(name, *owner))
    return out


class _CheckedTarget(GuardedStore):
    """The village's database as a merge writes into it: each revision checked again as the
    inbox's rules say (a server misconfigured, an inbox made by hand); one that fails is
    answered as refused and left in the inbox, logged."""

    def __init__(self, store: Database, inbox: Inbox) -> None:
        super().__init__(store, store, inbox.village)
        self.inbox = inbox

    async def bulk_docs(
        self, docs: Sequence[Mapping[str, Any]], *, new_edits: bool = True
    ) -> list[Doc]:
        passed, failures = [], []
        for doc in docs:
            refusal = check_kiosk_rating(doc, self.inbox.village, self.inbox.kiosk)
            if refusal is None:
                passed.append(doc)
                continue
            self.refused += 1
            log.warning("%s: %s not merged (%s)", self.inbox.name, doc.get("_id"), refusal)
            failures.append(
                {"id": doc.get("_id"), "rev": doc.get("_rev"), "error": "forbidden",
                 "reason": f"not a kiosk rating ({refusal})"}
            )  # fmt: skip
        answer = await self.store.bulk_docs(passed, new_edits=new_edits) if passed else []
        return [*answer, *failures]


async def merge_inbox(server: CouchServer, inbox: Inbox, prefix: str = "") -> int:
    """Copy what is new in ``inbox`` into its village's database (as the administrator the
    server was opened with); returns the ratings written. The replication's checkpoints make
    each merge read only what is new."""
    source = await server.database(inbox.name, create=False)
    target = await server.database(roles.village_database(inbox.village, prefix), create=False)
    try:
        checked = _CheckedTarget(target, inbox)
        rep = await sync.replicate(source, checked, retries=2, backoff_initial=0.2, backoff_max=2.0)
        return rep.counters.docs_written
    finally:
        await source.close()
        await target.close()
