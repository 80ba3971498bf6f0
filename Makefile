# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data
HOST   ?= 127.0.0.1
PORT   ?= 8000
PEER   := .peer/node_modules/pouchdb-server/bin/pouchdb-server
PYTEST_ARGS ?=
# The suite runs in two pytest-xdist workers, each file's tests in one of them (its module
# fixtures, a server or a county, made once) and each worker on a pouchdb-server of its own
# (tests/conftest.py). On a server of yours (COUCHDB_URL set), which the workers would
# share, or with PYTEST_WORKERS=0, it all runs in one process.
PYTEST_WORKERS ?= $(if $(COUCHDB_URL),0,2)

.PHONY: run county-demo test install peer chromium caddy bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/village-app demo --data $(DATA) --if-empty
	$(BIN)/village-app serve --data $(DATA) --host $(HOST) --port $(PORT)

# A throwaway county to look at: the test peer (in memory) as the county CouchDB, the
# registry's 41 villages with records, county mode on port 8001 (stops with Ctrl-C).
COUNTY_PORT ?= 8001
county-demo: $(VENV)/.installed-test $(PEER)
	$(BIN)/python tests/couchpeer.py -- sh -c '\
	  $(BIN)/village-app county demo --couch "$$COUCHDB_URL" --registry fixtures/county.toml && \
	  exec $(BIN)/village-app serve --mode county --couch "$$COUCHDB_URL" \
	    --registry fixtures/county.toml --data $(DATA)/county --port $(COUNTY_PORT)'

$(PEER):
	npm install --prefix .peer --ignore-scripts --no-audit --no-fund --loglevel=error pouchdb-server@4.2.0

peer: $(PEER)

# Debian's chromium for the browser tests, and a CJK font: a fresh machine has none,
# and the pages are Chinese. A machine just started is often still installing its own
# updates, so apt waits up to 10 minutes for dpkg's lock (DPkg::Lock::Timeout) instead
# of failing at once. apt 2.6 (Debian 12) does not wait for the package lists' lock
# (another `apt-get update`) or the download cache's: its "Could not get lock" is
# retried every 5 s within the same 10 minutes; any other failure stops at once.
APT_WAIT := 600
APT_GET_FN = apt_get() { end=$$(( $$(date +%s) + $(APT_WAIT) )); said=; \
	    while ! out=$$(LC_ALL=C DEBIAN_FRONTEND=noninteractive \
	        apt-get -o DPkg::Lock::Timeout=$(APT_WAIT) "$$@" 2>&1); do \
	      case $$out in *"Could not get lock"*) if [ $$(date +%s) -lt $$end ]; then \
	        [ -n "$$said" ] || echo "apt-get $$1: another apt holds a lock; waiting"; \
	        said=1; sleep 5; continue; fi;; \
	      esac; \
	      printf '%s\n' "$$out" >&2; return 1; \
	    done; }
chromium:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; } || { \
	  echo "installing Debian's chromium and a Chinese font for the browser tests"; \
	  $(APT_GET_FN); \
	  apt_get update -qq && apt_get install -y -qq chromium fonts-wqy-microhei fontconfig; }

# Debian's caddy: the county's reverse proxy (deploy/caddy/), which tests/sync/test_caddy.py
# and bench/replicate.py run in front of the peer. Same apt waiting as for chromium.
caddy:
	@command -v caddy >/dev/null 2>&1 || { \
	  echo "installing Debian's caddy for the reverse-proxy test and benchmark"; \
	  $(APT_GET_FN); \
	  apt_get update -qq && apt_get install -y -qq caddy; }

test: $(VENV)/.installed-test $(PEER) chromium caddy
	$(BIN)/python tests/couchpeer.py -- $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# PouchDB's replicator (Node, memory adapter), the baseline of bench/replicate.py; kept
# apart from the peer's own node_modules so that neither changes the other's versions.
POUCHDB_BENCH := .peer/pouchdb-bench/node_modules/pouchdb-adapter-memory/package.json

$(POUCHDB_BENCH):
	npm install --prefix .peer/pouchdb-bench --no-audit --no-fund --loglevel=error pouchdb@9.0.0 pouchdb-adapter-memory@9.0.0

bench: $(VENV)/.installed-test $(PEER) $(POUCHDB_BENCH) caddy
	$(BIN)/python tests/couchpeer.py -- sh -c '$(BIN)/python bench/store.py && $(BIN)/python bench/replicate.py'
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/flood.py
	$(BIN)/python bench/kiosk_load.py

# mypy --strict over sync, village_app, tests and bench (pyproject's [tool.mypy]); the
# second run is tests/sync/conftest.py, a second module named 'conftest'.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy tests/sync/conftest.py

clean:
	rm -rf $(VENV) .peer test-output .pytest_cache .mypy_cache .ruff_cache
