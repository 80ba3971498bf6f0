"""Templates translated when they are compiled, one environment per language.

A page calls ``_("…")`` on a literal well over a hundred times (the matter page: every
label of every stage record and of the next stage's form), and each call went through
Jinja's runtime call machinery and a catalog lookup on every request. The message is
known when the template is compiled, so each language gets its own environment whose
templates have ``_("literal")`` replaced by the translated literal before they are
parsed: Jinja then emits the (escaped) text as a constant. ``_`` stays in the context for
messages chosen at run time (``_(page.title)``). The template sources are unchanged, so
Babel's extraction and the catalog test see the same ``_("…")`` calls.
"""

from __future__ import annotations

import re

from jinja2 import Environment
from jinja2.ext import Extension

from village_app import i18n

#: ``_("literal")`` or ``_('literal')`` with no backslash in the literal (a literal with an
#: escape is left to the run-time ``_``); not ``N_(`` nor ``obj._(``.
_LITERAL_CALL = re.compile(r"""(?<![\w.])_\(\s*(?:"([^"\\]*)"|'([^'\\]*)')\s*\)""")


def _jinja_literal(text: str) -> str:
    """``text`` as a double-quoted Jinja string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def translate_literals(source: str, locale: str) -> str:
    """``source`` with every ``_("literal")`` replaced by the literal's translation."""
    gettext = i18n.gettext_for(locale).gettext

    def replace(match: re.Match[str]) -> str:
        message = match[1] if match[1] is not None else match[2]
        return _jinja_literal(gettext(message))

    return _LITERAL_CALL.sub(replace, source)


class CompiledTranslations(Extension):
    """Translates ``_("literal")`` into the environment's ``compile_locale`` at compile time."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.extend(compile_locale=i18n.DEFAULT_LOCALE)

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return translate_literals(source, self.environment.compile_locale)  # type: ignore[attr-defined]
