"""``village-app demo``: load the demo village (idempotent)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="load the demo village from fixtures/ (idempotent)")
    p.add_argument("--data", default="data", help="data folder (the village is DATA/<code>.sqlite)")
    p.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing if the data folder already holds a village",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from village_app.demo import DemoError, load_demo, load_script

    data = Path(args.data)
    script = load_script()
    account = script["secretary"]
    existing = sorted(data.glob("*.sqlite")) if data.is_dir() else []
    if args.if_empty and existing:
        print(f"demo: {data} already holds a village ({existing[0].name}); not loading the demo")
        if existing[0].stem == script["village"]["code"]:
            print(f"demo: log in as {account['username']} / {account['password']}")
        return 0
    try:
        result = asyncio.run(load_demo(data, script=script))
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    except PermissionError as exc:  # a read-only data folder (ReadOnlyStorageError among them)
        detail = getattr(exc, "reason", None) or f"{exc.filename}: {exc.strerror}"
        print(f"demo: the demo cannot be loaded into {data}: {detail}", file=sys.stderr)
        return 2
    village = script["village"]
    what = "loaded" if result.loaded else "already loaded (nothing changed)"
    print(
        f"demo: {village['county']}{village['township']}{village['name']} ({result.village}) {what}: {result.path}"
    )
    print(f"demo: log in as {result.username} / {result.password}")
    return 0
