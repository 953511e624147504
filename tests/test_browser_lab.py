"""The book in JupyterLab, as `make lab` and the downloaded bundle serve it (issues 3, 18).

Starts JupyterLab on 127.0.0.1 on a folder laid out like the repository and the bundle
(notebooks/ beside book/), with its own settings and workspace, and drives Debian's chromium:

- the widgets live: drawn by the same ES modules, synced with Python in both directions
  (Python sets a trait and the drawing follows; the reader moves a slider and Python sees it);
- chapter 8 rendered by jupyterlab-myst: its opening box, its references within the chapter
  and to the readers' questions page, its math; a link to another file opens that file.

And without a browser: every JupyterLab extension lists as compatible, and `make lab`
refuses to start when jupyterlab-myst is not.
"""

import json
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

SETUP = """\
import numpy as np
from convgrad.widgets import InputGradient, SlidingWindow, WeightGradient

x = np.arange(16.0).reshape(4, 4) - 5
w = np.array([[1.0, -1.0], [2.0, 0.0]])
delta = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0], [0.0, -2.0, 1.0]])
widgets = [SlidingWindow(x, w), WeightGradient(x, w, delta), InputGradient(x, w, delta)]
traits = ["position", "weight", "pixel"]
"""
FROM_PYTHON = "for widget, trait in zip(widgets, traits):\n    setattr(widget, trait, 2)"
REPORT = "print('TRAITS', [getattr(wg, t) for wg, t in zip(widgets, traits)])"


@pytest.fixture(scope="module")
def lab(tmp_path_factory, jupyterlab):
    """JupyterLab on a copy of notebooks/ and book/ plus live.ipynb.

    A copy: JupyterLab may save a notebook it has opened.
    """
    root = tmp_path_factory.mktemp("lab")
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=ignore)
    shutil.copytree(ROOT / "book", root / "book", ignore=ignore)
    cells = [SETUP, "widgets[0]", "widgets[1]", "widgets[2]", FROM_PYTHON, REPORT]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, root / "live.ipynb")
    return jupyterlab(root)


def test_widgets_run_live_in_jupyterlab(lab, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    lab.run_all(page, "live.ipynb")
    roots = page.locator(".cg-widget")
    page.wait_for_function(
        "() => document.querySelectorAll('.cg-widget').length === 3", timeout=60_000
    )
    # Python -> drawing: the last-but-one cell set every widget's index to 2
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.cg-widget'))"
        ".every(r => r.dataset.position === '2')",
        timeout=30_000,
    )
    # drawing -> Python: move each slider, then ask the kernel
    for n, target in enumerate((5, 3, 7)):
        roots.nth(n).locator("input.cg-slider").fill(str(target))
        assert roots.nth(n).get_attribute("data-position") == str(target)
    page.wait_for_timeout(500)  # let the comm messages reach the kernel
    page.evaluate(
        """() => {
          const panel = jupyterapp.shell.currentWidget;
          panel.content.activeCellIndex = panel.content.widgets.length - 1;
          return jupyterapp.commands.execute('notebook:run-cell');
        }"""
    )
    report = page.locator(".jp-OutputArea-output", has_text="TRAITS")
    report.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
        ".some(o => o.textContent.includes('TRAITS [5, 3, 7]'))",
        timeout=30_000,
    )
    assert json.loads(report.inner_text().split("TRAITS", 1)[1]) == [5, 3, 7]


# --- chapter 8 rendered by jupyterlab-myst (issue 18) ------------------------------------------

CHAPTER = "notebooks/08_stride.ipynb"
QUESTIONS = "book/questions.md"
# jupyterlab-myst renders a notebook cell by cell: until the cell holding a label is rendered,
# a reference to it from an earlier cell logs one of these, then resolves. Tolerated only for
# labels of the file being shown (a reference to another file's label would never resolve).
TRANSIENT = [
    re.compile(r"Cross reference target was not found: ([\w-]+)"),
    re.compile(r'No target for internal reference "#([\w-]+)" was found\.?'),
]


def labels_in(path: str) -> set[str]:
    """The labels, (name)=, that a chapter or a page defines."""
    if path.endswith(".ipynb"):
        cells = nbformat.read(ROOT / path, as_version=4).cells
        text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    else:
        text = (ROOT / path).read_text()
    return set(re.findall(r"^\(([\w-]+)\)=\s*$", text, re.M))


def untolerated(messages: list[str], labels: set[str]) -> list[str]:
    """The console errors that are not a label of the shown files resolving late."""
    kept = []
    for line in (line.strip() for message in messages for line in message.splitlines()):
        match = next((m for pattern in TRANSIENT if (m := pattern.fullmatch(line))), None)
        if line and not (match and match.group(1) in labels):
            kept.append(line)
    return kept


def test_untolerated_keeps_other_files_labels_and_other_errors():
    messages = [
        "Cross reference target was not found: ch-stride-q5\nCross reference target was not "
        "found: q5",
        'No target for internal reference "#ch-stride-scatter" was found.',
        "Uncaught TypeError: x is undefined",
    ]
    assert untolerated(messages, labels_in(CHAPTER)) == [
        "Cross reference target was not found: q5",
        "Uncaught TypeError: x is undefined",
    ]


