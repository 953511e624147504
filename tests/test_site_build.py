"""`make site`, the published build: its own cache, PyTorch from the CPU index in CI, and a
failure whenever a page reports a skipped check (the grep must know the verdict's words).
"""

import html
import re
import subprocess
from pathlib import Path

import numpy as np
import yaml

from convgrad.verdict import conv_gradient_verdict, numeric_verdict

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = (ROOT / "Makefile").read_text()
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def make_variable(name: str) -> str:
    return re.search(rf"^{name}\s*:=\s*(.+)$", MAKEFILE, re.M).group(1).strip()


def skipped_pattern() -> re.Pattern:
    """The extended regex the site recipe greps the built pages with."""
    return re.compile(re.search(r"grep -rlE '([^']+)'", MAKEFILE).group(1))


def page_of(text: str) -> str:
    return f'<div class="output"><pre>{html.escape(text)}</pre></div>'


def test_the_grep_catches_the_verdicts_skipped_wording():
    x, w, delta = np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2))
    skipped = str(conv_gradient_verdict(x, w, delta, use_torch=False))
    assert "skipped" in skipped
    assert skipped_pattern().search(page_of(skipped))
    all_ran = str(numeric_verdict("t", {"g": np.ones(2)}, {"reference loops": {"g": np.ones(2)}}))
    assert not skipped_pattern().search(page_of(all_ran))


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
    assert re.search(r"^torch==\d+\.\d+\.\d+$", (ROOT / "requirements-test.txt").read_text(), re.M)
