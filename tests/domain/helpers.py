"""Small builders for the domain tests: a matter and its records, one step at a time."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from village_app.domain import (
    SHANGHAI,
    Attendance,
    Matter,
    Publication,
    StageRecord,
    Vote,
    record_stage,
    validate_matter,
)

START = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)

#: A successful record for each stage of a major matter.
GOOD: dict[str, dict[str, Any]] = {
    "proposal": {"attendance": Attendance(5, 5), "content": "提议硬化村道"},
    "consultation": {"attendance": Attendance(9, 8), "content": "同意提交党员大会"},
    "review": {"attendance": Attendance(30, 24), "vote": Vote(20, 2, 2)},
    "resolution": {
        "body": "representatives",
        "attendance": Attendance(30, 21),
        "vote": Vote(18, 2, 1),
        "content": "同意硬化村道",
    },
    "council_proposal": {"content": "提议设立红白事简办标准"},
    "deliberation": {"attendance": Attendance(7, 6), "content": "讨论标准"},
    "council_vote": {"attendance": Attendance(7, 6), "vote": Vote(5, 1, 0)},
    "council_resolution": {"content": "每场宴席不超过15桌"},
}


@dataclass
class Story:
    """A matter and its history; ``add`` validates the next record like the store does."""

    matter: Matter
    history: list[StageRecord] = field(default_factory=list)
    clock: datetime = START

    def make(self, stage: str, **overrides: Any) -> StageRecord:
        self.clock += timedelta(days=3)
        fields: dict[str, Any] = dict(GOOD.get(stage, {}))
        if stage.endswith("publication"):
            fields = {
                "publication": Publication("", "村务公开栏", self.clock),
                "content": "公开内容",
            }
        else:
            fields["held_at"] = self.clock
        fields.update(overrides)
        return StageRecord(matter=self.matter.id, stage=stage, **fields)

    def stamp(self, record: StageRecord) -> StageRecord:
        from dataclasses import replace

        n = len(self.history)
        return replace(record, id=f"rec-{n:03d}", created_at=f"2026-03-01T00:00:{n:02d}.000Z")

    def add(self, stage: str, **overrides: Any) -> StageRecord:
        record = self.stamp(record_stage(self.matter, self.history, self.make(stage, **overrides)))
        self.history.append(record)
        return record


def major(title: str = "村道硬化") -> Story:
    return Story(
        validate_matter(Matter(kind="major", title=title, body="", year=2026, id="matter:1"))
    )


def council(body: str = "weddings_funerals_council") -> Story:
    return Story(
        validate_matter(
            Matter(kind="council", title="红白事简办", body=body, year=2026, id="matter:2")
        )
    )


def tiny_png() -> bytes:
    """The smallest valid PNG (1x1, grey): checked by content like any scan."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )
