"""A need on a USB stick (issue 13, "Privacy"): its person (name, address, phone, the ID
number in its notes) is sealed with the laptop's key before it is written, so the bundle,
even opened with the county's key, holds it only sealed; and the need reaches the county
whole, the sealed part included, so a laptop restored from the county with its key reads
the person again."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from syncing.laptop import VILLAGE

import sync
from bundle.conftest import Stick
from village_app import repo
from village_app.bundle.container import open_bundle
from village_app.bundle.county import import_bundle
from village_app.bundle.keys import CountyKeys
from village_app.bundle.laptop import export_bundle
from village_app.domain.services import PERSON_SEALED, Need, NeedPerson
from village_app.repo.docs import services as sdocs
from village_app.repo.sealing import SealKey

pytestmark = pytest.mark.peer

ID_NUMBER = "430421195203157721"
PERSON = NeedPerson(
    "赵秀兰", "清溪村五组8号", "13807340921", f"身份证号{ID_NUMBER}，独居，患糖尿病"
)
SUMMARY = "需要每月上门量血糖、代购药品"


def _forms(text: str) -> list[bytes]:
    """``text`` as it could sit in a file: UTF-8, and JSON-escaped (``\\uXXXX``)."""
    return [text.encode(), json.dumps(text)[1:-1].encode()]


def _secrets() -> list[bytes]:
    found = [ID_NUMBER.encode(), PERSON.phone.encode()]
    for text in (PERSON.name, PERSON.address, PERSON.notes):
        found += _forms(text)
    return found


async def test_a_needs_person_never_travels_in_clear_and_arrives_whole(
    stick: Stick, tmp_path: Path
) -> None:
    laptop, county = stick.laptop, stick.county
    key = SealKey.load_or_create(laptop.data_dir)
    store = repo.VillageStore(laptop.db, VILLAGE, repo.Actor(stick.account), seal_key=key)
    need = await store.add_need(
        Need(
            group="elderly_alone",
            summary=SUMMARY,
            visited_on=date(2026, 11, 20),
            categories=("elderly", "medical"),
            kind="life_skills",
            visited_by="王党员",
            person=PERSON,
        )
    )
    assert need.person == PERSON
    exported = await export_bundle(laptop.db, laptop.data_dir, VILLAGE, tmp_path / "b1.cunyi")
    assert exported.docs >= 1

    raw = exported.path.read_bytes()
    assert not [s for s in _secrets() if s in raw]
    # Opened as the county opens it: the payload is the village's records in clear but the
    # person, still sealed.
    own = CountyKeys(stick.keys).own()
    registered = CountyKeys(stick.keys).laptop(VILLAGE)
    opened = open_bundle(
        exported.path, own.box, own.public, lambda meta: registered, tmp_path / "opened"
    )
    plain = opened.payload.read_bytes()
    # The search can find what is there: the need itself, its summary (no names) in clear.
    assert need.id.encode() in plain
    assert any(form in plain for form in _forms(SUMMARY))
    assert not [s for s in _secrets() if s in plain]

    imported = await import_bundle(county.url, stick.keys, exported.path, prefix=county.prefix)
    assert not imported.refused and imported.written == exported.docs
    remote = await sync.open_database(f"{county.url}/{county.db(VILLAGE)}", create=False)
    try:
        theirs = await remote.get(need.id)
    finally:
        await remote.close()
    mine = await laptop.db.get(need.id)
    assert theirs["_rev"] == mine["_rev"] and theirs["sealed"] == mine["sealed"]
    assert {k: v for k, v in theirs.items() if not k.startswith("_")} == {
        k: v for k, v in mine.items() if not k.startswith("_")
    }
    # The county reads the need without the person; the laptop's key still opens it.
    at_county = sdocs.need_from_doc(theirs)
    assert at_county.person is None and at_county.person_status == PERSON_SEALED
    assert at_county.summary == SUMMARY and at_county.categories == ("elderly", "medical")
    assert sdocs.need_from_doc(theirs, key).person == PERSON
