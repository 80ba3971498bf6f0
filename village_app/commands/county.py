"""``village-app county``: set up and keep the county's CouchDB.

* ``county init --couch URL --registry FILE``: a database per village with its security and
  write rules, and its public database with the job that fills it (idempotent: run it again
  after every registry change);
* ``county user add --couch URL --registry FILE NAME``: the CouchDB account of someone the
  registry lists as staff, with the roles the registry gives them;
* ``county index --couch URL --index DIR``: keep the county index the county pages read
  (``serve --mode county`` does it itself unless told not to)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("county", help="set up the county CouchDB (init, user add, index)")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument(
            "--couch",
            required=True,
            help="the county CouchDB with an administrator's credentials, "
            "e.g. http://admin:PASSWORD@127.0.0.1:5984 (or COUCHDB_USER/COUCHDB_PASSWORD)",
        )
        q.add_argument("--registry", required=True, type=Path, help="county registry (TOML)")

    init = actions.add_parser("init", help="create or update every village database")
    common(init)
    init.add_argument(
        "--publisher",
        default="cunyi_publisher",
        help="the account CouchDB fills the villages' public databases as (made if missing)",
    )
    init.add_argument(
        "--replicate-via",
        default=None,
        metavar="URL",
        help="the server's address as CouchDB reaches itself, for the publishing jobs "
        "(default: --couch without its credentials)",
    )
    init.set_defaults(handler=run_init)

    user = actions.add_parser("user", help="county accounts (user add)")
    user_actions = user.add_subparsers(dest="user_action", metavar="ACTION", required=True)
    add = user_actions.add_parser(
        "add", help="create the CouchDB account of a registry staff member, or update it"
    )
    common(add)
    add.add_argument("name", help="the staff member's account name, as in the registry")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.add_argument(
        "--keep-password",
        action="store_true",
        help="an existing account keeps its password; only its roles are updated",
    )
    add.set_defaults(handler=run_user_add)

    demo = actions.add_parser(
        "demo", help="a county to look at: init, staff accounts, and villages with records"
    )
    common(demo)
    demo.add_argument(
        "--password", default="demo-password", help="every staff account's password (demo)"
    )
    demo.add_argument("--matters", type=int, default=12, help="matters per generated village")
    demo.set_defaults(handler=run_demo)

    revoke = actions.add_parser(
        "revoke-key",
        help="revoke a lost laptop's key: publications it signs from now on are not verified",
    )
    revoke.add_argument("--keys", type=Path, default=Path("county-keys"), help="the key folder")
    revoke.add_argument("fingerprint", help="the laptop key's fingerprint (spaces allowed)")
    revoke.add_argument(
        "--from", dest="since", default=None, help="from when (UTC, ISO 8601; default: now)"
    )
    revoke.set_defaults(handler=run_revoke)

    index = actions.add_parser(
        "index", help="keep the county index (what the county pages read) up to date"
    )
    index.add_argument("--couch", required=True, help="the county CouchDB (administrator)")
    index.add_argument(
        "--index", required=True, type=Path, help="the county index folder (serve's --index)"
    )
    index.add_argument("--once", action="store_true", help="catch up once and stop")
    index.set_defaults(handler=run_index)


def _registry(path: Path) -> Any:
    from village_app.county.registry import RegistryError, load

    try:
        return load(path)
    except RegistryError as exc:
        print("error: the registry cannot be used:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {path}: {problem}", file=sys.stderr)
        return None


def run_init(args: argparse.Namespace) -> int:
    registry = _registry(args.registry)
    if registry is None:
        return 2
    return asyncio.run(_init(args.couch, registry, args.publisher, args.replicate_via))


async def _init(url: str, registry: Any, publisher: str, via: str | None) -> int:
    from sync.couch_server import CouchServer
    from sync.errors import CouchError
    from village_app.county.provision import init_county

    try:
        async with CouchServer(url) as server:
            report = await init_county(server, registry, publisher=publisher, replicate_via=via)
    except CouchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{registry.name}: {len(registry.villages)} villages; {report.summary()}")
    return 0


def run_user_add(args: argparse.Namespace) -> int:
    registry = _registry(args.registry)
    if registry is None:
        return 2
    staff = registry.staff_member(args.name)
    if staff is None:
        print(
            f"error: {args.name!r} is not in the registry's staff: add them to {args.registry} "
            "first (name, role, and their village or townships)",
            file=sys.stderr,
        )
        return 2
    from village_app.commands.user import read_password

    password = None if args.keep_password else read_password(args.password_stdin)
    if password == "":
        print("error: an empty password", file=sys.stderr)
        return 2
    if password is None and not args.keep_password:
        return 1
    return asyncio.run(
        _user_add(args.couch, staff.name, password, staff.couch_roles(registry.code))
    )


async def _user_add(url: str, name: str, password: str | None, roles: list[str]) -> int:
    from sync.couch_server import CouchServer
    from sync.errors import CouchError

    try:
        async with CouchServer(url) as server:
            existed = await server.put_user(name, password, roles)
    except CouchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{'updated' if existed else 'created'} {name!r} with roles {', '.join(roles) or '-'}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from village_app.county.keyring import known_keys, revoke

    fingerprint = args.fingerprint.replace(" ", "").lower()
    if fingerprint not in known_keys(args.keys):
        print(f"error: no laptop key {fingerprint} registered in {args.keys}", file=sys.stderr)
        return 2
    when = revoke(args.keys, fingerprint, args.since)
    print(f"revoked {fingerprint} from {when}: its later signatures are not verified")
    return 0


def run_index(args: argparse.Namespace) -> int:
    from village_app.county.index_command import run

    return asyncio.run(run(args.couch, args.index, once=args.once))


def run_demo(args: argparse.Namespace) -> int:
    registry = _registry(args.registry)
    if registry is None:
        return 2
    return asyncio.run(_demo(args.couch, registry, args.password, args.matters))


async def _demo(url: str, registry: Any, password: str, matters: int) -> int:
    from sync.errors import CouchError
    from village_app.county.demo import load_county_demo

    try:
        demo = await load_county_demo(url, registry, password=password, matters=matters)
    except CouchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{registry.name}: {demo.villages_filled} villages with records, "
        f"{demo.villages_empty} never synced; staff accounts (password {password!r}): "
        + ", ".join(demo.accounts)
    )
    return 0
