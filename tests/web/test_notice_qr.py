"""The printed notice's QR code: the county's verify address with the content hash the
laptop signed (the app signs at start-up), read back from the page's SVG with zxing-cpp, as
a phone would read it off the paper."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import zxingcpp

from village_app.domain.signing import content_hash
from web.helpers import ClientFactory, attr, one, page_of, soup
from web.test_notices import _published

COUNTY_WEB = "https://county.example"


def _modules(svg: str) -> list[list[bool]]:
    """The dark modules of segno's inline SVG (one path: relative moves, horizontal runs)."""
    scale = int(re.search(r"scale\((\d+)\)", svg).group(1))  # type: ignore[union-attr]
    size = int(re.search(r'width="(\d+)"', svg).group(1)) // scale  # type: ignore[union-attr]
    grid = [[False] * size for _ in range(size)]
    path = re.search(r'class="qrline"[^>]* d="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    x = y = 0.0
    for op, args in re.findall(r"([Mmh])([-\d. ]+)", path):
        numbers = [float(n) for n in args.split()]
        if op == "M":
            x, y = numbers
        elif op == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            for i in range(int(numbers[0])):
                grid[int(y)][int(x) + i] = True
            x += numbers[0]
    return grid


def _read(grid: list[list[bool]], scale: int = 4) -> str:
    rows = [
        bytes(0 if dark else 255 for dark in row for _ in range(scale))
        for row in grid
        for _ in range(scale)
    ]
    image = memoryview(b"".join(rows)).cast("B", (len(rows), len(rows[0])))
    [found] = zxingcpp.read_barcodes(image)
    return str(found.text)


def test_a_signed_notice_carries_its_verify_address(make_client: ClientFactory) -> None:
    client = make_client(setup=_published, verify_url=COUNTY_WEB)
    matter = page_of(client.get("/matters")).matters[0]
    link = one(soup(client.get(f"/matters/{matter.id}")), 'a[data-action="notice"]')
    response = client.get(attr(link, "href"))
    page = page_of(response)
    assert page.verify_url.startswith(f"{COUNTY_WEB}/verify?")
    qr = one(soup(response), "#notice-qr")
    assert attr(qr, "data-link") == page.verify_url
    assert _read(_modules(str(qr.find("svg")))) == page.verify_url
    query = parse_qs(urlsplit(page.verify_url).query)
    assert query["m"] == [matter.id]

    async def twin() -> dict[str, object]:
        from village_app.domain.publicity import twin_id
        from village_app.web.state import app_state

        db = app_state(client.app).db  # type: ignore[arg-type]
        assert db is not None
        return dict(await db.get(twin_id(matter.id)))

    doc = client.portal.call(twin)  # type: ignore[union-attr]
    assert query["h"] == [content_hash(doc)] == [doc["signature"]["hash"]]  # type: ignore[index]


def test_no_county_address_no_qr_code(make_client: ClientFactory) -> None:
    client = make_client(setup=_published)
    matter = page_of(client.get("/matters")).matters[0]
    link = one(soup(client.get(f"/matters/{matter.id}")), 'a[data-action="notice"]')
    response = client.get(attr(link, "href"))
    assert page_of(response).verify_url == "" and soup(response).select_one("#notice-qr") is None
