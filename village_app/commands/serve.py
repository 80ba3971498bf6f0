"""``village-app serve``: run the web app."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="serve the web app (field mode by default)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data", default="data", help="data folder (one .sqlite file per village)")
    p.add_argument("--village", default=None, help="village file stem when the data folder holds several")
    p.add_argument("--mode", choices=["field"], default="field")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from village_app.web import Settings, create_app
    from village_app.web.settings import DataDirError

    settings = Settings(data_dir=Path(args.data), mode=args.mode, village=args.village)
    try:
        village_file = settings.village_db_path()
    except DataDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings)
    print(f"村议 Cunyi ({args.mode} mode): http://{args.host}:{args.port}/")
    if village_file is None or not village_file.exists():
        print(f"No village in {args.data} yet: run `village-app demo --data {args.data}` first.")
    else:
        print(f"Serving {village_file}. Log in with an account made by the demo loader")
        print(f"(demo / demo-password) or by `village-app user add --data {args.data} NAME`.")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0
