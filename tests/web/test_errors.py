from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from web.helpers import ClientFactory, one, page_of, soup


def test_health_needs_no_session(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


def test_domain_error_page_in_english(client: TestClient) -> None:
    client.cookies.set("lang", "en")
    response = client.get("/matters/matter:330102001001:NOPE")
    assert response.status_code == 404
    assert page_of(response).message == "No such matter."
    assert one(soup(response), ".error-message h1").get_text() == "Page not found"


def test_htmx_error_goes_to_the_flash_bar(client: TestClient) -> None:
    response = client.get("/matters/matter:330102001001:NOPE", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#flash"
    html = soup(response)
    assert (
        html.find("html") is None
        and html.select_one('.error-message[data-status="404"]') is not None
    )


def test_wrong_method_is_a_chinese_405(client: TestClient) -> None:
    response = client.get("/logout")
    assert response.status_code == 405
    assert page_of(response).title == "请求有误"


def test_malformed_form_body_is_a_chinese_400(client: TestClient) -> None:
    from web.helpers import csrf_of

    token = csrf_of(client, "/")
    response = client.post(
        "/matters",
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\nno name and no end",
        headers={"X-CSRF-Token": token, "content-type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 400
    assert page_of(response).title == "请求有误"


def test_the_script_brings_no_words_of_its_own(client: TestClient) -> None:
    """static/app.js says a server error in the page's words (data-server-error), never its own."""
    script = (Path(__file__).resolve().parents[2] / "static" / "app.js").read_text(encoding="utf-8")
    assert not re.search(r"[\u3000-\u9fff\uff00-\uffef]", script)
    assert "dataset.serverError" in script
    for lang, words in (
        ("zh_CN", "系统出错（%(status)s）"),
        ("en", "Something went wrong (%(status)s)"),
    ):
        client.cookies.set("lang", lang)
        flash = soup(client.get("/")).select_one("#flash")
        assert flash is not None and str(flash["data-server-error"]).startswith(words)
