"""Revision-tree rules (sync.revtree), checked against CouchDB's documented behaviour."""

from __future__ import annotations

import pytest

from sync.errors import BadRequestError
from sync.revtree import RevTree, parse_rev, revisions_to_path


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
    assert not tree.merge_path(["2-b", "1-a"], deleted=False)
    assert not tree.merge_path(["2-y"], deleted=False)  # known interior rev: no change


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
