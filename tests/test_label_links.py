"""scripts/label_links.py: a Markdown link to a label in another file resolves in Sphinx.

The chapters link to other files as ``[text](file#label)``, the one form that both the book's
Sphinx build and JupyterLab (jupyterlab-myst) follow (issue 18). Each test builds a two-page
Sphinx project with -W -n, as the book is built.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sphinx.cmd.build import build_main

ROOT = Path(__file__).resolve().parents[1]
FIRST = "# First\n\nSee [Q5](second.md#q5) and [the second page](second.md).\n"
SECOND = "# Second\n\nText.\n\n(q5)=\n## Q5 — a question\n\nMore text.\n"


def build(tmp_path: Path, first: str, extensions: list[str]) -> tuple[int, str]:
    source, out = tmp_path / "src", tmp_path / "html"
    source.mkdir()
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'scripts')!r})\n"
        f"extensions = {extensions!r}\nroot_doc = 'first'\n"
        "exclude_patterns = []\nhtml_theme = 'basic'\n"
    )
    (source / "first.md").write_text(first)
    (source / "second.md").write_text(SECOND)
    (source / "index.md").write_text("# Index\n\n```{toctree}\nfirst\nsecond\n```\n")
    code = build_main(
        ["-W", "-n", "-q", "-b", "html", "-D", "root_doc=index", str(source), str(out)]
    )
    sys.modules.pop("label_links", None)
    html = (out / "first.html").read_text() if code == 0 else ""
    return code, html


def test_a_link_to_a_label_in_another_file_resolves(tmp_path):
    code, html = build(tmp_path, FIRST, ["myst_parser", "label_links"])
    assert code == 0
    assert 'href="second.html#q5"' in html and 'href="second.html"' in html


def test_without_the_extension_myst_parser_fails_the_build(tmp_path, capsys):
    # myst-parser 3 resolves file#name only for heading slugs: the reason for the extension
    code, _ = build(tmp_path, FIRST, ["myst_parser"])
    assert code != 0 and "local id not found in doc 'second': 'q5'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "target, warning",
    [("second.md#q6", "local id not found in doc 'second': 'q6'"), ("third.md#q5", "third.md")],
    ids=["missing label", "missing file"],
)
def test_a_link_to_a_missing_label_or_file_still_fails_the_build(tmp_path, capsys, target, warning):
    code, _ = build(tmp_path, FIRST.replace("second.md#q5", target), ["myst_parser", "label_links"])
    assert code != 0 and warning in capsys.readouterr().err
