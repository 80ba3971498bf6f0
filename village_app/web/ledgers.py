"""The four ledgers (台账) the township asks villages to keep on paper, built from the store.

Each builder reads what the matching page reads and returns a :class:`~.rendering.workbook.Ledger`
in the request's language. Nothing private goes in: no attendees' names, no named votes, no
phone or ID numbers (the pages never read them); the 红白事 register names families and is
served to the secretary only (its routes say so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from village_app import i18n, repo
from village_app.domain import (
    BODY_NAMES,
    CEREMONY_KINDS,
    STAGE_NAMES,
    STATUS_NAMES,
    Matter,
    MatterKind,
    NotFound,
    StageRecord,
    fold_corrections,
    stages_for,
)
from village_app.domain.timeline import StageView
from village_app.i18n import N_
from village_app.web.pages.matters import MatterFilters
from village_app.web.rendering.workbook import Column, Ledger, Sheet, Value

KIND_NAMES: dict[str, str] = {"major": N_("村级重大事项"), "council": N_("议事会事项")}


class LedgerWords:
    """The request's language, for the cells (a ledger is text, not a template)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._catalog = i18n.gettext_for(locale)

    def __call__(self, msgid: str) -> str:
        return self._catalog.gettext(msgid) if msgid else ""

    def name(self, table: Mapping[Any, str], key: str) -> str:
        msgid = table.get(key)
        return self(msgid) if msgid else key

    def format(self, msgid: str, **params: object) -> str:
        return self(msgid) % params


async def village_name(store: repo.VillageStore) -> str:
    try:
        return (await store.get_village()).name
    except NotFound:
        return ""


def made_subtitle(words: LedgerWords, conditions: Sequence[str]) -> str:
    """The filters and when it was made (the village is in the title)."""
    made = i18n.format_datetime(i18n.now_local(), words.locale)
    parts = list(conditions)
    parts.append(words.format(N_("导出时间：%(time)s"), time=made))
    return words(N_("；")).join(parts)


def _filter_words(words: LedgerWords, filters: MatterFilters) -> list[str]:
    shown = (
        (N_("事项类别"), words.name(KIND_NAMES, filters.kind) if filters.kind else ""),
        (N_("阶段"), words.name(STAGE_NAMES, filters.stage) if filters.stage else ""),
        (N_("提议组织"), words.name(BODY_NAMES, filters.body) if filters.body else ""),
        (N_("年度"), str(filters.year or "")),
    )
    return [
        words.format(N_("%(label)s：%(value)s"), label=words(label), value=value)
        for label, value in shown
        if value
    ]


def _names(village: str, title: str, year: int | None) -> tuple[str, str]:
    """The file's name (``清溪村事项台账-2026.xlsx``) and its ASCII fallback's stem."""
    suffix = f"-{year}" if year else ""
    return f"{village}{title}{suffix}.xlsx", suffix


async def _matters(store: repo.VillageStore, filters: MatterFilters) -> list[Matter]:
    """Every matter the list shows for ``filters`` (all its pages), in the list's order."""
    return await store.list_matters(
        stage=filters.stage or None,
        body=filters.body or None,
        year=filters.year,
        kind=filters.kind or None,
    )


# -- 1. the matters register ------------------------------------------------------------


def _stage_result(words: LedgerWords, view: StageView) -> tuple[StageRecord | None, str]:
    """The record that shows a stage (the one that counted, else the last attempt) and its result."""
    record = view.record or (view.attempts[-1].current if view.attempts else None)
    if record is None:
        return None, ""
    outcome = record.outcome
    if record.publication is not None:
        return record, words(N_("已公开"))
    if outcome is None:
        return record, words(N_("已完成"))
    if not outcome.quorate:
        return record, words(N_("未达法定人数"))
    if outcome.passed is None:
        return record, words(N_("会议有效"))
    return record, words(N_("通过") if outcome.passed else N_("未通过"))


def _matter_columns(words: LedgerWords, kind: str) -> tuple[Column, ...]:
    columns = [
        Column(words(N_("事项")), max_width=36),
        Column(words(N_("事项类别"))),
        Column(words(N_("提议组织"))),
        Column(words(N_("年度")), "number"),
        Column(words(N_("当前阶段"))),
        Column(words(N_("登记日期")), "date"),
    ]
    for spec in stages_for(kind):
        group = words(spec.name)
        columns += [
            Column(words(N_("日期")), "date", group),
            Column(words(N_("应到")), "number", group),
            Column(words(N_("实到")), "number", group),
            Column(words(N_("结果")), "text", group, max_width=14),
        ]
    return tuple(columns)


