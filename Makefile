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
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(PYTHON) scripts/vendor_assets.py
	touch $@

# Debian's chromium for the browser tests (no browser downloads).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# --- the two commands -----------------------------------------------------
book: $(VENV)/.book-deps assets _build/.code-stamp
	$(BIN)/jupyter-book build . -W -n --keep-going

# The execution cache is keyed on each notebook's text only, and Sphinx skips pages
# (and static files) it thinks are current. When convgrad or the page scripts change,
# drop both so every page is executed and written again with the new code.
BOOK_CODE := $(shell find src assets -type f \( -name '*.py' -o -name '*.js' -o -name '*.css' -o -name '*.svg' \) -not -path 'assets/vendor/*' 2>/dev/null)
_build/.code-stamp: $(BOOK_CODE) assets/vendor/.stamp
	rm -rf _build/.jupyter_cache _build/.doctrees _build/html
	mkdir -p _build && touch $@

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
