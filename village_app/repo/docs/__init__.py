"""Domain records <-> CouchDB documents. The only place that knows the document shapes.

Every document has ``type``, ``village``, ``created_at`` (UTC, ``...Z``, see
:func:`village_app.domain.dates.utc_stamp`), ``created_by`` and an id
``<type>:<village>:<ULID>`` (singletons use a readable suffix:
``village:<code>:profile``, ``body:<code>:<body kind>``). Times the secretary
typed are stored as Shanghai wall time with their ``+08:00`` offset, dates as
``YYYY-MM-DD``. Member docs carry only what may be public; phone and close
relatives live in a ``member_private`` doc with the same suffix.

The shapes live in one module per concept: ``organisation`` (village, bodies, seats, village
rules), ``matters`` (matters and stage records), ``supervision``, ``ceremonies``; ``_common``
holds the common fields and how dates and times are stored. Callers use ``docs.<name>``.
"""

from __future__ import annotations

from village_app.repo.docs._common import Doc
from village_app.repo.docs.ceremonies import ceremony_from_doc, ceremony_to_doc
from village_app.repo.docs.matters import (
    matter_from_doc,
    matter_to_doc,
    stage_record_from_doc,
    stage_record_to_doc,
)
from village_app.repo.docs.organisation import (
    body_from_doc,
    body_id,
    body_to_doc,
    member_from_docs,
    member_private_from_doc,
    member_to_docs,
    private_id,
    village_from_doc,
    village_id,
    village_rule_from_doc,
    village_rule_to_doc,
    village_to_doc,
)
from village_app.repo.docs.reviews import review_from_doc, review_to_doc
from village_app.repo.docs.supervision import supervision_from_doc, supervision_to_doc

__all__ = [
    "Doc",
    "body_from_doc",
    "body_id",
    "body_to_doc",
    "ceremony_from_doc",
    "ceremony_to_doc",
    "matter_from_doc",
    "matter_to_doc",
    "member_from_docs",
    "member_private_from_doc",
    "member_to_docs",
    "private_id",
    "review_from_doc",
    "review_to_doc",
    "stage_record_from_doc",
    "stage_record_to_doc",
    "supervision_from_doc",
    "supervision_to_doc",
    "village_from_doc",
    "village_id",
    "village_rule_from_doc",
    "village_rule_to_doc",
    "village_to_doc",
]
