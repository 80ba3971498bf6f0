"""``village-app kiosk pull --data D --from URL``: fill a kiosk's store from its village's
public database on the county server (once; ``--continuous`` to keep following it, which
``serve --mode kiosk`` does by itself). The address is kept in the data folder (0600) for the
next pull and for ``serve``.

``village-app kiosk import --data D FILE [--trust FINGERPRINT]``: a kiosk with no network
takes the laptop's public bundle (导出到查询机) from a USB stick; the first one, and the first
of a new laptop, with the laptop key's fingerprint from its 同步 page (see
:mod:`village_app.kiosk.stick`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("kiosk", help="the village hall's kiosk: pull its public records")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    pull = actions.add_parser("pull", help="pull the village's public database into the kiosk")
    pull.add_argument("--data", default="kiosk", help="the kiosk's data folder")
    pull.add_argument(
        "--from",
        dest="source",
        default=None,
        metavar="URL",
        help="the public database with the kiosk account's credentials, e.g. "
        "https://kiosk-xinglin:PASSWORD@county.example/village_990101001001_public "
        "(default: the address of the last pull)",
    )
    pull.add_argument("--village", default=None, help="the village code (default: from the URL)")
    pull.add_argument(
        "--continuous", action="store_true", help="keep following the county until Ctrl-C"
    )
    pull.set_defaults(handler=run_pull)

    stick = actions.add_parser(
        "import", help="import a public bundle (导出到查询机) from a USB stick into the kiosk"
    )
    stick.add_argument("--data", default="kiosk", help="the kiosk's data folder")
    stick.add_argument(
        "--trust",
        default=None,
        metavar="FINGERPRINT",
        help="pin this laptop key (as its 同步 page shows it; spaces allowed): the first "
        "stick of a kiosk, or of the village's new laptop",
    )
    stick.add_argument("file", type=Path, help="the public bundle")
    stick.set_defaults(handler=run_import)

    send = actions.add_parser(
        "push",
        help="send the villagers' ratings kept at the kiosk to its inbox on the county "
        "(serve --mode kiosk does it by itself while it runs)",
    )
    send.add_argument("--data", default="kiosk", help="the kiosk's data folder")
    send.set_defaults(handler=run_push)


def run_pull(args: argparse.Namespace) -> int:
    from sync.errors import CouchError
    from sync.replication.options import public_location
    from village_app.kiosk.pull import KioskFolder, KioskSetupError, pull

    folder = KioskFolder(Path(args.data))
    url = args.source or folder.source()
    if not url:
        print("error: no --from URL, and no earlier pull into this folder", file=sys.stderr)
        return 2
    try:
        result = asyncio.run(pull(folder, url, village=args.village, continuous=args.continuous))
    except KioskSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (CouchError, OSError) as exc:
        print(f"error: {public_location(url)}: {exc}", file=sys.stderr)
        return 1
    if args.source:
        folder.save_source(url)
    print(
        f"pulled {public_location(url)} into {folder.store_path}: {result.written} written"
        + (
            f", {result.refused} refused (not on the public list; kept aside)"
            if result.refused
            else ""
        )
    )
    return 3 if result.refused else 0


def run_import(args: argparse.Namespace) -> int:
    import logging

    from village_app.bundle.container import BundleRefused
    from village_app.kiosk.pull import KioskFolder
    from village_app.kiosk.stick import import_stick

    logging.getLogger("sync.replication").setLevel(logging.ERROR)
    folder = KioskFolder(Path(args.data))
    try:
        done = asyncio.run(import_stick(folder, args.file, trust=args.trust))
    except BundleRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"imported {args.file} (village {done.village}, written {done.created_at}, "
        f"signed by {done.key.fingerprint_text}) into {folder.store_path}: "
        f"{done.written} written"
        + (", the laptop's key pinned" if done.pinned_now else "")
        + (f", {done.refused} refused (not on the public list; kept aside)" if done.refused else "")
    )
    return 3 if done.refused else 0


def run_push(args: argparse.Namespace) -> int:
    """Once: the ratings not yet sent go to the inbox beside the public database the kiosk
    pulls from (the address ``kiosk pull --from`` kept, with the kiosk account)."""
    import sync
    from sync.errors import CouchError
    from sync.replication.options import public_location
    from village_app.kiosk.pull import KioskFolder
    from village_app.kiosk.ratings import NoInbox, inbox_url, push, ratings_path

    folder = KioskFolder(Path(args.data))
    source = folder.source()
    if not source:
        print(
            "error: no county address yet: run `village-app kiosk pull --from URL`", file=sys.stderr
        )
        return 2
    if not ratings_path(folder.data_dir).exists():
        print("no ratings kept at this kiosk yet: nothing to send")
        return 0

    async def run() -> int:
        db = await sync.open_database(str(ratings_path(folder.data_dir)), create=False)
        try:
            return await push(db, source)
        finally:
            await db.close()

    target = inbox_url(source) or source
    try:
        written = asyncio.run(run())
    except NoInbox as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (CouchError, OSError) as exc:
        print(
            f"error: {public_location(target)}: {exc} (the ratings stay at the kiosk)",
            file=sys.stderr,
        )
        return 1
    print(f"sent {written} ratings to {public_location(target)}")
    return 0
