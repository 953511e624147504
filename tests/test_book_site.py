"""The built site (_build/html, made by `make book`) is small and self-contained (issue 3)."""

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
MAX_PAGE_BYTES = 2 * 1024 * 1024
VENDORED = [
    "vendor/mathjax/tex-mml-chtml.js",
    "vendor/mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
    "vendor/requirejs/require.js",
    "vendor/html-manager/embed-amd.js",
    "vendor/anywidget/index.js",
    "convgrad-page.js",
    "convgrad-widgets.js",
]


def built_pages():
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE} has no built book: run `make book` first (make test does)")
    # _static/ holds theme templates and vendored files, not pages of the book
    return sorted(p for p in SITE.rglob("*.html") if "_static" not in p.parts)


class Resources(HTMLParser):
    """Every address a page makes the browser fetch by itself (not the links it shows)."""

    FETCHED = {"script": "src", "img": "src", "iframe": "src", "source": "src", "link": "href"}

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and not {"stylesheet", "icon", "preload", "modulepreload"} & set(
            (attrs.get("rel") or "").split()
        ):
            return  # navigation links (prev/next/index) are not fetched
        name = self.FETCHED.get(tag)
        if name and attrs.get(name):
            self.urls.append((tag, attrs[name]))


def page_id(path):
    return str(path.relative_to(SITE))


def test_every_page_is_under_2_mb():
    sizes = {page_id(p): p.stat().st_size for p in built_pages()}
    too_big = {name: size for name, size in sizes.items() if size >= MAX_PAGE_BYTES}
    assert not too_big, f"pages of 2 MB or more: {too_big}"


def test_no_page_fetches_from_another_host():
    offending = {}
    for page in built_pages():
        parser = Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.urls or page.name == "index.html", f"{page_id(page)} fetches nothing?"
        remote = [f"<{tag}> {url}" for tag, url in parser.urls if urlparse(url).netloc]
        if remote:
            offending[page_id(page)] = remote
    assert not offending, f"pages loading from other hosts: {offending}"


def test_stylesheets_import_nothing_from_another_host():
    built_pages()
    remote = [
        str(css.relative_to(SITE))
        for css in (SITE / "_static").rglob("*.css")
        if any(
            marker in css.read_text(errors="ignore")
            for marker in ("url(http", "url(//", '@import "http', "@import url(http")
        )
    ]
    assert not remote, f"stylesheets referring to other hosts: {remote}"


def test_vendored_assets_are_served_at_the_pinned_versions():
    built_pages()
    static = SITE / "_static"
    missing = [name for name in VENDORED if not (static / name).is_file()]
    assert not missing, f"missing from _build/html/_static: {missing} (run `make assets`)"
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    served = json.loads((static / "vendor" / "VERSIONS.json").read_text())
    assert served == pinned


def test_widget_pages_load_the_local_widget_scripts():
    pages = [
        p for p in built_pages() if "application/vnd.jupyter.widget-state+json" in p.read_text()
    ]
    assert pages, "no page carries widget state: the widgets appendix should"
    for page in pages:
        html = page.read_text()
        for script in (
            "vendor/requirejs/require.js",
            "convgrad-widgets.js",
            "vendor/html-manager/embed-amd.js",
        ):
            assert f"_static/{script}" in html, f"{page_id(page)} does not load {script}"
        assert 'data-jupyter-widgets-cdn="../_static/vendor/"' in html


def toc_files(entries):
    for entry in entries:
        if "file" in entry:
            yield entry["file"]
        yield from toc_files(entry.get("chapters", []) + entry.get("sections", []))
        yield from toc_files(entry.get("parts", []))


def test_every_toc_entry_is_built():
    built_pages()
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"], *toc_files(toc.get("parts", []) + toc.get("chapters", []))]
    missing = [f for f in files if not (SITE / f"{f}.html").is_file()]
    assert not missing, f"toc entries with no page: {missing}"


def test_every_chapter_offers_its_notebook_for_download():
    built_pages()
    chapters = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for chapter in chapters:
        page = SITE / "notebooks" / f"{chapter.stem}.html"
        if not page.exists():
            continue  # not in the toc yet; test_every_toc_entry_is_built covers listed ones
        source = f"_sources/notebooks/{chapter.name}"
        assert (SITE / source).is_file(), f"{source} was not copied into the site"
        assert f"../{source}" in page.read_text(), f"{page.name} has no download link to {source}"


def test_front_end_packages_are_pinned_and_come_from_npm():
    # `npm ci` on a fresh machine must fetch exactly these files, from the npm registry only
    manifest = json.loads((ROOT / "package.json").read_text())
    loose = {name: v for name, v in manifest["dependencies"].items() if not v[0].isdigit()}
    assert not loose, f"package.json must pin exact versions: {loose}"
    lock = json.loads((ROOT / "package-lock.json").read_text())
    packages = {path: entry for path, entry in lock["packages"].items() if path}
    assert packages, "package-lock.json lists no packages"
    # entries name no tarball URL (npm then uses the registry) or the npm registry's own
    elsewhere = {
        path: entry.get("resolved")
        for path, entry in packages.items()
        if not entry.get("resolved", "https://registry.npmjs.org/").startswith(
            "https://registry.npmjs.org/"
        )
        or not entry.get("integrity")
    }
    assert not elsewhere, f"lock entries not from the npm registry (or unhashed): {elsewhere}"
    locked = {
        name: packages[f"node_modules/{name}"]["version"] for name in manifest["dependencies"]
    }
    assert locked == manifest["dependencies"]
