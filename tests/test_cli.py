from __future__ import annotations

import subprocess
import sys

from village_app.cli import COMMAND_MODULES, build_parser


def test_help_lists_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "village_app.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in COMMAND_MODULES:
        assert name in out


def test_unknown_command_exits_with_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "village_app.cli", "no-such-command"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


def test_parser_builds_each_subcommand() -> None:
    parser = build_parser()
    args = parser.parse_args(["serve", "--port", "8123"])
    assert args.port == 8123 and args.mode == "field"
