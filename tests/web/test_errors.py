from __future__ import annotations

from starlette.testclient import TestClient

from web.helpers import ClientFactory, page_of, soup


def test_health_needs_no_session(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


def test_domain_error_page_in_english(client: TestClient) -> None:
    client.cookies.set("lang", "en")
    response = client.get("/matters/matter:330102001001:NOPE")
    assert response.status_code == 404
    assert page_of(response).message == "no such document: matter:330102001001:NOPE"
    assert soup(response).select_one(".error-message h1").get_text() == "Page not found"


def test_htmx_error_goes_to_the_flash_bar(client: TestClient) -> None:
    response = client.get("/matters/matter:330102001001:NOPE", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#flash"
    html = soup(response)
    assert html.find("html") is None and html.select_one('.error-message[data-status="404"]') is not None


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
