"""Why a sync did not work, in words a village secretary can act on.

Each failure is turned into a :class:`Problem`: a stable ``code`` (for the log, the header
and the tests), what happened and what to do (Chinese msgids, translated where shown), and an
English ``detail`` for the log file. A refusal by the county's ``validate_doc_update`` is not
a failure of the run: each refused record becomes a :class:`RefusedRecord`, named as the
secretary knows it (the matter's title, the stage) with the reason in Chinese from
:data:`~village_app.domain.write_rules.REASONS`.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sync.database import Database
from sync.errors import (
    CouchError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    PeerError,
    ReadOnlyStorageError,
    StorageFullError,
    UnauthorizedError,
    peer_text,
)
from sync.replication import Denial
from village_app.domain import STAGE_NAMES
from village_app.domain.write_rules import REASONS
from village_app.i18n import N_
from village_app.syncing.config import NotConfigured, PasswordUnreadable
from village_app.syncing.remote import CountyTooOld


@dataclass(frozen=True)
class Problem:
    code: str
    #: What happened, and what to do about it (msgids).
    title: str
    advice: str
    #: English, for the log (never a password: locations carry none).
    detail: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stops_auto_sync(self) -> bool:
        """Trying again by itself would only repeat it (or lock the account)."""
        return self.code in _NO_RETRY


_NO_RETRY: Final = frozenset(
    {
        "wrong_password",
        "no_access",
        "no_database",
        "county_too_old",
        "password_unreadable",
        "not_configured",
    }
)

#: code -> (what happened, what to do).
PROBLEMS: Final[Mapping[str, tuple[str, str]]] = {
    "offline": (
        N_("无法连接县里"),
        N_(
            "请检查电脑是否连上了网络（网线、无线网或手机热点），连上后再点“立即同步”。"
            "记录都在本机，不会丢失。一直没有网络时，可以用下面的“导出到U盘”把记录带到乡镇。"
        ),
    ),
    "wrong_password": (
        N_("账号或密码错误"),
        N_(
            "县里的服务器不认这个账号或密码。请在下面重新输入县里给本村的账号和密码，"
            "然后再同步。为免账号被锁，在改好之前不会再自动尝试。"
        ),
    ),
    "no_access": (
        N_("这个账号不能访问本村的数据"),
        N_("请打电话给县里，核对给本村开的账号是否对应本村。"),
    ),
    "no_database": (
        N_("县里还没有为本村开通数据库"),
        N_("请打电话给县里，请他们为本村开通（县里运行 village-app county init）。"),
    ),
    "county_too_old": (
        N_("县里的服务器版本太旧"),
        N_("县里的服务器需要升级后才能同步。请告诉县里，同时可以先用U盘把记录带过去。"),
    ),
    "county_error": (
        N_("县里的服务器出了问题"),
        N_("这不是本机的问题。请过一会儿再同步；一直不行的话，请告诉县里。"),
    ),
    "disk_full": (
        N_("电脑的磁盘满了"),
        N_(
            "县里的记录没能全部存下。请删除不用的文件（例如下载文件夹里的旧文件）腾出空间，"
            "再点“立即同步”，会从停下的地方接着同步。已经存下的记录不受影响。"
        ),
    ),
    "read_only": (
        N_("数据文件夹是只读的"),
        N_(
            "现在不能把县里的记录存到本机。请把数据文件夹复制到可以写入的位置，或请人修改它的权限。"
        ),
    ),
    "password_unreadable": (
        N_("保存的密码无法读取"),
        N_("密码钥匙文件丢失或被替换了。请在下面重新输入密码。"),
    ),
    "not_configured": (
        N_("还没有设置同步"),
        N_("请先在下面填写县里的服务器地址、本村的账号和密码。"),
    ),
    "unexpected": (
        N_("同步时出了意外的错误"),
        N_("记录都在本机，不会丢失。请过一会儿再试；一直不行的话，请把同步记录页的内容告诉县里。"),
    ),
}


def problem(code: str, detail: str = "") -> Problem:
    title, advice = PROBLEMS[code]
    return Problem(code, title, advice, detail)


def explain(exc: BaseException) -> Problem:
    """The problem an exception of a sync run stands for."""
    detail = _detail(exc)
    if isinstance(exc, UnauthorizedError):
        return problem("wrong_password", detail)
    if isinstance(exc, CountyTooOld):
        return problem("county_too_old", detail)
    if isinstance(exc, NotConfigured):
        return problem("not_configured", detail)
    if isinstance(exc, PasswordUnreadable):
        return problem("password_unreadable", detail)
    if isinstance(exc, StorageFullError) or (
        isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
    ):
        return problem("disk_full", detail)
    if isinstance(exc, ReadOnlyStorageError):
        return problem("read_only", detail)
    if isinstance(exc, NetworkError):
        return problem("offline", detail)
    if isinstance(exc, ForbiddenError):
        return problem("no_access", detail)
    if isinstance(exc, NotFoundError):
        return problem("no_database", detail)
    if isinstance(exc, PeerError):
        return problem("county_error", detail)
    return problem("unexpected", detail)


def _detail(exc: BaseException) -> str:
    if isinstance(exc, CouchError):
        return peer_text(f"{type(exc).__name__}: {exc.reason}", 300)
    return peer_text(f"{type(exc).__name__}: {exc}", 300)


@dataclass(frozen=True)
class RefusedRecord:
    """A record the county refused: which, and why."""

    docid: str
    doc_type: str
    #: How the secretary knows it: a matter's title, a member's name ("" when unknown).
    label: str
    #: The stage of a stage record (a key of STAGE_NAMES), else "".
    stage: str
    #: The rule broken (a key of REASONS), or "" when the county said something else.
    code: str
    #: The county's own words when the code is unknown here (cleaned, bounded).
    county_reason: str
    #: The revision refused ("" when not known): a newer one is a new try.
    rev: str = ""
    #: The matter the record belongs to ("" when none), for a link to it.
    matter: str = ""

    @property
    def reason_msgid(self) -> str | None:
        return REASONS[self.code][1] if self.code in REASONS else None

    def to_json(self) -> dict[str, str]:
        return {
            "docid": self.docid,
            "type": self.doc_type,
            "label": self.label,
            "stage": self.stage,
            "code": self.code,
            "county_reason": self.county_reason,
            "rev": self.rev,
            "matter": self.matter,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RefusedRecord:
        def text(key: str) -> str:
            return str(data.get(key, ""))

        return cls(
            docid=text("docid"),
            doc_type=text("type"),
            label=text("label"),
            stage=text("stage"),
            code=text("code"),
            county_reason=text("county_reason"),
            rev=text("rev"),
            matter=text("matter"),
        )


def reason_code(reason: str) -> str:
    """The rule code of a ``validate_doc_update`` refusal (``"<code>: <English>"``)."""
    code = reason.split(":", 1)[0].strip()
    return code if code in REASONS else ""


async def describe_refusal(db: Database, denial: Denial) -> RefusedRecord:
    """``denial`` named from the laptop's own copy of the record."""
    code = reason_code(denial.reason)
    doc = await _read(db, denial.docid)
    doc_type = str(doc.get("type") or denial.docid.split(":", 1)[0])
    label, stage, matter_id = "", "", ""
    if doc_type == "matter":
        label, matter_id = str(doc.get("title", "")), denial.docid
    elif doc_type in ("stage_record", "supervision"):
        matter = await _read(db, str(doc.get("matter", "")))
        label = str(matter.get("title", ""))
        matter_id = str(matter.get("_id", ""))
        stage = str(doc.get("stage", "")) if doc.get("stage") in STAGE_NAMES else ""
    elif doc_type in ("member", "ceremony"):
        label = str(doc.get("name") or doc.get("family") or "")
    elif doc_type in ("body", "village_rule", "village"):
        label = str(doc.get("name") or doc.get("title") or "")
    return RefusedRecord(
        docid=denial.docid,
        doc_type=doc_type,
        label=peer_text(label, 80),
        stage=stage,
        code=code,
        county_reason="" if code else peer_text(denial.reason, 200),
        rev=denial.rev or str(doc.get("_rev") or ""),
        matter=matter_id,
    )


async def _read(db: Database, docid: str) -> dict[str, Any]:
    if not docid:
        return {}
    try:
        doc = await db.get(docid)
    except CouchError:
        return {}
    return doc if isinstance(doc, dict) else {}
