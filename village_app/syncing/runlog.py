"""The sync log: one line per run (when, what moved, how long, how it ended), kept in the
data folder as ``sync-log.jsonl`` beside the village database, never in it (a log line is
the laptop's own business, not a record to replicate).

Lines are appended whole; past :data:`KEEP` runs the oldest are dropped. A line that cannot
be read (a crash mid-write, an edit by hand) is skipped, never fatal.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from village_app.syncing.problems import RefusedRecord

LOG_FILE: Final = "sync-log.jsonl"
KEEP: Final = 500
#: Refused records kept per run (the count is kept whole).
REFUSED_KEPT: Final = 50


@dataclass(frozen=True)
class RunRecord:
    #: ``sync`` (立即同步), ``auto`` (automatic), ``bundle_export``, ``bundle_reply``.
    kind: str
    started_at: str  # ISO 8601, UTC
    seconds: float
    #: ``ok``, ``refused`` (done, some records refused), ``failed``, ``cancelled``.
    outcome: str
    problem: str | None = None
    detail: str = ""
    sent: int = 0
    sent_attachments: int = 0
    received: int = 0
    received_attachments: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    refused_count: int = 0
    refused: tuple[RefusedRecord, ...] = field(default_factory=tuple)

    @property
    def started(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.started_at)

    @property
    def ended(self) -> dt.datetime:
        return self.started + dt.timedelta(seconds=self.seconds)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["refused"] = [r.to_json() for r in self.refused[:REFUSED_KEPT]]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["refused"] = tuple(
            RefusedRecord.from_json(r) for r in data.get("refused") or [] if isinstance(r, dict)
        )
        record = cls(**fields)
        record.started  # noqa: B018 - a malformed time is a malformed line
        return record


class RunLog:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOG_FILE

    def append(self, record: RunRecord) -> None:
        line = json.dumps(record.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        records = self._lines()
        if len(records) > KEEP:
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text("".join(records[-KEEP:]), encoding="utf-8")
            tmp.chmod(0o600)
            os.replace(tmp, self.path)

    def _lines(self) -> list[str]:
        try:
            return self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        except FileNotFoundError:
            return []

    def records(self) -> list[RunRecord]:
        """Every run kept, newest first."""
        found = []
        for line in self._lines():
            try:
                found.append(RunRecord.from_json(json.loads(line)))
            except (ValueError, TypeError, KeyError):
                continue
        found.reverse()
        return found
