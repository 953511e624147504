"""convgrad-book.zip lets a reader with only the site run the chapters (issue 14).

The bundle is built as the site build builds it, unpacked into a temporary folder, and
installed into a fresh venv exactly as its README says (the package index plus the
bundled wheel; the repository's src/ is never on the path). Two chapters with widgets
then run there from top to bottom, so a wheel without a module or a data file fails.
"""

from __future__ import annotations

import importlib.util
import os
import posixpath
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("site_extras", ROOT / "scripts" / "site_extras.py")
site_extras = importlib.util.module_from_spec(spec)
spec.loader.exec_module(site_extras)

CHAPTERS_RUN = ["04_filter_gradient", "05_input_gradient"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return site_extras.make_bundle(tmp_path_factory.mktemp("site"))


def test_bundle_holds_every_chapter_the_pages_the_wheel_and_a_readme(bundle):
    names = set(zipfile.ZipFile(bundle).namelist())
    chapters = {f"convgrad-book/notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert chapters and chapters <= names
    pages = {f"convgrad-book/book/{p.name}" for p in (ROOT / "book").glob("*.md")}
    assert pages and pages <= names
    assert {"convgrad-book/requirements.txt", "convgrad-book/README.txt"} <= names
    assert [n for n in names if n.endswith(".whl")], "no wheel in the bundle"
    assert bundle.stat().st_size < 1024 * 1024, f"bundle is {bundle.stat().st_size} bytes"


def test_wheel_has_every_module_and_data_file_of_the_package(bundle):
    (wheel_name,) = [n for n in zipfile.ZipFile(bundle).namelist() if n.endswith(".whl")]
    with zipfile.ZipFile(bundle) as archive, archive.open(wheel_name) as wheel_file:
        wheel = set(zipfile.ZipFile(wheel_file).namelist())
    package = ROOT / "src"
    wanted = {
        str(p.relative_to(package))
        for p in package.rglob("*")
        if p.is_file()
        and p.suffix in {".py", ".js", ".css", ".json", ".npz"}
        and "__pycache__" not in p.parts
    }
    assert wanted - wheel == set(), "files of src/convgrad missing from the wheel"


def test_requirements_pin_what_the_chapters_import(bundle):
    text = zipfile.ZipFile(bundle).read("convgrad-book/requirements.txt").decode()
    names = ("numpy", "sympy", "matplotlib", "ipywidgets", "anywidget", "jupyterlab")
    # and jupyterlab-myst, without which JupyterLab shows the chapters' MyST as raw text
    for name in (*names, "jupyterlab-myst"):
        assert f"\n{name}==" in f"\n{text}", f"{name} is not pinned in the bundle"
    pins = (ROOT / "requirements.txt").read_text().splitlines()
    assert set(text.splitlines()) <= set(pins), "the bundle's pins differ from requirements.txt"


def markdown_of(archive: zipfile.ZipFile, name: str) -> str:
    text = archive.read(name).decode()
    if name.endswith(".ipynb"):
        cells = nbformat.reads(text, as_version=4).cells
        text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    return text


def test_links_between_chapters_and_pages_resolve_inside_the_bundle(bundle):
    # JupyterLab serves the unpacked folder (README.txt's `jupyter lab`): a chapter's link to
    # another chapter or to a page of book/ opens that file only if the bundle holds it
    archive = zipfile.ZipFile(bundle)
    names = set(archive.namelist())
    readme = archive.read("convgrad-book/README.txt").decode().splitlines()
    assert "jupyter lab" in readme, "README.txt should start JupyterLab on the whole folder"
    files = sorted(n for n in names if re.search(r"/(notebooks/\w+\.ipynb|book/\w+\.md)$", n))
    assert "convgrad-book/book/questions.md" in files
    texts = {name: markdown_of(archive, name) for name in files}
    labels = {n: set(re.findall(r"^\(([\w-]+)\)=\s*$", t, re.M)) for n, t in texts.items()}
    links, broken = 0, []
    for name, text in texts.items():
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:|#", target):
                continue  # another site, or an anchor in the same file
            path, _, label = target.partition("#")
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), path))
            links += 1
            if resolved not in names or (label and label not in labels.get(resolved, ())):
                broken.append(f"{name}: ({target})")
    assert links >= 20, f"only {links} links between the bundle's files"
    assert not broken, "links that lead nowhere in the bundle:\n" + "\n".join(broken)


def first_code_cell(path):
    nb = nbformat.read(path, as_version=4)
    return next(cell.source for cell in nb.cells if cell.cell_type == "code")


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_chapter_without_convgrad_says_how_to_install_it(path, monkeypatch):
    monkeypatch.setitem(sys.modules, "convgrad", None)  # `import convgrad` now fails
    source = first_code_cell(path)
    guard = source[: source.index("from None") + len("from None")]
    with pytest.raises(ModuleNotFoundError) as missing:
        exec(compile(guard, str(path), "exec"), {})
    assert "convgrad-book.zip" in str(missing.value) and "README" in str(missing.value)


RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
for name in sys.argv[1:]:
    nb = nbformat.read(f"notebooks/{name}.ipynb", as_version=4)
    where = nbformat.v4.new_code_cell(
        "import convgrad, sys\\n"
        "assert convgrad.__file__.startswith(sys.prefix), convgrad.__file__\\n"
        "print('convgrad from', convgrad.__file__)"
    )
    nb.cells.insert(0, where)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": "notebooks"}}).execute()
    print(name, "ran:", nb.cells[0].outputs[0]["text"].strip())
"""


def test_a_fresh_venv_runs_chapters_from_the_bundle_alone(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / "convgrad-book"
    readme = (folder / "README.txt").read_text().splitlines()
    setup = [line for line in readme if line.startswith(("python3 -m venv", "pip install"))]
    assert len(setup) == 2, f"README.txt should give the venv and the pip line: {readme}"
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    # exactly the README's two commands, in the unpacked folder
    subprocess.run(["bash", "-ec", "\n".join(setup)], cwd=folder, env=env, check=True)
    python = folder / ".venv" / "bin" / "python"
    run = subprocess.run(
        [str(python), "-c", RUNNER, *CHAPTERS_RUN],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    for name in CHAPTERS_RUN:
        assert f"{name} ran: convgrad from {folder / '.venv'}" in run.stdout, run.stdout
