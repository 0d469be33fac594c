# tradeledger — `make run` and `make test` bootstrap what is missing, then run.
# Bootstrapping is idempotent: stamps under .stamps/ skip work already done.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMPS := .stamps

.PHONY: run test bootstrap contracts lint bench slither clean

run: bootstrap
	$(BIN)/tradeledger up

test: bootstrap $(STAMPS)/kubo-peer $(STAMPS)/chromium $(STAMPS)/slither
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bootstrap: $(STAMPS)/python $(STAMPS)/node contracts

$(STAMPS)/python: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tradeledger needs Python 3.11+; set PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/node: package.json package-lock.json
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { echo "tradeledger needs Node.js 20+"; exit 1; }
	npm ci --no-audit --no-fund
	@mkdir -p $(STAMPS) && touch $@

# js-ipfs, the /api/v0 peer the kubo backend is tested against (tests only; `npm ci` refuses its
# tree, which names an optional GitHub tarball, so it is installed from its lock with npm install)
$(STAMPS)/kubo-peer: tests/kubo_peer/package.json tests/kubo_peer/package-lock.json
	cd tests/kubo_peer && npm install --no-save --no-audit --no-fund --omit=optional
	@mkdir -p $(STAMPS) && touch $@

# Debian's chromium for the browser tests: Playwright drives /usr/bin/chromium, never a browser download.
# Made again when chromium was removed after the stamp.
CHROMIUM := /usr/bin/chromium
$(STAMPS)/chromium: $(if $(wildcard $(CHROMIUM)),,chromium-missing)
	@test -x $(CHROMIUM) || { \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  echo "installing Debian's chromium for the browser tests (apt-get)"; \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	  test -x $(CHROMIUM) || { \
	    echo "the browser tests need Debian's chromium at $(CHROMIUM); install it with:"; \
	    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium"; \
	    exit 1; }; }
	@mkdir -p $(STAMPS) && touch $@

.PHONY: chromium-missing
chromium-missing:

# slither in its own virtual environment: it needs web3 < 8, the project needs web3 8 (tools/slither/)
SLITHER_VENV := .venv-slither
$(STAMPS)/slither: tools/slither/requirements.txt
	@test -x $(SLITHER_VENV)/bin/python || $(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SLITHER_VENV)/bin/python -m pip install --quiet -r tools/slither/requirements.txt
	@mkdir -p $(STAMPS) && touch $@

# slither over contracts/ through the solc-js shim; fails on an untriaged High or Medium finding
slither: bootstrap $(STAMPS)/slither
	$(BIN)/python -m pytest -q tests/contracts/test_slither.py

contracts: $(STAMPS)/python $(STAMPS)/node
	$(BIN)/python -m chain.compiler

lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check chain api tradeledger tests bench
	$(BIN)/mypy

# every benchmark on the embedded default, one report in bench/results/ (BENCH_SCALE=0.1 for a quick run)
bench: bootstrap
	$(BIN)/python -m bench --scale $(or $(BENCH_SCALE),1)

clean:
	rm -rf $(STAMPS) build .venv-slither .pytest_cache .mypy_cache .ruff_cache
