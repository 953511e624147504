"""The built site (_build/html, made by `make book`) is small and self-contained (issue 3)."""

import json
import re
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
    state = '<script type="application/vnd.jupyter.widget-state+json">'  # not a mention of it
    pages = [p for p in built_pages() if state in p.read_text()]
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


class Images(HTMLParser):
    """Every <img> of a page with its alt text, and every figure caption's text."""

    def __init__(self):
        super().__init__()
        self.images, self.captions, self._in_caption = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append((attrs.get("src", ""), (attrs.get("alt") or "").strip()))
        elif tag == "figcaption":
            self._in_caption = True
            self.captions.append("")

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self._in_caption = False

    def handle_data(self, data):
        if self._in_caption:
            self.captions[-1] += data


def looks_like_a_path(alt):
    image_file = alt.lower().endswith((".svg", ".png", ".jpg", ".jpeg", ".gif"))
    return image_file or (" " not in alt and "/" in alt)


def test_every_image_has_an_alt_text_that_says_what_it_shows():
    bad, images = {}, 0
    for page in built_pages():
        parser = Images()
        parser.feed(page.read_text(encoding="utf-8"))
        images += len(parser.images)
        for src, alt in parser.images:
            if "_static" in src:
                continue  # the theme's logo, not a figure of the book
            if not alt or looks_like_a_path(alt) or len(alt.split()) < 4:
                bad.setdefault(page_id(page), []).append(f"{src}: alt={alt!r}")
    assert images, "no images at all: did the chapters' figures go missing?"
    assert not bad, f"images whose alt text is empty, a path or too short: {bad}"


def test_every_chapter_figure_has_a_caption():
    for page in sorted((SITE / "notebooks").glob("*.html")):
        parser = Images()
        parser.feed(page.read_text(encoding="utf-8"))
        figures = [src for src, _ in parser.images if "_images/" in src]
        captions = [text.strip() for text in parser.captions if text.strip()]
        assert len(captions) >= len(figures), f"{page_id(page)}: a figure without a caption"


def test_the_root_serves_the_icon_the_wheel_and_the_bundle():
    built_pages()
    assert (SITE / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00", "not an .ico file"
    assert list(SITE.glob("convgrad-*-py3-none-any.whl")), "no wheel at the site's root"
    bundle = SITE / "convgrad-book.zip"
    assert bundle.is_file() and bundle.stat().st_size < 1024 * 1024


def test_links_to_the_bundle_resolve():
    linked = 0
    for page in built_pages():
        for href in re.findall(r'href="([^"]*convgrad-book\.zip)"', page.read_text()):
            linked += 1
            assert (page.parent / href).resolve() == (SITE / "convgrad-book.zip").resolve()
    assert linked, "no page links the bundle (the introduction should)"


def test_whole_site_is_under_50_mb():
    built_pages()
    total = sum(f.stat().st_size for f in SITE.rglob("*") if f.is_file())
    # Pyodide and the wheels of chapter 13's checker are about 20 of them
    assert total < 50 * 1024 * 1024, f"the site is {total / 2**20:.1f} MiB"


class Anchors(HTMLParser):
    """A page's element ids and the targets of its internal links (Sphinx's reference links)."""

    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        classes = (attrs.get("class") or "").split()
        if tag == "a" and "reference" in classes and "internal" in classes and attrs.get("href"):
            self.links.append(attrs["href"])


def test_every_link_between_pages_reaches_a_page_and_anchor():
    # the chapters link to other chapters and pages as [text](file#label) (JupyterLab follows
    # that form too): each must land on a built page, at an element with that id
    pages = {}
    for page in built_pages():
        parser = Anchors()
        parser.feed(page.read_text(encoding="utf-8"))
        pages[page.resolve()] = parser
    broken, with_anchor = [], 0
    for page, parser in pages.items():
        for href in parser.links:
            path, _, anchor = href.partition("#")
            target = (page.parent / path).resolve() if path else page
            with_anchor += bool(path and anchor)
            if target not in pages or (anchor and anchor not in pages[target].ids):
                broken.append(f"{page.relative_to(SITE.resolve())}: {href}")
    assert with_anchor >= 50, f"only {with_anchor} links to a section of another page"
    assert not broken, "links to a missing page or anchor:\n" + "\n".join(sorted(set(broken)))
