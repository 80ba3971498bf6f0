"""pytest plugin: a cheap scrypt cost for every account the test suite makes.

``village_app.accounts`` hashes new passwords with scrypt at n=2**14 (tens of ms per
hash and per login); the suite makes hundreds of accounts and logins, and the cost
proves nothing there. This sets ``CUNYI_SCRYPT_N=16`` in the environment before any
conftest or test module imports the app, so the pytest process and every process a
test starts (``village-app user add``, ``village-app serve``) hash cheaply. A value
already in the environment wins: ``CUNYI_SCRYPT_N=16384 make test`` runs the suite at
the app's own cost.

Registered with ``-p plugins.cheap_kdf`` in pyproject's pytest ``addopts`` (``tests/``
is on ``pythonpath``, which pytest applies before it loads ``-p`` plugins).
"""

from __future__ import annotations

import os

import pytest

ENV = "CUNYI_SCRYPT_N"  # village_app.accounts.SCRYPT_N_ENV, not imported: that would read it
CHEAP_N = "16"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    if ENV in os.environ:
        return
    os.environ[ENV] = CHEAP_N

    def restore() -> None:
        os.environ.pop(ENV, None)

    early_config.add_cleanup(restore)
