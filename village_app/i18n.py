"""Languages, message catalogs and Chinese dates.

The interface is written in Chinese, so the Chinese text itself is the message id
(``_("登录")``) and zh-CN needs no catalog; English comes from
``village_app/locale/en/LC_MESSAGES/messages.po``. The ``.po`` files are the only
catalog files in the repository: they are compiled in memory with Babel the first
time a language is used, so there is no build step to forget and no stale ``.mo``.
A msgid missing from a catalog falls back to the Chinese text.

Text chosen at run time outside the templates (a domain error, a meeting's outcome, a rule in
words) travels as a :class:`Message`: the msgid, marked with :func:`N_` where it is written
so that extraction finds it, and its parameters. :func:`translate` renders one in a language;
the domain never picks a language itself (its errors' ``str()`` is English, for logs and
the CLI, through this same catalog).

Times are shown in Asia/Shanghai (document stamps are UTC, entered times carry +08:00).
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeAlias
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
DEFAULT_LOCALE: Final = "zh_CN"
#: Locale code -> its own name, in the order the language switch shows them.
LOCALES: Final[dict[str, str]] = {"zh_CN": "中文", "en": "English"}
TIMEZONE: Final = ZoneInfo("Asia/Shanghai")


def normalize_locale(value: str | None) -> str:
    """A supported locale code for a cookie or form value (anything else is the default)."""
    return value if value in LOCALES else DEFAULT_LOCALE


@functools.cache
def translations(locale: str) -> gettext.NullTranslations:
    """The catalog for ``locale``, compiled from its ``.po`` file on first use."""
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(locale: str) -> gettext.NullTranslations:
    return translations(normalize_locale(locale))


def to_local(value: dt.datetime | str) -> dt.datetime:
    """A time (aware datetime or ISO string) in Asia/Shanghai; a naive one is taken as
    Shanghai wall time already, as the domain does (what the paper sheet says)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        return value.replace(tzinfo=TIMEZONE)
    return value.astimezone(TIMEZONE)


def format_date(value: dt.date | dt.datetime | str | None, locale: str = DEFAULT_LOCALE) -> str:
    """``2026年11月25日`` in Chinese, ``25 November 2026`` in English; datetimes are taken
    in Asia/Shanghai first, so a late-evening UTC time shows the next day as villagers see it."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = to_local(value) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = to_local(value).date()
    if normalize_locale(locale) == "zh_CN":
        return f"{value.year}年{value.month}月{value.day}日"
    return _babel_format_date(value, "d MMMM y", locale="en")


def format_datetime(value: dt.datetime | str | None, locale: str = DEFAULT_LOCALE) -> str:
    """Date as :func:`format_date` plus the Asia/Shanghai time: ``2026年11月25日 14:30``."""
    if value is None or value == "":
        return ""
    local = to_local(value)
    return f"{format_date(local, locale)} {local:%H:%M}"


def format_when(
    value: dt.datetime | str | None,
    locale: str = DEFAULT_LOCALE,
    now: dt.datetime | None = None,
) -> str:
    """A recent time said short, for a glance (the header's sync state): ``今天 14:30``,
    ``昨天 09:05``, ``11月25日 14:30`` this year; another year's in full
    (:func:`format_datetime`). Days as in Asia/Shanghai."""
    if value is None or value == "":
        return ""
    local = to_local(value)
    today = to_local(now or now_local()).date()
    day, clock = local.date(), f"{local:%H:%M}"
    catalog = gettext_for(locale)
    if day == today:
        return catalog.gettext("今天 %(time)s") % {"time": clock}
    if day == today - dt.timedelta(days=1):
        return catalog.gettext("昨天 %(time)s") % {"time": clock}
    if day.year != today.year:
        return format_datetime(local, locale)
    if normalize_locale(locale) == "zh_CN":
        return f"{day.month}月{day.day}日 {clock}"
    return f"{_babel_format_date(day, 'd MMM', locale='en')} {clock}"


def now_local() -> dt.datetime:
    return dt.datetime.now(TIMEZONE)


def N_(message: str) -> str:
    """Marks a msgid chosen at run time (a title, an error) so the catalog test finds it;
    the template translates it when it is shown."""
    return message


#: A parameter of a :class:`Message`: a number, or a name as typed, shown as it is; another
#: Message, translated with it; or a tuple of these, listed with the language's separator.
Param: TypeAlias = "str | int | Message | tuple[Param, ...]"

#: Between the items of a listed parameter (Chinese 、, English a comma).
LIST_SEPARATOR: Final = N_("、")


@dataclass(frozen=True)
class Message:
    """Text to show in the reader's language: ``msgid`` is the Chinese source text, with
    ``%(name)s`` placeholders filled from ``params`` after translation."""

    msgid: str
    params: Mapping[str, Param] = field(default_factory=dict)


def translate(message: Param, locale: str) -> str:
    """``message`` in ``locale``, through the catalog."""
    return _render(message, gettext_for(locale))


def _render(value: Param, catalog: gettext.NullTranslations) -> str:
    if isinstance(value, Message):
        text = catalog.gettext(value.msgid)
        if not value.params:
            return text
        return text % {name: _render(param, catalog) for name, param in value.params.items()}
    if isinstance(value, tuple):
        return catalog.gettext(LIST_SEPARATOR).join(_render(item, catalog) for item in value)
    return str(value)


def one_of(choices: Sequence[Param]) -> Param:
    """The choices as "a, b or c" in the reader's language (one choice: itself)."""
    if len(choices) == 1:
        return choices[0]
    return Message(N_("%(some)s或%(last)s"), {"some": tuple(choices[:-1]), "last": choices[-1]})
