"""``village-app user``: manage secretary accounts."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("user", help="manage accounts (user add)")
    p.set_defaults(handler=lambda a: p.print_help() or 2)
