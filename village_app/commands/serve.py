"""``village-app serve``: run the web app."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import sys
from pathlib import Path
from typing import Any, Final

import sync


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="serve the web app (field mode by default)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data", default="data", help="data folder (one .sqlite file per village)")
    p.add_argument(
        "--village", default=None, help="village file stem when the data folder holds several"
    )
    p.add_argument(
        "--mode",
        choices=["field", "county", "kiosk"],
        default="field",
        help="field: a village's laptop (default); county: the county's staff, over its "
        "CouchDB; kiosk: the village hall's read-only screen",
    )
    county = p.add_argument_group("county mode")
    county.add_argument(
        "--couch",
        default=None,
        help="the county CouchDB with an administrator's credentials "
        "(or COUCHDB_USER/COUCHDB_PASSWORD), e.g. http://admin:PASSWORD@127.0.0.1:5984",
    )
    county.add_argument("--registry", type=Path, default=None, help="the county registry (TOML)")
    county.add_argument(
        "--index",
        type=Path,
        default=None,
        help="the county index folder (default: DATA/county-index)",
    )
    county.add_argument(
        "--db-prefix",
        default="",
        help=argparse.SUPPRESS,  # village databases named <prefix>village_<code>: for tests
    )
    county.add_argument(
        "--keys",
        type=Path,
        default=None,
        help="the county's key folder (`village-app bundle county-keys`): the laptop keys the "
        "verify page checks publications against",
    )
    county.add_argument(
        "--bundle-keys",
        type=Path,
        default=None,
        help="the USB bundles' key folder (default: DATA/county-keys)",
    )
    county.add_argument(
        "--no-indexer",
        action="store_true",
        help="do not index from inside the app (run `village-app county index` beside it)",
    )
    kiosk = p.add_argument_group("kiosk mode")
    kiosk.add_argument(
        "--from",
        dest="source",
        default=None,
        metavar="URL",
        help="the village's public database with the kiosk account's credentials "
        "(kept in the data folder; default: the address of the last `village-app kiosk pull`)",
    )
    kiosk.add_argument(
        "--verify-url",
        default=None,
        metavar="URL",
        help="the county's web address: each signed publication shows a QR code to its "
        "verify page there (on the kiosk, and on the laptop's printed notices)",
    )
    kiosk.add_argument(
        "--no-pull",
        action="store_true",
        help="show what the kiosk holds without following the county",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from village_app.web import Settings, create_app
    from village_app.web.settings import DataDirError

    if args.mode == "county":
        return run_county(args)
    if args.mode == "kiosk":
        return run_kiosk(args)
    settings = Settings(
        data_dir=Path(args.data),
        village=args.village,
        allowed_hosts=allowed_hosts(args.host),
        verify_url=args.verify_url,
    )
    try:
        village_file = settings.village_db_path()
    except DataDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    read_only = None
    if village_file is not None and village_file.exists():
        try:
            read_only = asyncio.run(read_only_reason(village_file))
        except sync.ReadOnlyStorageError as exc:
            print(f"error: {exc.reason}", file=sys.stderr)
            return 2
    app = create_app(settings)
    print(f"村议 Cunyi ({args.mode} mode): http://{args.host}:{args.port}/")
    if village_file is None or not village_file.exists():
        print(f"No village in {args.data} yet: run `village-app demo --data {args.data}` first.")
    else:
        print(f"Serving {village_file}. Log in with an account made by the demo loader")
        print(f"(demo / demo-password) or by `village-app user add --data {args.data} NAME`.")
    if read_only is not None:
        print(
            f"READ-ONLY: {read_only}.\n"
            "Serving it read-only: every page can be read, printed and exported, nothing can "
            "be saved\n(each page says so). To record again, stop the server and make the "
            "folder and file writable\nfor this user (chown/chmod), or copy the folder to a "
            "writable place and serve the copy.",
            file=sys.stderr,
        )
    uvicorn.Server(server_config(app, args.host, args.port)).run()
    return 0


async def read_only_reason(village_file: Path) -> str | None:
    """Why the village file cannot be written (the app then serves it read-only), or
    ``None``. Raises :class:`sync.ReadOnlyStorageError` when it cannot even be read.

    Read-only rather than refused: the records are evidence the secretary may need to look
    up, print or export when the folder cannot be written (a backup on a write-protected
    stick, a disk the system remounted read-only, files copied in by another account), and a
    refusal would be a line in a terminal she may never see. The app tells her on every
    page instead, before she types anything, and refuses each save saying why."""
    try:
        db = await sync.open_database(str(village_file), create=False)
    except sync.ReadOnlyStorageError as exc:
        # Same open as the app's (web.app._open_village): it must be readable that way.
        readable = await sync.open_database(str(village_file), create=False, read_only=True)
        await readable.close()
        return exc.reason
    await db.close()
    return None


def run_county(args: argparse.Namespace) -> int:
    import uvicorn

    from village_app.county.registry import RegistryError, load
    from village_app.web import Settings, create_app

    if not args.couch or args.registry is None:
        print("error: county mode needs --couch URL and --registry FILE", file=sys.stderr)
        return 2
    try:
        registry = load(args.registry)
    except RegistryError as exc:
        print(f"error: the registry cannot be used: {exc}", file=sys.stderr)
        return 2
    settings = Settings(
        data_dir=Path(args.data),
        allowed_hosts=allowed_hosts(args.host),
        mode="county",
        couch_url=args.couch,
        registry_path=args.registry,
        index_dir=args.index,
        follow_index=not args.no_indexer,
        keys_dir=args.keys,
        db_prefix=args.db_prefix,
        bundle_keys=args.bundle_keys,
    )
    app = create_app(settings)
    print(f"村议 Cunyi (county mode, {registry.name}): http://{args.host}:{args.port}/")
    print("County and township staff log in with their CouchDB accounts")
    print(f"(`village-app county user add --couch URL --registry {args.registry} NAME`).")
    uvicorn.Server(server_config(app, args.host, args.port)).run()
    return 0


def run_kiosk(args: argparse.Namespace) -> int:
    """The kiosk: its pages over the data folder's store, following the county meanwhile."""
    import uvicorn

    from sync.replication.options import public_location
    from village_app.kiosk.pull import KioskFolder
    from village_app.web import Settings, create_app

    folder = KioskFolder(Path(args.data))
    if args.source:
        folder.save_source(args.source)
    source = folder.source()
    settings = Settings(
        data_dir=Path(args.data),
        allowed_hosts=allowed_hosts(args.host),
        mode="kiosk",
        kiosk_follow=not args.no_pull,
        verify_url=args.verify_url,
    )
    app = create_app(settings)
    print(f"村议 Cunyi (kiosk mode): http://{args.host}:{args.port}/")
    if source and not args.no_pull:
        print(f"Following {public_location(source)}.")
    elif not args.no_pull:
        print(
            "No county address yet: run `village-app kiosk pull --data "
            f"{args.data} --from URL` (or serve with --from URL)."
        )
    uvicorn.Server(server_config(app, args.host, args.port)).run()
    return 0


