"""Notebooks are committed without outputs: the build executes them (issue 3)."""

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(
    path
    for folder in ("notebooks", "book")
    for path in (ROOT / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in path.parts
)


def test_the_book_has_notebooks_to_check():
    # an empty list would make every check below pass vacuously
    assert NOTEBOOKS or not (ROOT / "notebooks").exists(), "no notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_has_no_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    dirty = [
        f"cell {index}: {len(cell.get('outputs', []))} output(s), "
        f"execution_count={cell.get('execution_count')}"
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{path.name} was committed with outputs (clear them): " + "; ".join(dirty)
    assert "widgets" not in notebook.metadata, f"{path.name} carries saved widget state"
