from __future__ import annotations

import datetime as dt
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from village_app import i18n

ROOT = Path(__file__).resolve().parent.parent


def _template_msgids() -> set[str]:
    found = extract_from_dir(
        str(ROOT / "templates"), [("**.html", "jinja2.ext:babel_extract")], keywords={"_": None}
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def _python_msgids() -> set[str]:
    """Strings marked with ``N_`` in the web layer (titles, messages chosen at run time)."""
    found = extract_from_dir(
        str(ROOT / "village_app" / "web"), [("**.py", "python")], keywords={"N_": None}
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_every_interface_string_has_an_english_translation() -> None:
    with (i18n.LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    translated = {m.id for m in catalog if m.id and m.string}
    missing = sorted((_template_msgids() | _python_msgids()) - translated)
    assert missing == []


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


def test_unknown_locale_is_the_default() -> None:
    assert i18n.normalize_locale("fr") == "zh_CN"
    assert i18n.normalize_locale("en") == "en"