#: Names a browser on the laptop itself uses for a server bound to a loopback address.
LOOPBACK_HOSTS: Final = ("127.0.0.1", "localhost", "::1", "[::1]")


def allowed_hosts(bind_host: str) -> tuple[str, ...]:
    """Bound to loopback (the default): only loopback names. A page on another site can point
    its own name at 127.0.0.1 (DNS rebinding) and then read this server's pages as its own
    origin; its requests carry its name in ``Host``, so they are refused. Bound to a LAN
    address, clients may use any name or address for it: every host is accepted."""
    try:
        loopback = ipaddress.ip_address(bind_host.strip("[]")).is_loopback
    except ValueError:
        loopback = bind_host == "localhost"
    return LOOPBACK_HOSTS if loopback else ("*",)


def server_config(app: Any, host: str, port: int) -> Any:
    """The uvicorn settings ``serve`` runs with.

    ``proxy_headers=False``: uvicorn otherwise believes ``X-Forwarded-For`` from 127.0.0.1,
    which on a field laptop is every client, so any request could name its own address (in
    the log, and to anything that goes by the client's address; the login throttle goes by
    the name alone, since a local process can connect from any 127.x address anyway).
    Nothing sits in front of ``serve``; a proxy that does would be configured on its own side.

    Request bodies have their own limits in the app (size, and a deadline for reading them:
    :mod:`village_app.web.security.limits`), since uvicorn has neither."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, log_level="info", proxy_headers=False)
