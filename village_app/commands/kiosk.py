"""``village-app kiosk pull --data D --from URL``: fill a kiosk's store from its village's
public database on the county server (once; ``--continuous`` to keep following it, which
``serve --mode kiosk`` does by itself). The address is kept in the data folder (0600) for the
next pull and for ``serve``."""

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
