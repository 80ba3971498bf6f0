"""CouchDB revision trees, as pure data and functions (no I/O).

A document's history is a forest of revisions. We keep it flat: a dict from
the full revision string (``"3-9af0..."``) to a :class:`RevNode` holding the
parent revision (``None`` for a root, which after stemming may have a
generation above 1), whether that revision is a deletion, and a handle to its
body: an opaque positive integer the store chooses (the embedded store uses
the body's row id), or 0 when we do not hold the body (ancestors learnt only
from a replicated ``_revisions`` list). Leaves are the revisions nobody names
as parent.

This flat form gives the same results as CouchDB's ``couch_key_tree``:

* merging a path (newest first, as ``_revisions`` lists it) adds the missing
  nodes and links; a path that starts above a stemmed root re-attaches it,
  which is what ``couch_key_tree:merge`` does when the inserted path begins
  earlier than the tree;
* stemming to ``limit`` keeps, for every leaf, the ``limit`` revisions
  nearest to it and cuts the rest (``couch_key_tree:stem``);
* the winner is the leaf with the greatest key ``(not deleted, generation,
  rev id)`` — CouchDB compares rev ids as binaries, which for the 32-hex ids
  both stores generate is the same as comparing the hex strings.

The JSON form (stored in the embedded database, one per document) is
``{rev: [parent_or_null, deleted_0_1, body_handle]}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sync.errors import BadRequestError

_REV_RE = re.compile(r"^([0-9]+)-(.+)$", re.DOTALL)


def parse_rev(rev: object) -> tuple[int, str]:
    """``"3-abc"`` -> ``(3, "abc")``; anything else raises BadRequestError, as CouchDB's
    ``couch_doc:parse_rev`` throws ``bad_request``/"Invalid rev format"."""
    if not isinstance(rev, str):
        raise BadRequestError("Invalid rev format", rev=str(rev))
    match = _REV_RE.match(rev)
    if match is None:
        raise BadRequestError("Invalid rev format", rev=rev)
    return int(match.group(1)), match.group(2)


def rev_generation(rev: str) -> int:
    return int(rev.split("-", 1)[0])


def rev_key(rev: str) -> tuple[int, str]:
    """Sort key of a revision: generation first, then the rev id as a string."""
    gen, _, rid = rev.partition("-")
    return int(gen), rid


def revisions_to_path(rev: str, revisions: Any) -> list[str]:
    """The path (newest first) named by a doc's ``_rev`` and ``_revisions`` ``{start, ids}``.

    Without ``_revisions`` the path is the single revision."""
    gen, rid = parse_rev(rev)
    if revisions is None:
        return [rev]
    if (
        not isinstance(revisions, dict)
        or not isinstance(revisions.get("start"), int)
        or not isinstance(revisions.get("ids"), list)
        or not revisions["ids"]
        or not all(isinstance(i, str) and i for i in revisions["ids"])
    ):
        raise BadRequestError("_revisions must be {start: int, ids: [str, ...]}", rev=rev)
    start, ids = revisions["start"], revisions["ids"]
    if start != gen or ids[0] != rid or start - len(ids) + 1 < 1:
        raise BadRequestError("_revisions does not match _rev", rev=rev)
    return [f"{start - i}-{rid_i}" for i, rid_i in enumerate(ids)]


@dataclass(slots=True)
class RevNode:
    parent: str | None
    deleted: bool
    #: the store's handle to this revision's body; 0 when the body is not held
    body: int = 1

    @property
    def has_body(self) -> bool:
        return self.body != 0


class RevTree:
    """One document's revision forest. Mutating methods keep it consistent; none does I/O."""

    __slots__ = ("nodes",)

    def __init__(self, nodes: dict[str, RevNode] | None = None) -> None:
        self.nodes: dict[str, RevNode] = nodes if nodes is not None else {}

    # -- (de)serialisation -------------------------------------------------
    @classmethod
    def from_json(cls, data: dict[str, list[Any]]) -> RevTree:
        return cls({rev: RevNode(p, bool(d), b) for rev, (p, d, b) in data.items()})

    def to_json(self) -> dict[str, list[Any]]:
        return {rev: [n.parent, int(n.deleted), n.body] for rev, n in self.nodes.items()}

    def __contains__(self, rev: object) -> bool:
        return rev in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    # -- queries -----------------------------------------------------------
    def leaves(self) -> list[str]:
        """Leaf revisions, best first (the order CouchDB lists ``_conflicts`` in)."""
        if len(self.nodes) == 1:
            return list(self.nodes)
        parents = {n.parent for n in self.nodes.values()}
        leaves = [rev for rev in self.nodes if rev not in parents]
        leaves.sort(key=self._winner_key, reverse=True)
        return leaves

    def leaves_in_couch_order(self) -> list[str]:
        """Leaf revisions in the order CouchDB answers ``open_revs=all`` (and ``_bulk_get``
        without a rev): ascending by generation, then rev id. fabric_doc_open_revs's
        ``tree_format_replies`` sorts the ``{ok, #doc{}}`` replies as Erlang terms, and a
        doc's ``revs`` ``{Pos, [RevId | _]}`` decide that order."""
        return sorted(self.leaves(), key=rev_key)

    def _winner_key(self, rev: str) -> tuple[bool, int, str]:
        gen, rid = rev_key(rev)
        return (not self.nodes[rev].deleted, gen, rid)

    def winner(self) -> str:
        """The winning revision: not deleted beats deleted, then generation, then rev id."""
        return self.leaves()[0]

    def is_leaf(self, rev: str) -> bool:
        return rev in self.nodes and all(n.parent != rev for n in self.nodes.values())

    def conflicts(self) -> list[str]:
        """Non-deleted leaves other than the winner (``_conflicts``)."""
        leaves = self.leaves()
        return [r for r in leaves[1:] if not self.nodes[r].deleted]

    def deleted_conflicts(self) -> list[str]:
        """Deleted leaves other than the winner (``_deleted_conflicts``)."""
        leaves = self.leaves()
        return [r for r in leaves[1:] if self.nodes[r].deleted]

    def history(self, rev: str) -> list[str]:
        """``rev`` and its known ancestors, newest first."""
        path: list[str] = []
        cur: str | None = rev
        while cur is not None and cur in self.nodes:
            path.append(cur)
            cur = self.nodes[cur].parent
        return path

    def revisions(self, rev: str) -> dict[str, Any]:
        """CouchDB's ``_revisions`` for ``rev``: ``{"start": gen, "ids": [rev ids, newest first]}``."""
        path = self.history(rev)
        return {"start": rev_generation(rev), "ids": [r.split("-", 1)[1] for r in path]}

    def revs_info(self, rev: str) -> list[dict[str, str]]:
        """CouchDB's ``_revs_info``: each ancestor with status available / deleted / missing."""
        out = []
        for r in self.history(rev):
            node = self.nodes[r]
            status = "deleted" if node.deleted else ("available" if node.has_body else "missing")
            out.append({"rev": r, "status": status})
        return out

    def leaves_under(self, rev: str) -> list[str]:
        """The leaves descending from ``rev`` (itself if it is a leaf): ``latest=true``."""
        return [leaf for leaf in self.leaves() if rev in self.history(leaf)]

    # -- changes -----------------------------------------------------------
    def add_child(self, parent: str | None, rev: str, *, deleted: bool, body: int = 1) -> None:
        """Record a revision made by a normal edit (``new_edits=true``)."""
        self.nodes[rev] = RevNode(parent, deleted, body)

    def merge_path(self, path: Sequence[str], *, deleted: bool, body: int = 1) -> bool:
        """Merge a replicated path (newest first); the newest carries the body.

        Returns False when the newest revision was already known (CouchDB then
        leaves the document untouched)."""
        if not path or path[0] in self.nodes:
            return False
        for i, rev in enumerate(path):
            parent = path[i + 1] if i + 1 < len(path) else None
            node = self.nodes.get(rev)
            if node is None:
                self.nodes[rev] = RevNode(parent, deleted if i == 0 else False, body if i == 0 else 0)
            elif node.parent is None and parent is not None:
                node.parent = parent  # re-attach a root the stemmer had cut
            elif node.parent != parent:
                break
        return True

    def stem(self, limit: int) -> dict[str, RevNode]:
        """Keep the ``limit`` newest revisions of every branch; returns the nodes cut."""
        keep: set[str] = set()
        for leaf in self.leaves():
            keep.update(self.history(leaf)[:limit])
        cut = {rev: node for rev, node in self.nodes.items() if rev not in keep}
        for rev in cut:
            del self.nodes[rev]
        if cut:
            for node in self.nodes.values():
                if node.parent is not None and node.parent not in self.nodes:
                    node.parent = None
        return cut

    def missing(self, revs: Iterable[str]) -> list[str]:
        """The revisions of ``revs`` this tree does not hold (``_revs_diff``)."""
        return [r for r in revs if r not in self.nodes]

    def possible_ancestors(self, missing: Iterable[str]) -> list[str]:
        """Leaves older than some missing revision (CouchDB's ``possible_ancestors``)."""
        top = max((rev_generation(r) for r in missing), default=0)
        return [leaf for leaf in self.leaves() if rev_generation(leaf) < top]
