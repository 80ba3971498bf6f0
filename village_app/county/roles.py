"""Names on the county CouchDB: databases and roles.

One database per village, ``village_<code>``; a village's secretary carries the role
``village_<code>``; a township reviewer ``township_<9-digit township code>`` for each township
reviewed; county reviewers ``county_reviewer``; a kiosk ``kiosk_<code>``, which opens only the
village's public database ``village_<code>_public``; the publishing job ``county_publisher``; the
county's administrators ``county_admin``.

``prefix`` lets the tests keep their databases apart on a shared server."""

from __future__ import annotations

import re
from typing import Final

COUNTY_ADMIN: Final = "county_admin"
COUNTY_REVIEWER: Final = "county_reviewer"
#: The account CouchDB's replicator fills each village's public database as: it reads village
#: databases and writes public ones (see :mod:`village_app.county.publishing`).
COUNTY_PUBLISHER: Final = "county_publisher"
#: CouchDB's own role of server administrators.
SERVER_ADMIN: Final = "_admin"


def village_database(code: str, prefix: str = "") -> str:
    return f"{prefix}village_{code}"


def public_database(code: str, prefix: str = "") -> str:
    return f"{prefix}village_{code}_public"


def village_role(code: str) -> str:
    return f"village_{code}"


def township_role(township_code: str) -> str:
    """``township_code``: the 9-digit code (county + township), unique across counties."""
    return f"township_{township_code}"


def kiosk_role(code: str) -> str:
    return f"kiosk_{code}"


def reviewer_roles(township_code: str) -> list[str]:
    """The roles that may review a village of a township (9-digit code): the township's
    reviewers and the county's."""
    return [township_role(township_code), COUNTY_REVIEWER]


#: A kiosk's inbox: ``<prefix>kiosk_<village code>_<account>_ratings``, where the account's
#: dots (allowed in account names, not in database names) are written ``$``.
_INBOX: Final = re.compile(r"kiosk_([0-9]{12})_([a-z0-9_$-]+)_ratings")


def kiosk_inbox(code: str, account: str, prefix: str = "") -> str:
    """The database a kiosk account leaves its villagers' ratings in (it can write there
    and nowhere else; see :mod:`village_app.county.inboxes`)."""
    return f"{prefix}kiosk_{code}_{account.replace('.', '$')}_ratings"


def inbox_owner(name: str, prefix: str = "") -> tuple[str, str] | None:
    """``(village code, kiosk account)`` of an inbox's name, or ``None``."""
    if not name.startswith(prefix):
        return None
    found = _INBOX.fullmatch(name[len(prefix) :])
    return (found.group(1), found.group(2).replace("$", ".")) if found else None
