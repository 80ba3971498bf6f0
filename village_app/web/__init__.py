"""The web app: thin Starlette handlers over :mod:`village_app.domain`.

:func:`create_app` builds it; one module per page family; :mod:`.resolve` turns URL
parts into records (or a not-found error); :mod:`.errors` is the one place that
maps exceptions to statuses and Chinese error pages.
"""

from __future__ import annotations

from village_app.web.app import create_app
from village_app.web.settings import Settings

__all__ = ["Settings", "create_app"]
