"""Every "chapter N" written in the package, the chapters and the book's pages names a
chapter that exists (in _toc.yml) or is planned (the book's 14 chapters, Parts I-V).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# The book's plan: Part I chapters 1-2, II 3-5, III 6-7, IV 8-11, V 12-14. A chapter
# beyond it becomes valid by being listed in _toc.yml.
PLANNED = set(range(1, 15))

# "chapter 8", "Chapters 8 and 9", "chapters 4, 5, 7", "Chapters 3-5", "Ch. 12", "Chs. 4-7"
REFERENCE = re.compile(
    r"\b(?:chapters?|chs?\.)\s*(\d+(?:\s*(?:,|-|–|—|and|or|to|&)\s*\d+)*)", re.IGNORECASE
)


def chapter_numbers(text: str) -> list[tuple[str, list[int]]]:
    """Each chapter reference in text, with the chapter numbers it names."""
    return [
        (match.group(0), [int(n) for n in re.findall(r"\d+", match.group(1))])
        for match in REFERENCE.finditer(text)
    ]


def chapters_in_toc() -> set[int]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    return {int(m.group(1)) for f in files if (m := re.match(r"notebooks/(\d+)_", f))}


def texts():
    """(where, text) for every file whose words a reader sees: package, chapters, pages."""
    for path in sorted((ROOT / "src").rglob("*.py")):
        yield path.relative_to(ROOT), path.read_text()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            yield f"{path.relative_to(ROOT)} cell {index}", cell.source
    for path in sorted((ROOT / "book").glob("*.md")):
        yield path.relative_to(ROOT), path.read_text()


def test_the_finder_reads_every_form():
    found = chapter_numbers(
        "see chapter 8; Chapters 8 and 9, chapters 4, 5, 7 and Ch. 12; Chapters 3–5; Chs. 6-7"
    )
    assert [numbers for _, numbers in found] == [[8], [8, 9], [4, 5, 7], [12], [3, 5], [6, 7]]
    assert chapter_numbers("a chapterhouse, 12 chapters") == []


def test_the_toc_chapters_are_numbered_notebooks():
    assert {1, 2, 3, 4, 5} <= chapters_in_toc()


def test_every_chapter_reference_names_a_chapter_of_the_book():
    valid = PLANNED | chapters_in_toc()
    wrong = [
        f"{where}: {reference!r}"
        for where, text in texts()
        for reference, numbers in chapter_numbers(text)
        if not set(numbers) <= valid
    ]
    assert not wrong, "references to chapters the book has not got:\n" + "\n".join(wrong)


@pytest.mark.parametrize("text", ["see Chapter 15", "as chapter 0 shows", "Chapters 12-16"])
def test_a_reference_past_the_plan_is_caught(text):
    assert not {n for _, numbers in chapter_numbers(text) for n in numbers} <= PLANNED
