"""Files the site serves at its root beside the pages (a Sphinx extension of the book).

- ``convgrad-<version>-py3-none-any.whl``: the package, built from ``src/``;
- ``convgrad-book.zip``: every chapter notebook with its data files, the book's pages
  (``book/*.md``, which the chapters link to), that wheel, the reading requirements (pinned
  as in ``requirements.txt``) and a short README, so that a reader with only the site can
  run every chapter and follow its links;
- ``favicon.ico``: the book's icon, drawn from the squares of ``assets/favicon.svg``,
  for browsers that ask the root for it (the redirecting ``index.html`` names no icon).

It also sets ``CONVGRAD_STATIC_BOOK`` for the chapters it runs: chapter 13's form is then
written as a block the page script mounts (``convgrad.widgets.check_form``), and the
reader's browser runs its checker from that wheel.

``make_bundle`` is also what ``tests/test_bundle.py`` unpacks and installs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = "convgrad-book.zip"
# what running the chapters needs (the wheel brings numpy, sympy, ipywidgets, anywidget),
# and what makes JupyterLab render their MyST (boxes, labels, cross-references, math)
READING = ["numpy", "sympy", "matplotlib", "matplotlib-inline", "ipywidgets", "anywidget"]
READING += ["ipykernel", "jupyterlab", "jupyterlab-myst"]
README = """\
convgrad: the chapters of the book, ready to run (Python 3.11 or newer).

python3 -m venv .venv && . .venv/bin/activate
pip install -r requirements.txt convgrad-*.whl
jupyter lab

JupyterLab opens this folder: the chapters are in notebooks/, the pages they link to (the
readers' questions, the appendices) in book/. jupyterlab-myst, one of the requirements,
renders the chapters' boxes, cross-references and formulas. A link to another chapter or
page opens that file at its top. A page of book/ opens as Markdown source; to read it
rendered, right-click it and choose Open With > Markdown Preview.
"""


def pinned(names) -> list[str]:
    """requirements.txt's ``name==version`` for each of names (the reading bundle's and the
    in-page checker's wheels take their versions from there)."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(0)
    missing = [name for name in names if name not in pins]
    if missing:
        raise ValueError(f"requirements.txt pins no version of {missing}")
    return [pins[name] for name in names]


def reading_requirements() -> str:
    """The pins of requirements.txt for the packages that running the chapters needs."""
    return "\n".join(pinned(READING)) + "\n"


def build_wheel(dest: Path) -> Path:
    """Build convgrad's wheel into dest from a copy of the package's sources.

    A copy, because setuptools writes build/ and egg-info beside the sources it builds;
    no build isolation, so no download: the build uses the running environment's setuptools.
    """
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "source"
        ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
        shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, source / name)
        command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
        command += ["--no-build-isolation", "--wheel-dir", scratch, str(source)]
        subprocess.run(command, check=True, cwd=scratch)
        (built,) = Path(scratch).glob("convgrad-*.whl")
        target = dest / built.name
        shutil.copyfile(built, target)
    return target


def chapter_files() -> list[Path]:
    """The notebooks and the data they read, as committed (no checkpoints, no caches)."""
    files = sorted((ROOT / "notebooks").rglob("*"))
    skip = (".ipynb_checkpoints", "__pycache__")
    return [f for f in files if f.is_file() and not any(s in f.parts for s in skip)]


def book_pages() -> list[Path]:
    """The book's pages (the readers' questions, the appendices): the chapters link to them."""
    return sorted((ROOT / "book").glob("*.md"))


def make_bundle(dest: Path, wheel: Path | None = None) -> Path:
    """Write convgrad-book.zip into dest: chapters, pages, wheel, requirements.txt, README.txt."""
    dest.mkdir(parents=True, exist_ok=True)
    wheel = wheel or build_wheel(dest)
    bundle = dest / BUNDLE
    with zipfile.ZipFile(bundle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in chapter_files() + book_pages():
            archive.write(path, f"convgrad-book/{path.relative_to(ROOT)}")
        archive.write(wheel, f"convgrad-book/{wheel.name}")
        archive.writestr("convgrad-book/requirements.txt", reading_requirements())
        archive.writestr("convgrad-book/README.txt", README)
    return bundle


def write_favicon(path: Path) -> None:
    """assets/favicon.svg's squares as a 32 px icon (Pillow comes with matplotlib)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 31, 31), radius=4, fill="#ffffff")
    for x, y, alpha in ((3, 3, 255), (12, 3, 140), (3, 12, 140), (12, 12, 255)):
        draw.rectangle((x, y, x + 7, y + 7), fill=(0, 114, 178, alpha))
    draw.rectangle((21, 21, 28, 28), fill="#e69f00")
    image.save(path, sizes=[(16, 16), (32, 32)])


def _write_extras(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    write_favicon(out / "favicon.ico")
    make_bundle(out)


def setup(app):
    # the kernels that run the chapters inherit it (convgrad.widgets.check_form reads it)
    os.environ["CONVGRAD_STATIC_BOOK"] = "1"
    app.connect("build-finished", _write_extras)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
