"""``village-app user add``: create a secretary account (or set a new password)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("user", help="manage accounts (user add)")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", help="create an account, or set a new password for an existing one"
    )
    add.add_argument("username")
    add.add_argument("--data", default="data", help="data folder (one .sqlite file per village)")
    add.add_argument(
        "--village", default=None, help="village file stem when the data folder holds several"
    )
    add.add_argument("--role", default="secretary", choices=["secretary", "reviewer", "viewer"])
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(handler=run_add)


def read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        print("error: the two passwords differ", file=sys.stderr)
        return None
    return first


def run_add(args: argparse.Namespace) -> int:
    from village_app.web.settings import DataDirError, Settings

    try:
        path = Settings(data_dir=Path(args.data), village=args.village).village_db_path()
    except DataDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if path is None or not path.exists():
        print(
            f"error: no village in {args.data}: run `village-app demo --data {args.data}` first",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(_add(path, args.username, args.role, args.password_stdin))


async def _add(path: Path, username: str, role: str, password_stdin: bool) -> int:
    import sync
    from village_app import accounts

    # Opened before the password is asked for: a file that cannot be written is said at
    # once, not after the password was typed twice.
    try:
        db = await sync.open_database(str(path), create=False)
    except sync.ReadOnlyStorageError as exc:
        print(f"error: the account cannot be saved: {exc.reason}", file=sys.stderr)
        return 2
    try:
        password = read_password(password_stdin)
        if password is None:
            return 1
        existed = await accounts.user_exists(db, username)
        await accounts.add_user(db, username, password, village=path.stem, role=role)
    except accounts.AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except sync.ReadOnlyStorageError as exc:
        print(f"error: the account cannot be saved: {exc.reason}", file=sys.stderr)
        return 2
    finally:
        await db.close()
    print(f"{'updated password of' if existed else 'created'} {role} {username!r} in {path}")
    return 0
