"""``village-app replicate SOURCE TARGET``: CouchDB replication between stores."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("replicate", help="replicate SOURCE to TARGET (.sqlite paths or CouchDB URLs)")
    p.add_argument("source")
    p.add_argument("target")
    p.set_defaults(handler=lambda a: 2)
