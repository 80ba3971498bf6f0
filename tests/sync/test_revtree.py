"""Revision-tree rules (sync.revtree), checked against CouchDB's documented behaviour."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.errors import BadRequestError
from sync.revtree import RevTree, parse_rev, rev_of, revisions_to_path


def chain(tree: RevTree, *revs: str, deleted_last: bool = False) -> None:
    parent = None
    for i, rev in enumerate(revs):
        if rev not in tree:
            tree.add_child(parent, rev, deleted=deleted_last and i == len(revs) - 1)
        parent = rev


def test_parse_rev_accepts_couch_revs_and_refuses_malformed() -> None:
    assert parse_rev("12-abc") == (12, "abc")
    for bad in ("abc", "-abc", "x-abc", "1-", "", 5, None):
        with pytest.raises(BadRequestError):
            parse_rev(bad)


def test_single_branch_winner_is_the_leaf() -> None:
    tree = RevTree()
    chain(tree, "1-a", "2-b", "3-c")
    assert tree.leaves() == ["3-c"]
    assert tree.winner() == "3-c"
    assert tree.conflicts() == [] and tree.deleted_conflicts() == []
    assert tree.revisions("3-c") == {"start": 3, "ids": ["c", "b", "a"]}


def test_higher_generation_wins_then_greater_rev_id() -> None:
    tree = RevTree()
    chain(tree, "1-a", "2-b")
    chain(tree, "1-a", "2-c", "3-a")
    assert tree.winner() == "3-a"
    assert tree.conflicts() == ["2-b"]
    tree2 = RevTree()
    chain(tree2, "1-a", "2-b")
    chain(tree2, "1-a", "2-f")
    assert tree2.winner() == "2-f"  # same generation: the greater id
    assert tree2.conflicts() == ["2-b"]


def test_not_deleted_beats_deleted_even_when_shorter() -> None:
    tree = RevTree()
    chain(tree, "1-a", "2-b")
    chain(tree, "1-a", "2-c", "3-d", "4-e", deleted_last=True)
    assert tree.winner() == "2-b"
    assert tree.conflicts() == []
    assert tree.deleted_conflicts() == ["4-e"]


def test_all_leaves_deleted_winner_is_greatest_deleted() -> None:
    tree = RevTree()
    chain(tree, "1-a", "2-b", deleted_last=True)
    chain(tree, "1-a", "2-c", "3-d", deleted_last=True)
    assert tree.winner() == "3-d"
    assert tree.nodes["3-d"].deleted
    assert tree.deleted_conflicts() == ["2-b"]


def test_merge_path_adds_branch_and_reports_known_leaf() -> None:
    tree = RevTree()
    chain(tree, "1-a", "2-b")
    assert tree.merge_path(["3-x", "2-y", "1-a"], deleted=False)
    assert set(tree.leaves()) == {"3-x", "2-b"}
    assert tree.nodes["2-y"].has_body is False  # learnt from _revisions only
    assert tree.nodes["3-x"].has_body is True
    assert not tree.merge_path(["2-b", "1-a"], deleted=False)  # known leaf: no change
    assert not tree.merge_path(["3-x"], deleted=False)
    # A known revision held without its body takes the body sent for it (value_pref
    # prefers a value to ?REV_MISSING); it stays an interior node.
    assert tree.merge_path(["2-y"], deleted=False, body=7)
    assert tree.nodes["2-y"].body == 7 and set(tree.leaves()) == {"3-x", "2-b"}
    assert not tree.merge_path(["2-y", "1-a"], deleted=False, body=8)
    assert tree.nodes["2-y"].body == 7


def test_merge_disjoint_path_makes_second_root() -> None:
    tree = RevTree()
    chain(tree, "1-a", "2-b")
    assert tree.merge_path(["2-z", "1-z"], deleted=False)
    assert tree.winner() == "2-z"
    assert tree.history("2-z") == ["2-z", "1-z"]


def test_merge_reattaches_a_stemmed_root() -> None:
    tree = RevTree()
    chain(tree, "1-a", "2-b", "3-c", "4-d")
    tree.stem(2)
    assert set(tree.nodes) == {"3-c", "4-d"}
    assert tree.nodes["3-c"].parent is None
    tree.merge_path(["5-e", "4-d", "3-c", "2-b"], deleted=False)
    assert tree.history("5-e") == ["5-e", "4-d", "3-c", "2-b"]


def test_stem_keeps_limit_newest_per_branch() -> None:
    tree = RevTree()
    chain(tree, "1-a", "2-b", "3-c", "4-d", "5-e")
    chain(tree, "1-a", "2-b", "3-x")
    assert tree.stem(3) == {}  # the short branch still reaches 1-a within 3
    cut = tree.stem(2)
    assert set(cut) == {"1-a", "3-c"}
    assert tree.history("5-e") == ["5-e", "4-d"]
    assert tree.history("3-x") == ["3-x", "2-b"]
    assert tree.nodes["2-b"].parent is None
    assert tree.revisions("5-e") == {"start": 5, "ids": ["e", "d"]}


def test_stem_to_one_leaves_only_leaves() -> None:
    tree = RevTree()
    chain(tree, "1-a", "2-b", "3-c")
    chain(tree, "1-a", "2-z", deleted_last=True)
    tree.stem(1)
    assert set(tree.nodes) == {"3-c", "2-z"}
    assert tree.winner() == "3-c"
    assert tree.deleted_conflicts() == ["2-z"]


def test_revs_info_statuses() -> None:
    tree = RevTree()
    tree.merge_path(["3-c", "2-b", "1-a"], deleted=False)
    tree.add_child("3-c", "4-d", deleted=True)
    assert tree.revs_info("4-d") == [
        {"rev": "4-d", "status": "deleted"},
        {"rev": "3-c", "status": "available"},
        {"rev": "2-b", "status": "missing"},
        {"rev": "1-a", "status": "missing"},
    ]


def test_leaves_under_for_latest() -> None:
    tree = RevTree()
    chain(tree, "1-a", "2-b", "3-c")
    chain(tree, "1-a", "2-x")
    assert tree.leaves_under("1-a") == ["3-c", "2-x"]
    assert tree.leaves_under("2-b") == ["3-c"]
    assert tree.leaves_under("2-x") == ["2-x"]


def test_missing_and_possible_ancestors() -> None:
    tree = RevTree()
    chain(tree, "1-a", "2-b")
    missing = tree.missing(["1-a", "2-b", "3-q", "1-zz"])
    assert missing == ["3-q", "1-zz"]
    assert tree.possible_ancestors(["3-q"]) == ["2-b"]


def test_json_roundtrip() -> None:
    tree = RevTree()
    chain(tree, "1-a", "2-b", deleted_last=True)
    tree.merge_path(["2-c", "1-a"], deleted=False)
    again = RevTree.from_json(tree.to_json())
    assert again.nodes == tree.nodes


def test_revisions_to_path() -> None:
    assert revisions_to_path("3-c", {"start": 3, "ids": ["c", "b", "a"]}) == ["3-c", "2-b", "1-a"]
    assert revisions_to_path("3-c", None) == ["3-c"]
    for bad in ({"start": 2, "ids": ["c"]}, {"start": 3, "ids": ["x"]}, {"ids": ["c"]}, "x"):
        with pytest.raises(BadRequestError):
            revisions_to_path("3-c", bad)


# -- a revision under two parents: couch_key_tree:merge ------------------------
# CouchDB places a path by its oldest revision and matches it downwards key by key
# (merge_tree / merge_at / merge_extend in src/couch/src/couch_key_tree.erl); a revision
# the tree already holds under another parent is held a second time. The node get/2 finds
# first (trees sorted by root generation and id, then depth first) keeps the plain key.
def test_same_revision_under_another_root_is_held_twice() -> None:
    tree = RevTree()
    assert tree.merge_path(["2-x", "1-a"], deleted=False, body=1)
    assert tree.merge_path(["2-x", "1-b"], deleted=False, body=2)  # the tree changed
    leaves = tree.leaves()
    assert [rev_of(k) for k in leaves] == ["2-x", "2-x"] and tree.has_duplicates
    # get/2 finds 2-x in the first tree, the one whose root id sorts first.
    assert tree.revisions("2-x") == {"start": 2, "ids": ["x", "a"]}
    assert tree.nodes["2-x"].body == 1
    assert sorted(tree.revisions(k)["ids"][1] for k in leaves) == ["a", "b"]
    assert tree.conflicts() == ["2-x"]  # the other node of 2-x is a live leaf too
    assert [tree.revisions(k)["ids"] for k in tree.leaves_in_couch_order()] == [
        ["x", "a"],
        ["x", "b"],
    ]
    assert tree.missing(["2-x", "1-a", "1-b", "2-x\x001"]) == ["2-x\x001"]
    # Written the other way round, the plain key still goes to the tree rooted at 1-a.
    other = RevTree()
    other.merge_path(["2-x", "1-b"], deleted=False, body=2)
    other.merge_path(["2-x", "1-a"], deleted=False, body=1)
    assert other.revisions("2-x")["ids"] == ["x", "a"] and other.nodes["2-x"].body == 1
    # The same path again changes nothing.
    assert not tree.merge_path(["2-x", "1-b"], deleted=False, body=3)
    again = RevTree.from_json(tree.to_json())
    assert again.nodes == tree.nodes


def test_a_path_through_a_known_revision_under_another_parent_does_not_join_it() -> None:
    tree = RevTree()
    tree.merge_path(["2-x", "1-a"], deleted=False)
    assert tree.merge_path(["3-y", "2-x", "1-b"], deleted=False)
    # 2-x under 1-a stays a leaf; 3-y keeps the ancestry it was sent with.
    assert sorted(rev_of(k) for k in tree.leaves()) == ["2-x", "3-y"]
    assert tree.revisions("3-y")["ids"] == ["y", "x", "b"]
    assert tree.revisions("2-x")["ids"] == ["x", "a"]


def test_a_path_is_placed_by_its_oldest_revision() -> None:
    tree = RevTree()
    chain(tree, "1-a", "2-b", "3-c")
    # Starts at 2-b (a stemmed path): merge_at seeks 2-b in the tree and extends it.
    assert tree.merge_path(["3-d", "2-b"], deleted=False)
    assert sorted(tree.leaves()) == ["3-c", "3-d"] and not tree.has_duplicates
    assert tree.history("3-d") == ["3-d", "2-b", "1-a"]
    # Starts at 1-z, unknown: a tree of its own, even though 2-b is known.
    assert tree.merge_path(["3-e", "2-b", "1-z"], deleted=False)
    assert tree.revisions("3-e")["ids"] == ["e", "b", "z"]
    assert tree.revisions("2-b")["ids"] == ["b", "a"]
    assert sorted(rev_of(k) for k in tree.leaves()) == ["3-c", "3-d", "3-e"]


def test_an_edit_of_a_revision_held_twice_extends_the_leaf() -> None:
    tree = RevTree()
    tree.merge_path(["2-x", "1-b"], deleted=False)
    tree.merge_path(["3-y", "2-x", "1-a"], deleted=False)  # 2-x here is interior
    leaf = tree.leaf_key("2-x")
    assert leaf is not None and tree.revisions(leaf)["ids"] == ["x", "b"]
    tree.add_child(leaf, "3-z", deleted=False)
    assert tree.revisions("3-z")["ids"] == ["z", "x", "b"]
    assert tree.leaf_key("2-x") is None


def test_stemming_a_tree_with_a_revision_held_twice_rebuilds_it() -> None:
    tree = RevTree()
    tree.merge_path(["3-c", "2-x", "1-a"], deleted=False, body=1)
    tree.merge_path(["3-d", "2-x", "1-b"], deleted=False, body=2)
    assert tree.stem(5) == {} and tree.has_duplicates  # repair_tree: the same forest
    cut = tree.stem(2)
    # Both paths cut to [3-*, 2-x] start at 2-x: repair_tree merges them into one tree.
    assert {rev_of(k) for k in cut} == {"1-a", "1-b", "2-x"} and not tree.has_duplicates
    assert sorted(tree.leaves()) == ["3-c", "3-d"]
    assert tree.history("3-d") == ["3-d", "2-x"] and tree.history("3-c") == ["3-c", "2-x"]


# -- the port against a word-for-word copy of couch_key_tree:merge --------------
# Nested like CouchDB's: a forest is a list of (depth, node), a node (key, value,
# children) with key the rev id without its generation, value MISSING or a body handle.
MISSING = 0


def _value_pref(v1: int, v2: int) -> int:
    return v2 if v1 == MISSING else v1


def _merge_at(nodes: list[Any], pos: int, inodes: list[Any]) -> tuple[list[Any], str] | None:
    if not inodes or not nodes:
        return None
    ik, iv, isub = inodes[0]
    if pos > 0:
        if not isub:
            return None
        found = _merge_at(nodes, pos - 1, isub)
        return None if found is None else ([(ik, iv, found[0])], found[1])
    k, v, sub = nodes[0]
    if pos < 0:
        found = _merge_at(sub, pos + 1, inodes)
        if found is not None:
            return [(k, v, found[0]), *nodes[1:]], found[1]
        found = _merge_at(nodes[1:], pos, inodes)
        return None if found is None else ([(k, v, sub), *found[0]], found[1])
    if k == ik:
        merged, result = _merge_extend(sub, isub)
        return [(k, _value_pref(v, iv), merged), *nodes[1:]], result
    if k > ik:
        return None
    found = _merge_at(nodes[1:], 0, inodes)
    return None if found is None else ([nodes[0], *found[0]], found[1])


def _merge_extend(a: list[Any], b: list[Any]) -> tuple[list[Any], str]:
    if not a and b:
        return b, "new_leaf"
    if not b:
        return a, "internal_node"
    (k1, v1, sub_a), (k2, v2, sub_b) = a[0], b[0]
    if k1 == k2:
        merged, result = _merge_extend(sub_a, sub_b)
        return [(k1, _value_pref(v1, v2), merged), *a[1:]], result
    if k1 > k2:
        return [b[0], *a], "new_branch"
    merged, result = _merge_extend(a[1:], b)
    return [a[0], *merged], result if len(merged) == len(a[1:]) else "new_branch"


def _couch_merge(forest: list[Any], tree: tuple[int, Any]) -> list[Any]:
    idepth, inode = tree
    acc: list[Any] = []
    for i, (depth, node) in enumerate(forest):
        found = _merge_at([node], depth - idepth, [inode])
        if found is not None:
            merged = [*forest[i + 1 :], (min(depth, idepth), found[0][0]), *acc]
            break
        acc.insert(0, (depth, node))
    else:
        merged = [tree, *acc]
    return sorted(merged, key=lambda t: (t[0], t[1][0]))


def _couch_leaf_paths(forest: list[Any]) -> list[tuple[tuple[str, int], ...]]:
    out = []

    def walk(pos: int, node: Any, above: tuple[tuple[str, int], ...]) -> None:
        key, value, children = node
        here = ((f"{pos}-{key}", value), *above)
        if not children:
            out.append(here)
        for child in children:
            walk(pos + 1, child, here)

    for pos, node in forest:
        walk(pos, node, ())
    return sorted(out)


def _couch_get(forest: list[Any], rev: str) -> list[str] | None:
    """get_full_key_paths for one key: the first node met, trees in order, depth first."""

    def walk(pos: int, node: Any, above: list[str]) -> list[str] | None:
        key, _, children = node
        here = [f"{pos}-{key}", *above]
        if here[0] == rev:
            return here
        for child in children:
            found = walk(pos + 1, child, here)
            if found is not None:
                return found
        return None

    for pos, node in forest:
        found = walk(pos, node, [])
        if found is not None:
            return found
    return None


PATHS = st.lists(
    st.tuples(st.integers(1, 3), st.lists(st.sampled_from("abc"), min_size=1, max_size=4)),
    min_size=1,
    max_size=7,
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(paths=PATHS)
def test_merge_path_is_couch_key_tree_merge(paths: list[tuple[int, list[str]]]) -> None:
    tree = RevTree()
    forest: list[Any] = []
    for n, (start, rids) in enumerate(paths, start=1):
        revs = [f"{start + i}-{rid}" for i, rid in enumerate(rids)]  # oldest first
        node: Any = (rids[-1], n, [])
        for rid in reversed(rids[:-1]):
            node = (rid, MISSING, [node])
        before = forest
        forest = _couch_merge(forest, (start, node))
        changed = tree.merge_path(revs[::-1], deleted=False, body=n)
        assert changed == (forest != before), revs
        flat = sorted(
            tuple((rev_of(k), tree.nodes[k].body) for k in tree.history(leaf))
            for leaf in tree.leaves()
        )
        assert flat == _couch_leaf_paths(forest), revs
        for rev in {rev_of(k) for k in tree.nodes}:
            assert [rev_of(k) for k in tree.history(rev)] == _couch_get(forest, rev), rev
