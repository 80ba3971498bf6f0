"""The records store: the only place that maps domain records to CouchDB documents and back,
through :class:`sync.database.Database` only. One database per village (``<code>.sqlite`` in
the field).

One object, :class:`VillageStore` ``(db, village, actor, caches)``, carries what every call
works on; its methods come in parts, one module per concept:

* :mod:`~village_app.repo.organisation`: the village, bodies and rosters, the rule book
  (``rules``, cached by ``update_seq``), village rules, roster conflicts;
* :mod:`~village_app.repo.matters`: matters (created, edited, listed from the in-process
  :mod:`~village_app.repo.matter_index`), stage records, corrections, attachments, the folded
  :class:`~village_app.domain.MatterView`;
* :mod:`~village_app.repo.supervision`, :mod:`~village_app.repo.ceremonies`,
  :mod:`~village_app.repo.conflicts`;
* ``docs``: the document shapes; ``ids``: ``<type>:<village>:<ULID>``; ``retry``: the one way
  a write that conflicted is tried again (and fails loudly).

Errors are the domain's (:class:`~village_app.domain.NotFound`,
:class:`~village_app.domain.EditConflict`, validation errors...).
"""

from __future__ import annotations

from village_app.repo._base import VillageCaches
from village_app.repo.actor import Actor
from village_app.repo.ceremonies import STANDARD_KIND
from village_app.repo.matters import OPAQUE_CONTENT_TYPE, NewAttachment
from village_app.repo.pending import PendingFile, PendingUploads
from village_app.repo.store import VillageStore

__all__ = [
    "OPAQUE_CONTENT_TYPE",
    "STANDARD_KIND",
    "Actor",
    "NewAttachment",
    "PendingFile",
    "PendingUploads",
    "VillageCaches",
    "VillageStore",
]
