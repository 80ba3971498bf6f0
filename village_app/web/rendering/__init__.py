"""Turning a page's dataclass into HTML: the templates (one Jinja environment per language),
the form helpers, and compile-time translation."""