async def matters_ledger(store: repo.VillageStore, filters: MatterFilters, locale: str) -> Ledger:
    """One row per matter; for each stage its date, 应到/实到 and result. One sheet per kind of
    matter (their stages differ)."""
    words = LedgerWords(locale)
    rows: dict[str, list[tuple[Value, ...]]] = {str(k): [] for k in MatterKind}
    for matter in await _matters(store, filters):
        view = await store.matter_view(matter.id)
        row: list[Value] = [
            matter.title,
            words.name(KIND_NAMES, matter.kind),
            words.name(BODY_NAMES, matter.body),
            matter.year,
            words.name(STAGE_NAMES, view.current_stage),
            i18n.to_local(matter.created_at).date() if matter.created_at else None,
        ]
        views = {stage.spec.key: stage for stage in view.stages}
        for spec in stages_for(matter.kind):  # the sheet's columns
            stage = views.get(spec.key)
            if stage is None:  # a private moral-review matter has no public stage
                row += [None, None, None, words(N_("无需公开"))]
                continue
            record, result = _stage_result(words, stage)
            when = record.when if record else None
            attendance = record.attendance if record else None
            row += [
                when.astimezone(i18n.TIMEZONE).date() if when else None,
                attendance.expected if attendance else None,
                attendance.present if attendance else None,
                result,
            ]
        rows[str(matter.kind)].append(tuple(row))
    kinds = (
        [filters.kind]
        if filters.kind
        else [k for k, found in rows.items() if found] or [str(MatterKind.MAJOR)]
    )
    sheets = tuple(
        Sheet(words.name(KIND_NAMES, k), _matter_columns(words, k), tuple(rows[k])) for k in kinds
    )
    village = await village_name(store)
    title = words(N_("事项台账"))
    filename, suffix = _names(village, title, filters.year)
    return Ledger(
        title=f"{village}{title}",
        subtitle=made_subtitle(words, _filter_words(words, filters)),
        sheets=sheets,
        filename=filename,
        ascii_filename=f"matters{suffix}.xlsx",
        landscape=True,
    )


# -- 2. the meeting records -------------------------------------------------------------


def _correction_note(words: LedgerWords, record: StageRecord, superseded: set[str]) -> str:
    notes = []
    if record.corrects:
        notes.append(words.format(N_("更正记录，原因：%(reason)s"), reason=record.reason))
    if record.id in superseded:
        notes.append(words(N_("已被更正，以更正记录为准")))
    return words(N_("；")).join(notes)


def _record_row(
    words: LedgerWords, title: str, record: StageRecord, superseded: set[str]
) -> tuple[Value, ...]:
    attendance, vote, outcome, pub = (
        record.attendance,
        record.vote,
        record.outcome,
        record.publication,
    )
    when = record.when
    if pub is not None:
        result = words(N_("已公开"))
    else:
        result = i18n.translate(outcome.summary(), words.locale) if outcome else ""
    return (
        title,
        words.name(STAGE_NAMES, record.stage),
        words.name(BODY_NAMES, record.body) if record.body else "",
        when.astimezone(i18n.TIMEZONE) if when else None,
        pub.where if pub else record.place,
        words(record.form) if pub is None else "",
        attendance.expected if attendance else None,
        attendance.present if attendance else None,
        attendance.ratio_percent() if attendance else "",
        vote.in_favour if vote else None,
        vote.against if vote else None,
        vote.abstain if vote else None,
        result,
        _correction_note(words, record, superseded),
    )


async def meetings_ledger(store: repo.VillageStore, filters: MatterFilters, locale: str) -> Ledger:
    """One row per stage record of the matters the filters select, corrections marked."""
    words = LedgerWords(locale)
    rows: list[tuple[Value, ...]] = []
    for matter in await _matters(store, filters):
        chains = fold_corrections(await store.list_stage_records(matter.id))
        superseded = {v.id for c in chains for v in c.superseded}
        for chain in sorted(
            chains,
            key=lambda c: (
                c.root.when or dt.datetime.min.replace(tzinfo=i18n.TIMEZONE),
                c.root.created_at,
            ),
        ):
            rows += [
                _record_row(words, matter.title, version, superseded) for version in chain.versions
            ]
    columns = (
        Column(words(N_("事项")), max_width=30),
        Column(words(N_("阶段"))),
        Column(words(N_("组织"))),
        Column(words(N_("时间")), "datetime"),
        Column(words(N_("地点")), max_width=20),
        Column(words(N_("会议形式"))),
        Column(words(N_("应到")), "number"),
        Column(words(N_("实到")), "number"),
        Column(words(N_("出席率"))),
        Column(words(N_("赞成")), "number"),
        Column(words(N_("反对")), "number"),
        Column(words(N_("弃权")), "number"),
        Column(words(N_("结果")), max_width=30),
        Column(words(N_("更正情况")), max_width=30),
    )
    village = await village_name(store)
    title = words(N_("会议记录台账"))
    filename, suffix = _names(village, title, filters.year)
    return Ledger(
        title=f"{village}{title}",
        subtitle=made_subtitle(words, _filter_words(words, filters)),
        sheets=(Sheet(title, columns, tuple(rows)),),
        filename=filename,
        ascii_filename=f"meetings{suffix}.xlsx",
        landscape=True,
    )


