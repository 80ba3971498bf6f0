"""The records store: the only place that maps domain records to CouchDB documents and back,
through :class:`sync.database.Database` only. One database per village (``<code>.sqlite`` in
the field). Write functions take an :class:`Actor` (who, and the clock).

Map:

* organisation: ``get_village``, ``save_village``, ``list_bodies``, ``save_body``,
  ``get_rules``, ``list_members``, ``get_member``, ``add_member``, ``update_member``,
  ``list_village_rules``, ``add_village_rule``, ``roster_conflicts``;
* matters: ``create_matter``, ``get_matter`` (with ``conflicts``), ``update_matter``,
  ``list_matters(stage=, body=, year=, kind=, limit=, skip=)``, ``find_matters`` (a page and the total), ``stage_counts``,
  ``resolve_matter_conflict``, ``sync_record_flags``, ``warm_up`` (the matters index, at start-up),
  ``matter_view`` (a :class:`~village_app.domain.MatterView`), ``list_stage_records``,
  ``append_stage_record(..., attachments=[NewAttachment], refuse_failed=False)``,
  ``correct_record``, ``add_attachment``, ``get_attachment``;
* supervision: ``add_supervision(..., thread_id=)``, ``correct_supervision``,
  ``list_supervision(matter=, open_only=)``, ``list_supervision_entries``;
* conflicts: ``conflicted`` (which ids have them), ``list_conflicts``, ``resolve_conflict``;
* weddings and funerals: ``add_ceremony``, ``list_ceremonies(year=)``, ``ceremony_limits``;
* ``docs``: the document shapes; ``ids``: ``<type>:<village>:<ULID>``.

Errors are the domain's (:class:`~village_app.domain.NotFound`,
:class:`~village_app.domain.EditConflict`, validation errors...).
"""

from __future__ import annotations

from village_app.repo.actor import Actor
from village_app.repo.ceremonies import add_ceremony, ceremony_limits, list_ceremonies
from village_app.repo.conflicts import conflicted, list_conflicts, resolve_conflict
from village_app.repo.matters import (
    OPAQUE_CONTENT_TYPE,
    NewAttachment,
    add_attachment,
    append_stage_record,
    correct_record,
    create_matter,
    find_matters,
    get_attachment,
    get_matter,
    list_matters,
    list_stage_records,
    matter_view,
    resolve_matter_conflict,
    stage_counts,
    sync_record_flags,
    update_matter,
    warm_up,
)
from village_app.repo.organisation import (
    add_member,
    add_village_rule,
    get_member,
    get_rules,
    get_village,
    list_bodies,
    list_members,
    list_village_rules,
    roster_conflicts,
    save_body,
    save_village,
    update_member,
)
from village_app.repo.supervision import (
    add_supervision,
    correct_supervision,
    list_supervision,
    list_supervision_entries,
)


def village_db_name(code: str) -> str:
    """The file name of a village's embedded database under the data folder."""
    return f"{code}.sqlite"


__all__ = [
    "OPAQUE_CONTENT_TYPE",
    "Actor",
    "NewAttachment",
    "add_attachment",
    "add_ceremony",
    "add_member",
    "add_supervision",
    "add_village_rule",
    "append_stage_record",
    "ceremony_limits",
    "conflicted",
    "correct_record",
    "correct_supervision",
    "create_matter",
    "find_matters",
    "get_attachment",
    "get_matter",
    "get_member",
    "get_rules",
    "get_village",
    "list_bodies",
    "list_ceremonies",
    "list_conflicts",
    "list_matters",
    "list_members",
    "list_stage_records",
    "list_supervision",
    "list_supervision_entries",
    "list_village_rules",
    "matter_view",
    "resolve_conflict",
    "resolve_matter_conflict",
    "roster_conflicts",
    "save_body",
    "save_village",
    "stage_counts",
    "sync_record_flags",
    "update_matter",
    "update_member",
    "village_db_name",
    "warm_up",
]
