"""The laptop's side of a USB bundle: export what the county does not have yet, import the
county's reply (its reviews, and its acknowledgement, which moves the checkpoint).

The checkpoint is ``_local/cunyi_bundle_state`` in the village database (never replicated):
``acked_seq``, the laptop's sequence up to which the county acknowledged a bundle; each
export holds everything after it, so a bundle lost on the way, or never answered, costs
nothing: the next one holds its records again (the county skips what it has). ``number``
counts exports (the county refuses a number it already imported); ``reply_since`` is the
county's sequence its last reply reached, which the next bundle asks it to go on from.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sync.database import Database
from sync.errors import NotFoundError
from sync.replication import Denial
from village_app.bundle.container import FORMAT, BundleRefused, open_bundle, seal
from village_app.bundle.files import into_file, out_of_file, workspace
from village_app.bundle.keys import BadKey, county_public_key, laptop_keys
from village_app.domain.dates import now_utc
from village_app.syncing.pending import BUNDLE_STATE_ID
from village_app.syncing.problems import RefusedRecord, describe_refusal

#: Where, in the data folder, a bundle is built and a reply opened (removed after each).
WORK_FOLDER: Final = "bundle-work"


@dataclass(frozen=True)
class Exported:
    path: Path
    number: int
    docs: int
    attachments: int
    size: int


@dataclass(frozen=True)
class ReplyImported:
    number: int
    received: int
    received_attachments: int
    #: Records the county refused from the acknowledged bundle (named as the laptop knows them).
    refused: tuple[RefusedRecord, ...] = field(default_factory=tuple)
    acknowledged: bool = True


async def _state(db: Database) -> dict[str, Any]:
    try:
        return dict(await db.get_local(BUNDLE_STATE_ID))
    except NotFoundError:
        return {"_id": BUNDLE_STATE_ID}


async def next_number(db: Database) -> int:
    """The number the next export will have."""
    return int((await _state(db)).get("number", 0)) + 1


def bundle_name(village: str, number: int, when: dt.datetime | None = None) -> str:
    when = (when or now_utc()).astimezone(dt.UTC)
    return f"cunyi-{village}-{when:%Y%m%d}-{number}.cunyi"


async def export_bundle(db: Database, data_dir: Path, village: str, out: Path) -> Exported:
    """Write to ``out`` a bundle of what the county has not acknowledged yet."""
    county = county_public_key(data_dir)
    if county is None:
        raise BundleRefused(
            "no_county_key",
            "this laptop has no county key yet: import the county's county.pub first",
        )
    keys = laptop_keys(data_dir, village)
    state = await _state(db)
    number = int(state.get("number", 0)) + 1
    acked = state.get("acked_seq")
    with workspace(data_dir / WORK_FOLDER) as work:
        staging = work / "outgoing.sqlite"
        rep = await into_file(db, staging, **({"since_seq": acked} if acked is not None else {}))
        meta = {
            "kind": "village",
            "format": FORMAT,
            "village": village,
            "number": number,
            "bundle_id": uuid.uuid4().hex,
            "created_at": now_utc().isoformat(),
            "from_seq": acked,
            "to_seq": rep.counters.last_seq,
            "docs": rep.counters.docs_written,
            "attachments": rep.counters.attachments_written,
            "reply_since": state.get("reply_since"),
        }
        seal(out, meta, staging, keys.sign, county)
    state["number"] = number
    await db.put_local(state)
    return Exported(
        out, number, rep.counters.docs_written, rep.counters.attachments_written, out.stat().st_size
    )


async def import_reply(db: Database, data_dir: Path, village: str, path: Path) -> ReplyImported:
    """Import the county's reply bundle at ``path`` into the village database."""
    county = county_public_key(data_dir)
    if county is None:
        raise BundleRefused(
            "no_county_key",
            "this laptop has no county key yet: import the county's county.pub first",
        )
    keys = laptop_keys(data_dir, village)

    def sender_for(meta: dict[str, Any]) -> Any:
        return county

    with workspace(data_dir / WORK_FOLDER) as work:
        opened = open_bundle(path, keys.box, keys.public, sender_for, work / "reply")
        meta = opened.meta
        if meta.get("kind") != "reply":
            raise BundleRefused("wrong_kind", "this is not a reply from the county")
        if meta.get("village") != village:
            raise BundleRefused(
                "other_village", f"this reply is for village {meta.get('village')}, not {village}"
            )
        state = await _state(db)
        found = meta.get("ack")
        ack: dict[str, Any] = found if isinstance(found, dict) else {}
        ack_number = int(ack.get("number", 0))
        if ack_number <= int(state.get("last_reply_number", 0)):
            raise BundleRefused(
                "replayed",
                f"this reply (to bundle {ack_number}) was imported already: nothing to do",
            )
        before = (await db.info()).get("update_seq")
        rep = await out_of_file(opened.payload, db)
        acked = ack.get("to_seq")
        if before == acked:
            # Nothing was recorded since that bundle: what the reply just wrote came from the
            # county, which has it; the checkpoint goes past it too.
            acked = (await db.info()).get("update_seq")
        refused = []
        for item in ack.get("refused") or []:
            if isinstance(item, dict):
                denial = Denial(str(item.get("docid", "")), None, "", str(item.get("reason", "")))
                refused.append(await describe_refusal(db, denial))
        state.update(
            acked_seq=acked,
            last_reply_number=ack_number,
            reply_since=meta.get("county_seq"),
            acknowledged_at=now_utc().isoformat(),
        )
        state["number"] = max(int(state.get("number", 0)), ack_number)
        await db.put_local(state)
    return ReplyImported(
        ack_number,
        rep.counters.docs_written,
        rep.counters.attachments_written,
        tuple(refused),
    )


__all__ = ["BadKey", "BundleRefused", "Exported", "ReplyImported", "export_bundle", "import_reply"]
