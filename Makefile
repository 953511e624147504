# convgrad: `make book` builds the book, `make test` runs every check, `make site`
# builds the book that gets published (with PyTorch, so every check runs).
# All work on a fresh machine: they create .venv and fetch what they need.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: book site test lint serve lab bench bench-checker assets chromium clean

# --- set-up ---------------------------------------------------------------
# JupyterLab in this venv opens Markdown files (the book's pages, which the chapters link
# to) rendered, in its Markdown Preview, rather than as source in its editor: a settings
# default of this venv's JupyterLab only (a reader's own settings still win).
$(VENV)/.book-deps: requirements.txt pyproject.toml scripts/jupyterlab-overrides.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	install -D -m 644 scripts/jupyterlab-overrides.json \
		"$$($(BIN)/python -c 'import jupyterlab.commands as c; print(c.get_app_dir())')/settings/overrides.d/convgrad.json"
	touch $@

$(VENV)/.test-deps: $(VENV)/.book-deps requirements-test.txt
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

# MathJax, require.js, the widget HTML manager, anywidget's front end and Pyodide,
# pinned in package.json, fetched from npm and served by the site itself.
assets: assets/vendor/.stamp
assets/vendor/.stamp: package.json package-lock.json requirements.txt scripts/vendor_assets.py
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(PYTHON) scripts/vendor_assets.py
	touch $@

# Debian's chromium for the browser tests (no browser downloads).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# --- the two commands -----------------------------------------------------
# The light build never uses PyTorch, even where it is installed (CONVGRAD_TORCH=off):
# its pages are the same on every machine, and its PyTorch rows say "not installed".
book: $(VENV)/.book-deps assets _build/.code-stamp
	CONVGRAD_TORCH=off $(BIN)/jupyter-book build . -W -n --keep-going

# The execution cache is keyed on each notebook's text only, and Sphinx skips pages
# (and static files) it thinks are current. When convgrad or the page scripts change,
# drop both so every page is executed and written again with the new code.
BOOK_CODE := $(shell find src assets scripts -type f \( -name '*.py' -o -name '*.js' -o -name '*.css' -o -name '*.svg' \) -not -path 'assets/vendor/*' 2>/dev/null)
_build/.code-stamp: $(BOOK_CODE) assets/vendor/.stamp
	rm -rf _build/.jupyter_cache _build/.doctrees _build/html
	mkdir -p _build && touch $@

# --- the published build ---------------------------------------------------
# `make book` stays light (no PyTorch): its pages say "PyTorch not installed" in every
# PyTorch row. `make site` is what the Pages workflow publishes: PyTorch is installed too,
# the build goes to its own folder with its own execution cache (the cache is keyed on the
# notebooks' text, so outputs made without PyTorch must not be reused), and the chapters
# run with CONVGRAD_TORCH=required, under which convgrad.verdict.import_torch raises
# instead of returning None: a page that would show a skipped PyTorch check fails the build.
SITE        := _build/site
SITE_HTML   := $(SITE)/_build/html
TORCH       := $(shell grep -E '^torch==' requirements-test.txt)
# pip's default index gives the CPU wheel on these machines; CI sets PyTorch's CPU-only index
TORCH_INDEX ?=

$(VENV)/.site-deps: $(VENV)/.book-deps requirements-test.txt
	@$(BIN)/pip install -q $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH)" || { \
		echo "make site: could not install $(TORCH), and the published build runs every PyTorch check (make book builds without it)" >&2; \
		exit 1; }
	touch $@

site: $(VENV)/.site-deps assets $(SITE)/.code-stamp
	CONVGRAD_TORCH=required $(BIN)/jupyter-book build . -W -n --keep-going --path-output $(SITE)
	test -f $(SITE_HTML)/index.html
	@echo "make site: every PyTorch check ran; the site is $(SITE_HTML)"

$(SITE)/.code-stamp: $(BOOK_CODE) assets/vendor/.stamp requirements-test.txt
	rm -rf $(SITE)
	mkdir -p $(SITE) && touch $@

# Both builds: the tests read the light one and the published one (PyTorch is a test
# dependency anyway), so a change that would break the Pages workflow fails here.
test: $(VENV)/.test-deps chromium book site lint
	$(BIN)/python -m pytest

# --- the rest -------------------------------------------------------------
lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

serve: book
	@echo "Serving the book at http://127.0.0.1:$(PORT)/"
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# JupyterLab on the whole repository, opened at notebooks/: the chapters link to the pages
# in book/ (the readers' questions, the appendices), so those must be served too. The MyST
# in the chapters (boxes, labels, cross-references) renders only with jupyterlab-myst, a
# requirement: JupyterLab does not start when it is missing, disabled or incompatible.
# LAB_ARGS passes more options (e.g. LAB_ARGS=--no-browser); as root, --allow-root is added.
lab: $(VENV)/.book-deps
	@$(BIN)/jupyter labextension list 2>&1 | grep -Eq 'jupyterlab-myst v[0-9.]+ .*enabled.*OK' || { \
		echo "make lab: jupyterlab-myst is not installed, enabled and compatible with this JupyterLab (\`$(BIN)/jupyter labextension list\` says why); without it the chapters show raw MyST" >&2; \
		exit 1; }
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

bench: $(VENV)/.test-deps
	$(BIN)/python -m convgrad.bench

# chapter 13's form in headless Chromium: the first verdict on a cold page, then more checks
bench-checker: $(VENV)/.test-deps chromium book
	$(BIN)/python scripts/bench_checker.py

clean:
	rm -rf _build node_modules assets/vendor
