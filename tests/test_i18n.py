from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from village_app import i18n
from village_app.i18n import N_

ROOT = Path(__file__).resolve().parent.parent


def _template_msgids() -> set[str]:
    found = extract_from_dir(
        str(ROOT / "templates"), [("**.html", "jinja2.ext:babel_extract")], keywords={"_": None}
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def _python_msgids() -> set[str]:
    """Strings marked with ``N_`` anywhere in the app: page titles, the domain's and the
    store's errors, name tables, descriptions (messages chosen at run time)."""
    found = extract_from_dir(
        str(ROOT / "village_app"), [("**.py", "python")], keywords={"N_": None}
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def _catalog() -> Catalog:
    with (i18n.LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def test_every_interface_string_has_an_english_translation() -> None:
    translated = {m.id for m in _catalog() if m.id and m.string}
    missing = sorted((_template_msgids() | _python_msgids()) - translated)
    assert missing == []


def test_translations_keep_their_placeholders() -> None:
    """A translation that drops or renames a ``%(name)s`` would fail when shown."""
    placeholder = re.compile(r"%\((\w+)\)s")
    wrong = [
        m.id
        for m in _catalog()
        if isinstance(m.id, str)
        and m.string
        and set(placeholder.findall(m.id)) != set(placeholder.findall(str(m.string)))
    ]
    assert wrong == []


def test_a_message_is_translated_with_its_parameters() -> None:
    message = i18n.Message(
        N_("%(body)s已有召集人：%(name)s"),
        {"body": i18n.Message(N_("村民议事会")), "name": "李明"},
    )
    assert i18n.translate(message, "zh_CN") == "村民议事会已有召集人：李明"
    assert i18n.translate(message, "en") == "Residents' council already has a convenor: 李明"
    three = i18n.one_of([i18n.Message(N_("村名")), i18n.Message(N_("乡镇")), "X"])
    assert i18n.translate(three, "zh_CN") == "村名、乡镇或X"
    assert i18n.translate(three, "en") == "Village name, Township or X"


def test_english_catalog_translates_and_chinese_is_the_source() -> None:
    assert i18n.gettext_for("en").gettext("登录") == "Log in"
    assert i18n.gettext_for("zh_CN").gettext("登录") == "登录"
    assert i18n.gettext_for("en").gettext("没有这条") == "没有这条"  # unknown: falls back


def test_chinese_dates_in_shanghai_time() -> None:
    assert i18n.format_date(dt.date(2026, 11, 25)) == "2026年11月25日"
    # 17:00 UTC is 01:00 the next day in Shanghai.
    assert i18n.format_date("2026-11-25T17:00:00Z") == "2026年11月26日"
    assert i18n.format_datetime("2026-11-25T01:30:00+00:00") == "2026年11月25日 09:30"
    assert i18n.format_date(dt.date(2026, 3, 1), "en") == "1 March 2026"
    assert i18n.format_date(None) == ""


def test_a_recent_time_is_said_short() -> None:
    now = dt.datetime(2026, 12, 4, 10, 0, tzinfo=i18n.TIMEZONE)
    # 20:30 UTC on the 3rd is 04:30 on the 4th in Shanghai: today.
    assert i18n.format_when("2026-12-03T20:30:00Z", now=now) == "今天 04:30"
    assert i18n.format_when("2026-12-03T20:30:00Z", "en", now=now) == "today 04:30"
    assert i18n.format_when("2026-12-03T09:05:00+08:00", now=now) == "昨天 09:05"
    assert i18n.format_when("2026-12-03T09:05:00+08:00", "en", now=now) == "yesterday 09:05"
    assert i18n.format_when("2026-11-25T14:30:00+08:00", now=now) == "11月25日 14:30"
    assert i18n.format_when("2026-11-25T14:30:00+08:00", "en", now=now) == "25 Nov 14:30"
    assert i18n.format_when("2025-12-31T23:00:00+08:00", now=now) == "2025年12月31日 23:00"
    assert i18n.format_when(None) == ""


def test_unknown_locale_is_the_default() -> None:
    assert i18n.normalize_locale("fr") == "zh_CN"
    assert i18n.normalize_locale("en") == "en"


def test_each_message_is_in_the_catalog_once() -> None:
    """Two entries for one msgid: only one of them is used, and which one is an accident
    of the file's order (several people append to it at once)."""
    text = (i18n.LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    ids = re.findall(r'^msgid "(.+)"$', text, flags=re.MULTILINE)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
