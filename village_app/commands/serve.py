"""``village-app serve``: run the web app."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path
from typing import Any, Final


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="serve the web app (field mode by default)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data", default="data", help="data folder (one .sqlite file per village)")
    p.add_argument(
        "--village", default=None, help="village file stem when the data folder holds several"
    )
    p.add_argument("--mode", choices=["field"], default="field")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from village_app.web import Settings, create_app
    from village_app.web.settings import DataDirError

    settings = Settings(
        data_dir=Path(args.data), village=args.village, allowed_hosts=allowed_hosts(args.host)
    )
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
