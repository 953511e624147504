"""The two builds: `make book` (light, never PyTorch) and `make site` (published, always
PyTorch). Each sets CONVGRAD_TORCH for its chapters; the tests read both builds' pages.
"""

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml

from convgrad import verdict

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = (ROOT / "Makefile").read_text()
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
LIGHT = ROOT / "_build" / "html"
PUBLISHED = ROOT / "_build" / "site" / "_build" / "html"


def make_variable(name: str) -> str:
    return re.search(rf"^{name}\s*:=\s*(.+)$", MAKEFILE, re.M).group(1).strip()


def recipe(target: str) -> str:
    """The recipe lines of a Makefile target."""
    match = re.search(rf"^{target}:[^\n]*\n((?:\t[^\n]*\n)+)", MAKEFILE, re.M)
    return match.group(1)


# --- how the builds choose -------------------------------------------------------------


def test_the_light_build_never_uses_pytorch_and_the_published_build_requires_it():
    assert "CONVGRAD_TORCH=off $(BIN)/jupyter-book build" in recipe("book")
    assert "CONVGRAD_TORCH=required $(BIN)/jupyter-book build" in recipe("site")
    # make test builds both, so a change that breaks the Pages workflow fails the tests
    prerequisites = re.search(r"^test:(.*)$", MAKEFILE, re.M).group(1).split()
    assert "book" in prerequisites and "site" in prerequisites


def test_import_torch_follows_the_mode(monkeypatch):
    monkeypatch.setenv(verdict.TORCH_MODE, "off")
    assert verdict.import_torch() is None
    monkeypatch.setenv(verdict.TORCH_MODE, "sometimes")
    with pytest.raises(ValueError, match="CONVGRAD_TORCH='sometimes'"):
        verdict.import_torch()
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch were not installed
    monkeypatch.delenv(verdict.TORCH_MODE)
    assert verdict.import_torch() is None
    monkeypatch.setenv(verdict.TORCH_MODE, "required")
    with pytest.raises(ImportError, match="none may be skipped"):
        verdict.import_torch()


def test_chapters_get_pytorch_only_through_import_torch():
    # a chapter's own `try: import torch` would skip silently in the published build
    offending = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type != "code":
                continue
            top_level = re.search(r"^(import torch|from torch)", cell.source, re.M)
            guarded = re.search(
                r"^try:\n(?:[ \t]+.*\n)*?[ \t]+(import|from) torch", cell.source, re.M
            )
            if top_level or guarded:
                offending.append(f"{path.name} cell {index}")
    assert not offending, f"chapters importing PyTorch themselves: {offending}"


def test_make_site_without_pytorch_says_why_in_one_sentence():
    site_deps = re.search(r"^\$\(VENV\)/\.site-deps:.*\n((?:\t.*\n)+)", MAKEFILE, re.M).group(1)
    assert "|| {" in site_deps and "make site: could not install $(TORCH)" in site_deps


# --- what readers see in each build -----------------------------------------------------


class PageText(HTMLParser):
    """A built page's words: the cells' outputs, and the prose (neither code nor output)."""

    def __init__(self):
        super().__init__()
        self.kind = []  # for each open div: "output", "code" or None
        self.skip = 0  # >0 inside script/style
        self.outputs, self.prose = [], []

    def inside(self, kind: str) -> bool:
        return kind in self.kind

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag in ("script", "style"):
            self.skip += 1
        if tag == "img":  # an alt text is the cell's metadata, the same in both builds
            self.prose.append(dict(attrs).get("alt") or "")
        if tag == "div":
            kind = "output" if "cell_output" in classes else None
            self.kind.append("code" if "cell_input" in classes else kind)
        if tag == "figcaption":  # so is a caption, although it sits in the output
            self.kind.append("caption")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        if tag in ("div", "figcaption") and self.kind:
            self.kind.pop()

    def handle_data(self, data):
        if self.skip or self.inside("code"):
            return
        output = self.inside("output") and not self.inside("caption")
        (self.outputs if output else self.prose).append(data)


def page_texts(site: Path) -> dict[str, PageText]:
    """The chapters' and the book's pages, by name (e.g. "notebooks/09_padding")."""
    if not (site / "index.html").exists():
        pytest.fail(f"{site} is not built: `make test` builds it (make book, make site)")
    texts = {}
    for page in sorted([*site.glob("notebooks/*.html"), *site.glob("book/*.html")]):
        parser = PageText()
        parser.feed(page.read_text(encoding="utf-8"))
        texts[str(page.relative_to(site).with_suffix(""))] = parser
    assert sum(name.startswith("notebooks/") for name in texts) == 14
    return texts


TORCH_VERSION = re.search(r"^torch==(\S+)$", (ROOT / "requirements-test.txt").read_text(), re.M)


def test_the_published_pages_show_every_pytorch_check_run():
    texts = page_texts(PUBLISHED)
    version = f"PyTorch {TORCH_VERSION.group(1)}"
    for name, text in texts.items():
        outputs = " ".join(text.outputs)
        assert not re.search(r"skipped|not installed", outputs), name
    ran = [name for name, text in texts.items() if version in " ".join(text.outputs)]
    assert len(ran) >= 10, f"only these published pages show {version} agreeing: {ran}"


# Sentences that claim a PyTorch comparison came out right; the light build may not say
# them, since its outputs show every PyTorch comparison as not run.
PYTORCH_CLAIMS = [
    r"PyTorch (?:agrees|agreed|matches|computes the same)",
    r"(?:equal|identical) to PyTorch",
    r"PyTorch's \(?(?:circles|points|markers)",
    r"same (?:as|outputs as) PyTorch",
]


def test_the_light_pages_claim_no_pytorch_result():
    for name, text in page_texts(LIGHT).items():
        outputs, prose = " ".join(text.outputs), " ".join(text.prose)
        assert "PyTorch 2." not in outputs, f"{name}: the light build ran PyTorch"
        for claim in PYTORCH_CLAIMS:
            found = re.search(claim, prose)
            assert not found, f"{name}: the light page's prose says {found.group(0)!r}"
        if "PyTorch" in outputs:
            assert "not installed" in outputs, name


# --- the published build in the Pages workflow ------------------------------------------


def test_the_site_has_its_own_output_and_execution_cache():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    # no fixed cache path: myst-nb then keeps the cache beside each build's html
    assert not config["execute"].get("cache")
    site = make_variable("SITE")
    assert site != "_build" and "--path-output $(SITE)" in MAKEFILE
    assert make_variable("SITE_HTML") == "$(SITE)/_build/html"


def test_the_workflow_publishes_make_site_with_cpu_torch():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["build"]["steps"]
    runs = " ".join(step.get("run", "") for step in steps)
    assert "make site" in runs and "make book" not in runs
    assert "TORCH_INDEX=https://download.pytorch.org/whl/cpu" in runs
    uploads = [step for step in steps if "upload-pages-artifact" in step.get("uses", "")]
    assert uploads[0]["with"]["path"] == "_build/site/_build/html"


def test_the_cpu_index_appears_only_in_the_workflow():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    mentions = [
        name
        for name in tracked
        if (ROOT / name).is_file()
        and "download.pytorch.org" in (ROOT / name).read_text(errors="ignore")
        and name != "tests/test_site_build.py"
    ]
    assert mentions == [".github/workflows/book.yml"]


def test_make_site_pins_the_tested_torch():
    assert re.search(r"grep -E '\^torch==' requirements-test.txt", make_variable("TORCH"))
    assert TORCH_VERSION and re.fullmatch(r"\d+\.\d+\.\d+", TORCH_VERSION.group(1))
