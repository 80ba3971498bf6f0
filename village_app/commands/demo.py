"""``village-app demo``: load the demo village."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="load the demo village from fixtures/ (idempotent)")
    p.add_argument("--data", default="data", help="data folder")
    p.add_argument("--if-empty", action="store_true", help="do nothing if the data folder has a village")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    Path(args.data).mkdir(parents=True, exist_ok=True)
    print("demo: the demo village arrives with the village app (issue 4)")
    return 0
