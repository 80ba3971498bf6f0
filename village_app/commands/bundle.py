"""``village-app bundle``: sync by USB stick, for villages with no network at all.

On the laptop::

    village-app bundle key --data D                  # its public key, to register at the county
    village-app bundle trust --data D county.pub     # the county's public key, once
    village-app bundle export --data D --to FILE     # what the county has not acknowledged
    village-app bundle export --public --data D --to FILE   # for a kiosk with no network
    village-app bundle import-reply --data D FILE    # the county's reviews and acknowledgement

At the county::

    village-app bundle county-keys --keys DIR --county CODE    # once
    village-app bundle register --keys DIR LAPTOP.pub           # each laptop's key
    village-app bundle import --couch URL --keys DIR FILE       # writes FILE's reply beside it

A bundle refused (damaged, cut short, for another village or key, signed by a key not
registered, already imported, from a newer version) is said in one line; nothing is written.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from sync.errors import CouchError, peer_text
from village_app.bundle.container import BundleRefused
from village_app.bundle.keys import BadKey, CountyKeys, keep_county_public_key, laptop_keys
from village_app.commands.replicate import repair_after_pull

EXIT_OK = 0
EXIT_REFUSED = 1  # the bundle was refused (or the import failed): nothing written
EXIT_USAGE = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("bundle", help="sync by USB stick: export, import, keys")
    commands = p.add_subparsers(dest="bundle_command", metavar="STEP", required=True)

    key = commands.add_parser("key", help="print this laptop's public key (made on first use)")
    _data(key)
    key.set_defaults(handler=_run(_key))

    trust = commands.add_parser("trust", help="keep the county's public key (county.pub)")
    _data(trust)
    trust.add_argument("file", type=Path, help="the county's county.pub")
    trust.set_defaults(handler=_run(_trust))

    export = commands.add_parser("export", help="write what the county does not have to FILE")
    _data(export)
    export.add_argument("--to", type=Path, required=True, metavar="FILE", help="the bundle file")
    export.add_argument(
        "--county-key",
        type=Path,
        metavar="FILE",
        help="the county's county.pub (kept for next time)",
    )
    export.add_argument(
        "--public",
        action="store_true",
        help="a public bundle for the village's kiosk (only what the kiosk may show, signed, "
        "not encrypted): village-app kiosk import reads it",
    )
    export.set_defaults(handler=_run(_export))

    reply = commands.add_parser("import-reply", help="import the county's reply into the laptop")
    _data(reply)
    reply.add_argument("file", type=Path, help="the reply bundle")
    reply.set_defaults(handler=_run(_import_reply))

    keys = commands.add_parser("county-keys", help="make the county's keys (once)")
    keys.add_argument("--keys", type=Path, default=Path("county-keys"), help="the key folder")
    keys.add_argument("--county", required=True, metavar="CODE", help="the county's code")
    keys.set_defaults(handler=_run(_county_keys))

    reg = commands.add_parser("register", help="register a laptop's public key for its village")
    reg.add_argument("--keys", type=Path, default=Path("county-keys"), help="the key folder")
    reg.add_argument("file", type=Path, help="the laptop's public key file")
    reg.set_defaults(handler=_run(_register))

    imp = commands.add_parser("import", help="import a village's bundle into the county")
    imp.add_argument("--couch", required=True, help="the county CouchDB, an administrator's URL")
    imp.add_argument("--keys", type=Path, default=Path("county-keys"), help="the key folder")
    imp.add_argument("--reply", type=Path, metavar="FILE", help="where to write the reply")
    imp.add_argument("--village", metavar="CODE", help="refuse a bundle of any other village")
    imp.add_argument("--prefix", default="", help=argparse.SUPPRESS)  # tests' database names
    imp.add_argument("file", type=Path, help="the village's bundle")
    imp.set_defaults(handler=_run(_import))


def _data(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=Path("data"), help="the laptop's data folder")
    p.add_argument("--village", default=None, help="village file stem when the folder has several")


def _run(step: Any) -> Any:
    def handler(args: argparse.Namespace) -> int:
        logging.getLogger("sync.replication").setLevel(logging.ERROR)
        try:
            return int(asyncio.run(step(args)))
        except BundleRefused as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return EXIT_REFUSED
        except BadKey as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except CouchError as exc:
            print(f"failed: {peer_text(exc.reason, 300)}", file=sys.stderr)
            return EXIT_REFUSED
        except OSError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE

    return handler


def _village_file(args: argparse.Namespace) -> Path:
    from village_app.web.settings import Settings

    path = Settings(data_dir=args.data, village=args.village).village_db_path()
    if path is None or not path.exists():
        raise BadKey(f"no village database in {args.data}")
    return path


async def _key(args: argparse.Namespace) -> int:
    village = _village_file(args).stem
    keys = laptop_keys(args.data, village)
    print(keys.public.to_text(), end="")
    print(f"fingerprint: {keys.public.fingerprint_text}", file=sys.stderr)
    return EXIT_OK


async def _trust(args: argparse.Namespace) -> int:
    key = keep_county_public_key(args.data, args.file.read_bytes())
    print(f"kept the key of county {key.code} ({key.fingerprint_text})")
    return EXIT_OK


async def _export(args: argparse.Namespace) -> int:
    import sync
    from village_app.bundle.laptop import export_bundle

    path = _village_file(args)
    if args.public:
        return await _export_public(path, args)
    if args.county_key is not None:
        keep_county_public_key(args.data, args.county_key.read_bytes())
    db = await sync.open_database(str(path), create=False)
    try:
        done = await export_bundle(db, args.data, path.stem, args.to)
    finally:
        await db.close()
    print(
        f"wrote bundle {done.number} to {done.path}: {done.docs} records, "
        f"{done.attachments} attachments, {done.size} bytes"
    )
    return EXIT_OK


async def _export_public(path: Path, args: argparse.Namespace) -> int:
    import sync
    from village_app import repo
    from village_app.bundle.public import export_public

    keys = laptop_keys(args.data, path.stem)
    db = await sync.open_database(str(path), create=False)
    try:
        # The twins as the app keeps them (made, and signed with this laptop's key, at its
        # start-up): a laptop whose app never ran still writes a whole, signed stick.
        caches = repo.VillageCaches(signer=keys)
        await repo.VillageStore(
            db, path.stem, repo.Actor("village-app bundle"), caches
        ).repair_derived()
        done = await export_public(db, args.data, path.stem, args.to)
    finally:
        await db.close()
    fingerprint = keys.public.fingerprint_text
    print(
        f"wrote a public bundle to {done.path}: {done.docs} public records, {done.size} bytes; "
        f"signed by {fingerprint} (the kiosk's first import: --trust with this fingerprint)"
    )
    if done.left_out:
        print(f"left out {done.left_out} records not on the public list", file=sys.stderr)
    return EXIT_OK


async def _import_reply(args: argparse.Namespace) -> int:
    import sync
    from village_app.bundle.laptop import import_reply

    path = _village_file(args)
    db = await sync.open_database(str(path), create=False)
    try:
        done = await import_reply(db, args.data, path.stem, args.file)
    finally:
        await db.close()
    fixed = await repair_after_pull(str(path))
    print(
        f"imported the county's reply to bundle {done.number}: {done.received} records "
        f"received, {len(done.refused)} of the bundle's records refused by the county"
        + (f"; repaired {fixed} derived values" if fixed else "")
    )
    for record in done.refused:
        print(f"refused {record.docid}: {record.code or record.county_reason}", file=sys.stderr)
    return EXIT_OK


async def _county_keys(args: argparse.Namespace) -> int:
    keys = CountyKeys(args.keys).create(args.county)
    print(f"made the county's keys in {args.keys}; give each village {args.keys / 'county.pub'}")
    print(f"fingerprint: {keys.public.fingerprint_text}")
    return EXIT_OK


async def _register(args: argparse.Namespace) -> int:
    key = CountyKeys(args.keys).register(args.file.read_bytes())
    print(f"registered the laptop of village {key.code} ({key.fingerprint_text})")
    return EXIT_OK


async def _import(args: argparse.Namespace) -> int:
    from village_app.bundle.county import import_bundle

    done = await import_bundle(
        args.couch, args.keys, args.file, reply=args.reply, prefix=args.prefix, village=args.village
    )
    print(
        f"imported bundle {done.number} of village {done.village}: {done.written} records written, "
        f"{len(done.refused)} refused; reply ({done.reviews} reviews) written to {done.reply}"
    )
    for docid, reason in done.refused:
        print(f"refused {peer_text(docid, 100)}: {peer_text(reason, 200)}", file=sys.stderr)
    return EXIT_OK
