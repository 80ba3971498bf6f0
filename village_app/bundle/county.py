"""The county's side of a USB bundle: import a village's bundle into its database, exactly
as the laptop's push would have written it, and write the reply the laptop imports.

Order, so that a crash anywhere leaves nothing that matters half done:

1. the bundle is checked whole (encryption, signature against the key registered for its
   village, payload hash) before anything is written;
2. its records are replicated into ``village_<code>`` (``new_edits: false``; each revision
   lands whole or not at all, and a rerun skips what landed);
3. the reply (the county's reviews since the village's last reply, and the acknowledgement)
   is written to a temporary file and renamed into place;
4. only then is the import recorded (``_local/cunyi_bundle_imports``), which is what refuses
   the same bundle a second time.

Killed before 4, a rerun of the same file imports nothing twice and writes the reply again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sync.couch_server import CouchServer
from sync.database import Database
from sync.errors import NotFoundError
from village_app.bundle.container import FORMAT, BundleRefused, open_bundle, seal
from village_app.bundle.files import into_file, out_of_file, workspace
from village_app.bundle.keys import CountyKeys, PublicKey
from village_app.county import roles
from village_app.domain import DocType
from village_app.domain.dates import now_utc

IMPORTS_ID: Final = "_local/cunyi_bundle_imports"
_HISTORY: Final = 50


@dataclass(frozen=True)
class Imported:
    village: str
    number: int
    written: int
    attachments: int
    refused: tuple[tuple[str, str], ...]  # (docid, the database's reason)
    reply: Path
    reviews: int


async def _imports(db: Database) -> dict[str, Any]:
    try:
        return dict(await db.get_local(IMPORTS_ID))
    except NotFoundError:
        return {"_id": IMPORTS_ID}


async def import_bundle(
    couch_url: str,
    keys_folder: Path,
    bundle: Path,
    *,
    reply: Path | None = None,
    prefix: str = "",
    work: Path | None = None,
    village: str | None = None,
) -> Imported:
    """Import ``bundle`` into the county at ``couch_url`` (an administrator's URL); write the
    reply to ``reply`` (default: beside the bundle). ``village``: refuse a bundle of any
    other village (the upload on a village's page)."""
    keys = CountyKeys(keys_folder)
    own = keys.own()
    registered: dict[str, PublicKey | None] = {}

    def sender_for(meta: dict[str, Any]) -> PublicKey | None:
        code = str(meta.get("village", ""))
        if code not in registered:
            registered[code] = keys.laptop(code)
        return registered[code]

    folder = work or bundle.parent / f".cunyi-import-{uuid.uuid4().hex[:8]}"
    with workspace(folder) as space:
        opened = open_bundle(bundle, own.box, own.public, sender_for, space / "in")
        meta = opened.meta
        code = str(meta.get("village"))
        if meta.get("kind") != "village":
            raise BundleRefused("wrong_kind", "this is not a village's bundle")
        if village is not None and code != village:
            raise BundleRefused(
                "other_village", f"this bundle is village {code}'s, not {village}'s"
            )
        number = meta.get("number")
        if not isinstance(number, int) or number < 1:
            raise BundleRefused("damaged", "the bundle's number is missing")
        async with CouchServer(couch_url) as server:
            try:
                db = await server.database(roles.village_database(code, prefix), create=False)
            except NotFoundError:
                raise BundleRefused(
                    "no_database", f"the county has no database for village {code}: run county init"
                ) from None
            try:
                return await _import(
                    db,
                    opened.payload,
                    meta,
                    opened.sender,
                    own,
                    space,
                    reply or _reply_path(bundle),
                )
            finally:
                await db.close()


def _reply_path(bundle: Path) -> Path:
    return bundle.with_name(bundle.stem + ".reply.cunyi")


async def _import(
    db: Database,
    payload: Path,
    meta: dict[str, Any],
    laptop: PublicKey,
    own: Any,
    space: Path,
    reply: Path,
) -> Imported:
    code, number = str(meta["village"]), int(meta["number"])
    done = await _imports(db)
    if number <= int(done.get("last_number", 0)):
        raise BundleRefused(
            "replayed",
            f"bundle {number} of village {code} was imported already "
            f"(the last imported is {done.get('last_number')}): nothing written",
        )
    rep = await out_of_file(payload, db)
    refused = tuple((d.docid, d.reason) for d in rep.denied)
    outgoing = space / "reply.sqlite"
    since = meta.get("reply_since")
    answer = await into_file(
        db,
        outgoing,
        selector={"type": DocType.REVIEW},
        **({"since_seq": since} if since is not None else {}),
    )
    reply_meta = {
        "kind": "reply",
        "format": FORMAT,
        "village": code,
        "number": number,
        "bundle_id": uuid.uuid4().hex,
        "created_at": now_utc().isoformat(),
        "county_seq": answer.counters.last_seq,
        "reviews": answer.counters.docs_written,
        "ack": {
            "bundle_id": meta.get("bundle_id"),
            "number": number,
            "to_seq": meta.get("to_seq"),
            "written": rep.counters.docs_written,
            "refused": [{"docid": d, "reason": r} for d, r in refused],
        },
    }
    seal(reply, reply_meta, outgoing, own.sign, laptop)
    history = [h for h in done.get("history") or [] if isinstance(h, dict)]
    entry = {
        "number": number,
        "bundle_id": meta.get("bundle_id"),
        "imported_at": now_utc().isoformat(),
        "written": rep.counters.docs_written,
        "refused": len(refused),
    }
    done.update(last_number=number, history=[entry, *history][:_HISTORY])
    await db.put_local(done)
    return Imported(
        code,
        number,
        rep.counters.docs_written,
        rep.counters.attachments_written,
        refused,
        reply,
        answer.counters.docs_written,
    )
