# convgrad: `make book` builds the book, `make test` runs every check.
# Both work on a fresh machine: they create .venv and fetch what they need.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: book test lint serve lab bench assets chromium clean

# --- set-up ---------------------------------------------------------------
$(VENV)/.book-deps: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.test-deps: $(VENV)/.book-deps requirements-test.txt
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

# MathJax, require.js, the widget HTML manager and anywidget's front end,
# pinned in package.json, fetched from npm and served by the site itself.
assets: assets/vendor/.stamp
assets/vendor/.stamp: package.json package-lock.json scripts/vendor_assets.py
	npm ci --no-audit --no-fund --loglevel=error
	$(PYTHON) scripts/vendor_assets.py
	touch $@

# Debian's chromium for the browser tests (no browser downloads).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# --- the two commands -----------------------------------------------------
book: $(VENV)/.book-deps assets
	$(BIN)/jupyter-book build . -W -n --keep-going

test: $(VENV)/.test-deps chromium book lint
	$(BIN)/python -m pytest

# --- the rest -------------------------------------------------------------
lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

serve: book
	@echo "Serving the book at http://127.0.0.1:$(PORT)/"
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

lab: $(VENV)/.book-deps
	$(BIN)/jupyter lab notebooks/

bench: $(VENV)/.test-deps
	$(BIN)/python -m convgrad.bench

clean:
	rm -rf _build node_modules assets/vendor