# -- 3. the supervision register --------------------------------------------------------


async def supervision_ledger(store: repo.VillageStore, locale: str) -> Ledger:
    """One row per supervision entry, numbered by the finding (thread) it belongs to."""
    words = LedgerWords(locale)
    threads = sorted(
        await store.list_supervision(), key=lambda t: (t.entries[0].root.created_at, t.id)
    )
    titles: dict[str, str] = {}
    rows: list[tuple[Value, ...]] = []
    for number, thread in enumerate(threads, start=1):
        for chain in thread.entries:
            entry = chain.current
            if entry.matter and entry.matter not in titles:
                try:
                    titles[entry.matter] = (await store.get_matter(entry.matter)).title
                except NotFound:  # not (yet) replicated here
                    titles[entry.matter] = entry.matter
            when = entry.noted_at or (i18n.to_local(entry.created_at) if entry.created_at else None)
            note = (
                words.format(N_("更正记录，原因：%(reason)s"), reason=entry.reason)
                if chain.corrected
                else ""
            )
            rows.append(
                (
                    number,
                    when.astimezone(i18n.TIMEZONE) if when else None,
                    entry.finding,
                    words.name(STATUS_NAMES, entry.status),
                    entry.follow_up,
                    entry.recorded_by,
                    titles.get(entry.matter or "", ""),
                    note,
                )
            )
    columns = (
        Column(words(N_("监督事项编号")), "number"),
        Column(words(N_("时间")), "datetime"),
        Column(words(N_("发现的问题")), max_width=40),
        Column(words(N_("状态"))),
        Column(words(N_("跟进情况")), max_width=40),
        Column(words(N_("记录人"))),
        Column(words(N_("相关事项")), max_width=30),
        Column(words(N_("更正情况")), max_width=24),
    )
    village = await village_name(store)
    title = words(N_("村务监督台账"))
    return Ledger(
        title=f"{village}{title}",
        subtitle=made_subtitle(words, []),
        sheets=(Sheet(title, columns, tuple(rows)),),
        filename=f"{village}{title}.xlsx",
        ascii_filename="supervision.xlsx",
        landscape=True,
    )


# -- 4. the 红白事 register (the secretary's only) ----------------------------------------


async def ceremonies_ledger(store: repo.VillageStore, year: int, locale: str) -> Ledger:
    """One row per registered wedding or funeral of ``year``, with whether the standard was kept."""
    words = LedgerWords(locale)
    rows: list[tuple[Value, ...]] = [
        (
            c.held_on,
            words.name(CEREMONY_KINDS, c.kind),
            c.family,
            c.tables,
            c.cost_per_table,
            c.gift,
            words(N_("符合") if c.kept or c.kept is None else N_("未符合")),
            words(N_("；")).join(i18n.translate(b.message, locale) for b in c.breaches),
            c.registered_by,
            c.note,
        )
        for c in await store.list_ceremonies(year=year)
    ]
    columns = (
        Column(words(N_("办理日期")), "date"),
        Column(words(N_("类别"))),
        Column(words(N_("户主"))),
        Column(words(N_("桌数")), "number"),
        Column(words(N_("每桌标准（元）")), "number"),
        Column(words(N_("礼金（元）")), "number"),
        Column(words(N_("是否符合标准"))),
        Column(words(N_("超标情况")), max_width=36),
        Column(words(N_("登记人"))),
        Column(words(N_("备注")), max_width=30),
    )
    village = await village_name(store)
    title = words(N_("红白事登记台账"))
    condition = words.format(N_("%(label)s：%(value)s"), label=words(N_("年度")), value=year)
    return Ledger(
        title=f"{village}{title}",
        subtitle=made_subtitle(words, [condition]),
        sheets=(Sheet(title, columns, tuple(rows)),),
        filename=f"{village}{title}-{year}.xlsx",
        ascii_filename=f"ceremonies-{year}.xlsx",
        landscape=True,
    )
