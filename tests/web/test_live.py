from __future__ import annotations

from starlette.testclient import TestClient

from web.helpers import attr, one, page_of, soup


def _check(client: TestClient, **params: str):  # type: ignore[no-untyped-def]
    return client.get("/meetings/check", params=params, headers={"HX-Request": "true"})


def test_quorum_while_typing_20_of_30_then_21(client: TestClient) -> None:
    twenty = _check(client, body="representatives", expected="30", present="20")
    live = page_of(twenty).live
    assert live.outcome.quorate is False and live.outcome.quorum_needed == 21
    node = one(soup(twenty), '[data-live="outcome"]')
    assert attr(node, "data-quorate") == "no" and "未达法定人数（至少需21人）" in node.get_text()
    twenty_one = page_of(_check(client, body="representatives", expected="30", present="21")).live
    assert twenty_one.outcome.quorate is True and twenty_one.ratio == "70.0%"


def test_vote_result_is_computed_never_typed(client: TestClient) -> None:
    passed = page_of(
        _check(
            client,
            body="representatives",
            expected="30",
            present="25",
            in_favour="13",
            against="12",
        )
    ).live
    assert passed.outcome.passed is True
    failed = page_of(
        _check(
            client,
            body="representatives",
            expected="30",
            present="25",
            in_favour="12",
            against="13",
        )
    ).live
    assert failed.outcome.passed is False and failed.outcome.votes_needed == 13


def test_impossible_counts_are_explained(client: TestClient) -> None:
    response = _check(
        client, body="representatives", expected="30", present="25", in_favour="20", against="6"
    )
    live = page_of(response).live
    assert live.error_field == "in_favour" and "超过实到人数25" in live.error
    more_present = page_of(_check(client, body="party_members", expected="10", present="11")).live
    assert more_present.error_field == "present"


def test_nothing_typed_yet_shows_the_rule(client: TestClient) -> None:
    response = _check(client, body="party_members")
    assert page_of(response).live.outcome is None
    assert "党员大会" in one(soup(response), ".rule-hint").get_text()
    assert page_of(_check(client, body="nonsense", expected="x")).live.rule is None


def test_english_live_result(client: TestClient) -> None:
    client.cookies.set("lang", "en")
    response = _check(client, body="representatives", expected="30", present="20")
    assert "not quorate" in one(soup(response), '[data-live="outcome"]').get_text()
