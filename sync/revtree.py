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

* merging a path (newest first, as ``_revisions`` lists it) is a port of
  ``couch_key_tree:merge`` (see :meth:`RevTree.merge_path`): the path is
  placed by its *oldest* revision and matched downwards level by level, so a
  revision the tree already holds under another parent is held a second time
  (CouchDB's forest then has two nodes with that key);
* stemming to ``limit`` keeps, for every leaf, the ``limit`` revisions
  nearest to it and cuts the rest (``couch_key_tree:stem``; with a revision
  held twice, its ``repair_tree``);
* the winner is the leaf with the greatest key ``(not deleted, generation,
  rev id)`` — CouchDB compares rev ids as binaries, which for the 32-hex ids
  both stores generate is the same as comparing the hex strings.

Node keys. Each node is keyed by its revision, except a second (third...)
node of the same revision, keyed ``rev + "\\x00" + n``: :func:`rev_of` gives
the revision of a key. The node that CouchDB's ``couch_key_tree:get`` finds
for a revision (the first in depth-first order of the sorted forest) always
holds the plain key, so lookups by revision need no translation; only the
methods that list nodes (``leaves``, ``history``...) return keys.

The JSON form (stored in the embedded database, one per document) is
``{key: [parent_key_or_null, deleted_0_1, body_handle]}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sync.errors import BadRequestError

_REV_RE = re.compile(r"^([0-9]+)-(.+)$", re.DOTALL)

#: Separates a revision from the number of its second, third... node in a node key.
DUP = "\x00"


def rev_of(key: str) -> str:
    """The revision of a node key (see the module docstring)."""
    return key.partition(DUP)[0]


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
    """Sort key of a revision (or node key): generation first, then the rev id as a string."""
    gen, _, rid = rev_of(rev).partition("-")
    return int(gen), rid


def _rid(key: str) -> str:
    """The rev id of a node key without its generation: ``couch_key_tree``'s Key."""
    return rev_of(key).partition("-")[2]


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
        #: node key -> node (a key is the revision, see the module docstring)
        self.nodes: dict[str, RevNode] = nodes if nodes is not None else {}

    # -- (de)serialisation -------------------------------------------------
    @classmethod
    def from_json(cls, data: dict[str, list[Any]]) -> RevTree:
        return cls({key: RevNode(p, bool(d), b) for key, (p, d, b) in data.items()})

    def to_json(self) -> dict[str, list[Any]]:
        return {key: [n.parent, int(n.deleted), n.body] for key, n in self.nodes.items()}

    def __contains__(self, rev: object) -> bool:
        return rev in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def copy(self) -> RevTree:
        return RevTree({key: replace(node) for key, node in self.nodes.items()})

    @property
    def has_duplicates(self) -> bool:
        """Whether some revision is held by more than one node."""
        return any(DUP in key for key in self.nodes)

    # -- queries -----------------------------------------------------------
    def leaves(self) -> list[str]:
        """Leaf node keys, best first (the order CouchDB lists ``_conflicts`` in)."""
        if len(self.nodes) == 1:
            return list(self.nodes)
        parents = {n.parent for n in self.nodes.values()}
        leaves = [key for key in self.nodes if key not in parents]
        leaves.sort(key=self._winner_key, reverse=True)
        return leaves

    def leaves_in_couch_order(self) -> list[str]:
        """Leaf node keys in the order CouchDB answers ``open_revs=all`` (and ``_bulk_get``
        without a rev): fabric_doc_open_revs's ``tree_format_replies`` sorts the
        ``{ok, #doc{}}`` replies as Erlang terms, so by the doc's ``revs``
        ``{Pos, [RevId | Ancestors]}``: ascending generation, then rev id (then, for a
        revision held twice, the ancestors' ids)."""
        if not self.has_duplicates:
            return sorted(self.leaves(), key=rev_key)
        return sorted(
            self.leaves(), key=lambda k: (rev_key(k)[0], [_rid(a) for a in self.history(k)])
        )

    def _winner_key(self, key: str) -> tuple[bool, int, str, bool]:
        gen, rid = rev_key(key)
        # The last element only orders two nodes of one revision: the one get/2 finds first.
        return (not self.nodes[key].deleted, gen, rid, DUP not in key)

    def winner(self) -> str:
        """The winning leaf's key: not deleted beats deleted, then generation, then rev id."""
        return self.leaves()[0]

    def is_leaf(self, rev: str) -> bool:
        return rev in self.nodes and all(n.parent != rev for n in self.nodes.values())

    def leaf_key(self, rev: str) -> str | None:
        """The leaf node an edit naming ``rev`` as its ``_rev`` extends, or None if ``rev``
        is no leaf. couch_db:prep_and_validate_updates looks ``rev`` up in
        ``dict:from_list`` over ``couch_key_tree:get_all_leafs``, where the last entry of
        a revision held twice wins: the one in the first tree of the forest."""
        found = [key for key in self._leaves_in_get_all_leafs_order() if rev_of(key) == rev]
        return found[-1] if found else None

    def conflicts(self) -> list[str]:
        """Non-deleted leaves other than the winner (``_conflicts``)."""
        leaves = self.leaves()
        return [rev_of(k) for k in leaves[1:] if not self.nodes[k].deleted]

    def deleted_conflicts(self) -> list[str]:
        """Deleted leaves other than the winner (``_deleted_conflicts``)."""
        leaves = self.leaves()
        return [rev_of(k) for k in leaves[1:] if self.nodes[k].deleted]

    def history(self, key: str) -> list[str]:
        """The node ``key`` and its known ancestors, newest first (node keys)."""
        path: list[str] = []
        cur: str | None = key
        while cur is not None and cur in self.nodes:
            path.append(cur)
            cur = self.nodes[cur].parent
        return path

    def revisions(self, key: str) -> dict[str, Any]:
        """CouchDB's ``_revisions`` of a node: ``{"start": gen, "ids": [rev ids, newest first]}``."""
        return {"start": rev_generation(rev_of(key)), "ids": [_rid(k) for k in self.history(key)]}

    def known_generation(self, key: str, revs: Iterable[str]) -> int:
        """The newest generation among ``revs`` on the path to node ``key`` (0 if none is):
        CouchDB's ``atts_since``. Attachments of ``key`` with a ``revpos`` no higher were
        there already in that revision, so whoever holds it has them."""
        path = {rev_of(k) for k in self.history(key)}
        return max((rev_generation(r) for r in revs if r in path), default=0)

    def revs_info(self, key: str) -> list[dict[str, str]]:
        """CouchDB's ``_revs_info``: each ancestor with status available / deleted / missing."""
        out = []
        for k in self.history(key):
            node = self.nodes[k]
            status = "deleted" if node.deleted else ("available" if node.has_body else "missing")
            out.append({"rev": rev_of(k), "status": status})
        return out

    def leaves_under(self, rev: str) -> list[str]:
        """The leaves descending from ``rev`` (itself if it is a leaf): ``latest=true``.
        couch_key_tree:get_key_leafs takes the node get/2 finds: the plain key."""
        return [leaf for leaf in self.leaves() if rev in self.history(leaf)]

    # -- changes -----------------------------------------------------------
    def add_child(self, parent: str | None, rev: str, *, deleted: bool, body: int = 1) -> str:
        """Record a revision made by a normal edit (``new_edits=true``) under the node
        ``parent``; returns the new node's key."""
        key = self._new_key(rev)
        self.nodes[key] = RevNode(parent, deleted, body)
        if DUP in key:
            self._canonicalise()
            key = self._key_with(rev, parent)
        return key

    def merge_path(self, path: Sequence[str], *, deleted: bool, body: int = 1) -> bool:
        """Merge a replicated path (newest first); the newest carries the body.

        Returns whether the tree changed (CouchDB gives the document a new update
        sequence only then)."""
        if not path:
            return False
        leaf = RevNode(None, deleted, body)
        return self._merge([(rev, leaf if i == 0 else None) for i, rev in enumerate(path)][::-1])

    def _merge(self, chain: list[tuple[str, RevNode | None]]) -> bool:
        """Port of ``couch_key_tree:merge/2`` (src/couch/src/couch_key_tree.erl: merge_tree,
        merge_at, merge_extend, value_pref) for one path, oldest first, each revision with
        its value (None for CouchDB's ?REV_MISSING).

        merge_tree tries the trees of the forest in order, roots sorted by (generation,
        rev id), and merges into the first that takes the path, else adds the path as a
        tree of its own. merge_at lines the path up with a tree at one depth: a tree that
        starts deeper (stemmed) than the path is compared with the path's node at the
        tree's root depth, and takes the older part of the path as the root's new
        ancestors; a tree that starts higher is searched depth first (children in rev id
        order) for the first node at the path's root depth with the path root's id. Only
        equal keys merge; nothing else in the tree is looked at. merge_extend then walks
        down: a child with the next revision's id is followed, otherwise the rest of the
        path becomes a new child. So a revision the tree holds under another parent is
        added again, as a second node (CouchDB's forest holds it twice). value_pref: a
        node keeps its value unless that is ?REV_MISSING, which the path's value
        replaces (a revision known only from ``_revisions`` gets the body sent for it).
        """
        depth = rev_generation(chain[0][0])
        children = self._children()
        changed: bool | None = None  # None: no tree took the path
        for root in sorted((k for k, n in self.nodes.items() if n.parent is None), key=rev_key):
            root_depth = rev_key(root)[0]
            if root_depth > depth:  # Depth - IDepth > 0: skip into the path
                at = root_depth - depth
                if at < len(chain) and _rid(root) == _rid(chain[at][0]):
                    self.nodes[root].parent = self._add_chain(None, chain[:at])
                    self._extend(root, chain[at:], children)
                    changed = True
            elif root_depth < depth:  # Depth - IDepth < 0: seek into the tree
                found = self._seek(root, depth - root_depth, _rid(chain[0][0]), children)
                if found is not None:
                    changed = self._extend(found, chain, children)
            elif _rid(root) == _rid(chain[0][0]):
                changed = self._extend(root, chain, children)
            if changed is not None:
                break
        else:
            self._add_chain(None, chain)  # merge_tree([], Tree, Acc): a tree of its own
            changed = True
        if changed and any(DUP in key for key in self.nodes):
            self._canonicalise()
        return changed

    def _seek(self, key: str, down: int, rid: str, children: dict[str, list[str]]) -> str | None:
        """merge_at with Pos < 0: the first node ``down`` levels below ``key``, depth first,
        whose rev id is ``rid``."""
        if down == 0:
            return key if _rid(key) == rid else None
        for child in children.get(key, ()):
            found = self._seek(child, down - 1, rid, children)
            if found is not None:
                return found
        return None

    def _extend(
        self, key: str, chain: list[tuple[str, RevNode | None]], children: dict[str, list[str]]
    ) -> bool:
        """merge_extend from the node ``key``, which matched ``chain[0]``."""
        changed = self._value_pref(key, chain[0][1])
        for i in range(1, len(chain)):
            rid = _rid(chain[i][0])
            match = next((c for c in children.get(key, ()) if _rid(c) == rid), None)
            if match is None:
                self._add_chain(key, chain[i:])
                return True
            key = match
            changed = self._value_pref(key, chain[i][1]) or changed
        return changed

    def _value_pref(self, key: str, value: RevNode | None) -> bool:
        node = self.nodes[key]
        if node.has_body or value is None or not value.has_body:
            return False
        node.deleted, node.body = value.deleted, value.body
        return True

    def _add_chain(self, parent: str | None, chain: list[tuple[str, RevNode | None]]) -> str | None:
        """New nodes for ``chain`` (oldest first) below ``parent``; returns the last key."""
        for rev, value in chain:
            key = self._new_key(rev)
            node = replace(value, parent=parent) if value is not None else RevNode(parent, False, 0)
            self.nodes[key] = node
            parent = key
        return parent

    def _new_key(self, rev: str) -> str:
        if rev not in self.nodes:
            return rev
        n = 1
        while f"{rev}{DUP}{n}" in self.nodes:
            n += 1
        return f"{rev}{DUP}{n}"

    def _key_with(self, rev: str, parent: str | None) -> str:
        """The key of the node of ``rev`` whose parent is ``parent``."""
        return next(k for k, n in self.nodes.items() if rev_of(k) == rev and n.parent == parent)

    def _children(self) -> dict[str, list[str]]:
        """Children of each node, in rev id order (CouchDB keeps siblings sorted by key)."""
        children: dict[str, list[str]] = {}
        for key, node in self.nodes.items():
            if node.parent is not None:
                children.setdefault(node.parent, []).append(key)
        for kids in children.values():
            kids.sort(key=_rid)
        return children

    def _forest_order(self) -> list[str]:
        """Every node key, depth first over the sorted forest: the order in which
        couch_key_tree:get_full_key_paths meets them."""
        children = self._children()
        order: list[str] = []
        stack = sorted(
            (k for k, n in self.nodes.items() if n.parent is None), key=rev_key, reverse=True
        )
        while stack:
            key = stack.pop()
            order.append(key)
            stack.extend(reversed(children.get(key, [])))
        return order

    def _leaves_in_get_all_leafs_order(self) -> list[str]:
        """couch_key_tree:get_all_leafs: the trees' leaves, each tree depth first, the last
        tree's first."""
        if not self.has_duplicates:
            parents = {n.parent for n in self.nodes.values()}
            return [k for k in self.nodes if k not in parents]
        children = self._children()
        trees: list[list[str]] = []
        for key in self._forest_order():
            if self.nodes[key].parent is None:
                trees.append([])
            if key not in children:
                trees[-1].append(key)
        return [leaf for tree in reversed(trees) for leaf in tree]

    def _canonicalise(self) -> None:
        """Re-key so that the node get/2 finds first for each revision has the plain key."""
        seen: dict[str, int] = {}
        rename: dict[str, str] = {}
        for key in self._forest_order():
            rev = rev_of(key)
            n = seen.get(rev, 0)
            seen[rev] = n + 1
            rename[key] = rev if n == 0 else f"{rev}{DUP}{n}"
        if all(old == new for old, new in rename.items()):
            return
        self.nodes = {
            rename[key]: RevNode(
                rename[n.parent] if n.parent is not None else None, n.deleted, n.body
            )
            for key, n in self.nodes.items()
        }

    def stem(self, limit: int) -> dict[str, RevNode]:
        """Keep the ``limit`` newest revisions of every branch; returns the nodes cut.

        couch_key_tree:stem throws ``dupe_keys`` when a rev id is in the forest twice
        and then rebuilds it with ``repair_tree``: every leaf's path cut to ``limit``,
        sorted by (start generation, path), merged one by one into an empty forest."""
        rids = [_rid(k) for k in self.nodes]
        if len(set(rids)) != len(rids):
            return self._repair(limit)
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

    def _repair(self, limit: int) -> dict[str, RevNode]:
        paths = []
        for leaf in self._leaves_in_get_all_leafs_order():
            path = self.history(leaf)[:limit]
            paths.append((rev_key(path[-1])[0], [_rid(k) for k in path], path))
        paths.sort(key=lambda p: (p[0], p[1]))
        old = self.nodes
        self.nodes = {}
        for _, _, path in paths:
            self._merge([(rev_of(k), replace(old[k], parent=None)) for k in reversed(path)])
        kept = {n.body for n in self.nodes.values() if n.body}
        return {
            k: n for k, n in old.items() if (n.body not in kept if n.body else k not in self.nodes)
        }

    def missing(self, revs: Iterable[str]) -> list[str]:
        """The revisions of ``revs`` this tree does not hold (``_revs_diff``)."""
        return [r for r in revs if r not in self.nodes or DUP in r]

    def possible_ancestors(self, missing: Iterable[str]) -> list[str]:
        """Leaves older than some missing revision (CouchDB's ``possible_ancestors``)."""
        top = max((rev_generation(r) for r in missing), default=0)
        return list(
            dict.fromkeys(
                rev_of(leaf) for leaf in self.leaves() if rev_generation(rev_of(leaf)) < top
            )
        )