def test_chapter_8_renders_its_myst_in_jupyterlab(lab, browser, playwright_api):
    errors = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.goto(lab(CHAPTER))
    first = page.locator(".jp-Notebook .jp-MarkdownCell").first.locator(".myst")
    box = first.locator("aside.myst-admonition")
    box.wait_for(timeout=60_000)
    # the opening admonition is a box with its title, not a code block with its options
    assert "This chapter answers Q5" in box.locator(".myst-admonition-header").inner_text()
    text = first.inner_text()
    for raw in (":class:", "{admonition}", "{ref}", "`", "(ch-stride)=", "$"):
        assert raw not in text, f"chapter 8's first cell shows {raw!r}:\n{text}"
    # math is typeset (KaTeX's MathML), in the box and in the learning goals
    assert box.locator("math").count() >= 2 and first.locator("math").count() >= 5
    # a reference within the chapter: a link to an anchor on the page, and it goes there
    # (it links to "#" until the cell holding the label has been rendered too)
    within = box.locator("a", has_text="The section on Q5")
    playwright_api.expect(within).to_have_attribute("href", "#ch-stride-q5", timeout=30_000)
    page.locator("#ch-stride-q5").wait_for(state="attached", timeout=30_000)
    assert page.locator("#ch-stride-q5").count() == 1
    within.click()
    page.wait_for_function(
        "() => { const r = document.getElementById('ch-stride-q5').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }",
        timeout=10_000,
    )
    # a reference to another page: a link to that file, which JupyterLab opens rendered
    q5 = box.locator("a", has_text=re.compile(r"^Q5$"))
    href = q5.get_attribute("href")
    assert f"/files/{QUESTIONS}" in href and href.endswith("#q5"), href
    q5.click()
    page.wait_for_function(
        f"() => jupyterapp.shell.currentWidget.context"
        f" && jupyterapp.shell.currentWidget.context.path === '{QUESTIONS}'",
        timeout=30_000,
    )
    assert page.locator(".jp-MarkdownViewer").count() == 1, (
        f"{QUESTIONS} opened as source: this venv's JupyterLab lacks the setting of"
        " scripts/jupyterlab-overrides.json (make .venv/.book-deps installs it)"
    )
    page.locator(".jp-MarkdownViewer .myst [id='q5']").wait_for(timeout=30_000)
    page.wait_for_timeout(1000)  # late console messages of the page just rendered
    unexpected = untolerated(errors, labels_in(CHAPTER) | labels_in(QUESTIONS))
    assert not unexpected, "console errors in JupyterLab:\n" + "\n".join(unexpected)


# --- the pinned JupyterLab and its extensions, and `make lab`'s guard -------------------------


def pinned(name: str) -> str:
    text = (ROOT / "requirements.txt").read_text()
    return re.search(rf"^{re.escape(name)}==(\S+)$", text, re.M).group(1)


def listing_of_extensions() -> str:
    run = [sys.executable, "-m", "jupyterlab.labextensions", "list"]
    listed = subprocess.run(run, capture_output=True, text=True, check=True)
    return re.sub(r"\x1b\[[0-9;]*m", "", listed.stdout + listed.stderr)


def test_every_jupyterlab_extension_lists_as_compatible():
    for name in ("jupyterlab", "jupyterlab-myst"):
        assert version(name) == pinned(name), f"{name} is not as pinned: make .venv/.book-deps"
    listing = listing_of_extensions()
    extensions = re.findall(r"^\s+(\S+) v(\S+) (enabled|disabled)\s+(OK|X)", listing, re.M)
    assert ("jupyterlab-myst", pinned("jupyterlab-myst"), "enabled", "OK") in extensions, listing
    assert {"anywidget", "@jupyter-widgets/jupyterlab-manager"} <= {e[0] for e in extensions}
    assert all(e[2:] == ("enabled", "OK") for e in extensions), listing
    assert "not compatible" not in listing, listing


# what `jupyter labextension list` printed for jupyterlab-myst 2.7.0 beside JupyterLab 4.6.6
INCOMPATIBLE = """\
JupyterLab v4.6.6
/venv/share/jupyter/labextensions
        jupyterlab-myst v2.7.0 \x1b[32menabled\x1b[0m \x1b[31m X\x1b[0m (python, jupyterlab_myst)
        anywidget v0.11.0 \x1b[32menabled\x1b[0m \x1b[32mOK\x1b[0m

"jupyterlab-myst@2.7.0" is not compatible with the current JupyterLab
"""
DISABLED = INCOMPATIBLE.replace("\x1b[32menabled", "\x1b[31mdisabled").replace(" X", "OK")
MISSING = (
    "JupyterLab v4.5.11\n/venv/share/jupyter/labextensions\n        anywidget v0.11.0 enabled OK\n"
)


def lab_guard() -> str:
    """The shell command that `make lab` runs before JupyterLab, with $(BIN) left in."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^lab:[^\n]*\n((?:\t[^\n]*\n)+)", makefile, re.M).group(1)
    assert "labextension list" in recipe.split("jupyter lab ")[0], "make lab checks nothing"
    guard = recipe[: recipe.index("exit 1; }") + len("exit 1; }")]
    return guard.replace("\\\n", " ").replace("\t", "").strip().lstrip("@")


@pytest.mark.parametrize(
    "listing",
    [None, INCOMPATIBLE, DISABLED, MISSING],
    ids=["installed", "incompatible", "disabled", "missing"],
)
def test_make_lab_refuses_to_start_without_jupyterlab_myst(tmp_path, listing):
    if listing is None:  # this venv's own jupyter, as `make lab` runs it
        bin_dir = Path(sys.executable).parent
    else:
        bin_dir = tmp_path
        (tmp_path / "listing.txt").write_text(listing)
        fake = tmp_path / "jupyter"
        fake.write_text(f"#!/bin/sh\ncat {tmp_path / 'listing.txt'} >&2\n")
        fake.chmod(0o755)
    run = subprocess.run(
        ["bash", "-c", lab_guard().replace("$(BIN)", str(bin_dir))], capture_output=True, text=True
    )
    if listing is None:
        assert run.returncode == 0, run.stderr
    else:
        assert run.returncode == 1 and "make lab: jupyterlab-myst is not installed" in run.stderr
