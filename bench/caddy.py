"""Caddy in front of a CouchDB-protocol server, as the county runs it (``deploy/caddy/``).

:func:`running_caddy` starts Debian's ``caddy`` on a free port of 127.0.0.1 with
``deploy/caddy/couch.caddy`` (TLS from Caddy's internal CA, ``encode zstd gzip``, the
upstream asked for no compression) and a throwaway data folder, waits until it
answers over TLS, and yields its ``https://`` URL and the CA's root certificate,
which a client trusts with ``COUCHDB_CA_FILE``. The benchmark and the tests use it::

    with running_caddy("http://127.0.0.1:5984") as proxy:
        proxy.url, proxy.ca_file
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
COUCH_SITE = ROOT / "deploy" / "caddy" / "couch.caddy"

#: What a test machine needs beside the county's own site: no admin endpoint (several
#: Caddys run at once), no redirect listener on port 80, nothing installed into the
#: system's trust store, and a certificate for a client that sends no SNI (an IP address).
_TEST_OPTIONS = """\
{
	admin off
	auto_https disable_redirects
	skip_install_trust
	default_sni 127.0.0.1
}
"""


class CaddyMissing(RuntimeError):
    """Debian's ``caddy`` is not installed (``apt-get install caddy``)."""


@dataclass(frozen=True)
class Caddy:
    url: str  # https://127.0.0.1:PORT, the upstream's credentials kept
    port: int
    ca_file: str  # the internal CA's root certificate (PEM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def running_caddy(upstream_url: str, *, timeout: float = 30.0) -> Iterator[Caddy]:
    binary = shutil.which("caddy")
    if binary is None:
        raise CaddyMissing("caddy is not installed (apt-get install caddy)")
    upstream = urlsplit(upstream_url)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="cunyi-caddy-") as tmp:
        config = Path(tmp) / "Caddyfile"
        config.write_text(_TEST_OPTIONS + f"\nimport {COUCH_SITE}\n")
        env = {
            **os.environ,
            "HOME": tmp,
            "XDG_DATA_HOME": f"{tmp}/data",
            "XDG_CONFIG_HOME": f"{tmp}/config",
            "CUNYI_COUCH_SITE": f"https://127.0.0.1:{port}",
            "CUNYI_COUCH_TLS": "internal",
            "CUNYI_COUCH_UPSTREAM": f"{upstream.hostname}:{upstream.port or 80}",
        }
        log = (Path(tmp) / "caddy.log").open("wb")
        proc = subprocess.Popen(
            [binary, "run", "--config", str(config), "--adapter", "caddyfile"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        ca_file = Path(tmp) / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        try:
            _wait_ready(proc, port, ca_file, time.monotonic() + timeout, Path(log.name))
            auth = upstream.netloc.rpartition("@")[0]
            netloc = f"{auth}@127.0.0.1:{port}" if auth else f"127.0.0.1:{port}"
            yield Caddy(urlunsplit(("https", netloc, "", "", "")), port, str(ca_file))
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def _wait_ready(
    proc: subprocess.Popen[bytes], port: int, ca_file: Path, deadline: float, log: Path
) -> None:
    """Until a TLS handshake with the CA's root succeeds (the leaf certificate is issued
    a moment after the listener opens)."""
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"caddy exited with {proc.returncode}: {log.read_text()[-2000:]}")
        if ca_file.exists():
            try:
                context = ssl.create_default_context(cafile=str(ca_file))
                with (
                    socket.create_connection(("127.0.0.1", port), timeout=2) as sock,
                    context.wrap_socket(sock, server_hostname="127.0.0.1"),
                ):
                    return
            except (OSError, ssl.SSLError):
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"caddy did not come up: {log.read_text()[-2000:]}")
        time.sleep(0.1)
