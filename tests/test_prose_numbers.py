"""No retyped timing in the book's prose: a time on a page is printed by the cell that measured it.

A timing depends on the machine and the run, so a sentence that states one ("765 ns",
"about a microsecond", "some ten seconds") is true of one build at best (issue 18). The
prose may say *what* was measured; the number belongs to the cell's output. This test reads
what a reader reads as text: every chapter's markdown cells, its figures' captions and alt
texts (myst-nb cell metadata), and the pages `book/*.md`. It finds

- digits with a unit of time: "765 ns", "3.2 ms", "1.5 µs", "10 s", "10s", "0.5 seconds",
  "a 3-minute run", also when the number is typed as math ("$3.2$ ms");
- words: any nano-, micro- or millisecond, any plural "seconds", "minutes", "hours", and a
  singular one with a quantity ("about a second", "most of a minute", "per second");
- a unit written as text inside math ("$3\\,\\text{ms}$").

Code is not prose and is not read: code cells, fenced code blocks, `inline code` (a timing
that code prints comes from a measurement). Math letters are not units: in `$2s$` and
`$1 s$` the s is the stride. What remains flagged but is meant is listed in ALLOWED, with
the reason; an entry that no longer occurs fails too, so the list cannot rot.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = sorted((ROOT / "book").glob("*.md"))

# (file name, words around the timing found) -> why it stays. Keep this short: each entry
# allows that one phrase, in that file, where it sits inside those words.
ALLOWED: dict[tuple[str, str], str] = {}

# --- what counts as a timing ------------------------------------------------------------

_NUMBER = r"(?<![\w.,])\d+(?:[.,]\d+)*"
_GAP = r"(?:[ \u00a0\u2009\u202f]|-)?"  # "10 s", "10\u00a0s", "a 10-second run", "10s"
_UNIT_SHORT = r"(?:ns|µs|μs|us|ms|s|sec|secs|min|mins|hr|hrs)"
_UNIT_WORD = r"(?:(?:nano|micro|milli)?seconds?|minutes?|hours?)"
DIGITS = re.compile(
    rf"{_NUMBER}{_GAP}(?:{_UNIT_SHORT}(?![\w/µμ])|(?i:{_UNIT_WORD})\b"
    rf"|(?:[A-Za-z-]+ ){{0,2}}[A-Za-z-]*/s\b)"  # a rate: "290 GFLOP/s"
)
_SINGULAR = r"(?:second|minute|hour)"
_QUANTITY = (
    r"(?:about|around|roughly|nearly|almost|under|over|within|than|of|half|quarter|per"
    r"|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|sixty|hundred|few)"
)
WORDS = re.compile(
    r"(?i:"
    r"\b(?:nano|micro|milli)seconds?\b"  # never anything but a time
    r"|\b(?:seconds|minutes|hours)\b"  # the plural has no ordinal sense
    rf"|\b{_QUANTITY}[ -]+(?:an?[ -]+)?{_SINGULAR}\b(?!-)"  # "about a second", "of a minute"
    rf"|\b(?:an?|one)[ -]+{_SINGULAR}(?=\s*(?:[.;:!?)]|$|(?:or|and|per|each|more|less)\b))"
    r")"
)
_TIME_TEXT = r"(?:ns|µs|μs|us|ms|s|sec|min|h|(?:nano|micro|milli)?seconds?|minutes?|hours?)"
MATH_UNIT = re.compile(
    rf"\\(?:text|mathrm|textrm|rm|operatorname|mbox)\s*\{{\s*{_TIME_TEXT}\s*\}}|\\mu\s*s\b"
)
# math that is only a number ("$3.2$", "$10^{-3}$", "$5\times10^{-3}$"): kept as the number
MATH_NUMBER = re.compile(
    r"\s*(?:\d+(?:[.,]\d+)*)?\s*(?:(?:\\times|\\cdot|×)\s*)?(?:10\^\{?[-−]?\d+\}?)?\s*"
)

# --- what a reader reads as text ---------------------------------------------------------

# directives whose body is prose (their options, lines starting ':', are not)
PROSE_DIRECTIVES = {
    "admonition", "note", "tip", "hint", "important", "warning", "caution", "attention",
    "danger", "error", "seealso", "margin", "sidebar", "topic", "epigraph", "dropdown",
    "figure", "card", "tab-item", "glossary",
}  # fmt: skip
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*(\{([\w-]+)\})?(.*)$")


def prose_of_markdown(text: str) -> str:
    """The text of a MyST page or cell without its code: fenced code and {code-cell}
    blocks dropped, prose directives kept (their titles and bodies, not their option
    lines), a {math} block kept as display math."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)  # front matter
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    kept, stack = [], []  # stack of open fences: (fence, "prose" | "math" | "drop")
    for line in text.split("\n"):
        match = FENCE.match(line)
        if stack and match and not match.group(3) and not match.group(5).strip():
            fence, (opened, mode) = match.group(2), stack[-1]
            if fence[0] == opened[0] and len(fence) >= len(opened):
                stack.pop()  # a closing fence
                if mode == "math":
                    kept.append("$$")
                continue
        mode = stack[-1][1] if stack else "prose"
        if match and mode == "prose":
            directive = match.group(4)
            if directive in PROSE_DIRECTIVES:
                kept.append(match.group(5))  # an admonition's title is prose
                stack.append((match.group(2), "prose"))
            elif directive == "math":
                kept.append("$$")
                stack.append((match.group(2), "math"))
            else:  # code, {code-cell}, or a directive that holds no prose
                stack.append((match.group(2), "drop"))
            continue
        if mode == "drop" or (stack and mode == "prose" and line.lstrip().startswith(":")):
            continue
        kept.append(line)
    return "\n".join(kept)


def without_code_and_math(prose: str) -> tuple[str, list[str]]:
    """(prose with inline code dropped and each math span replaced, math spans)."""
    prose = re.sub(r"\{math\}`([^`]*)`", r"$\1$", prose)  # the {math} role is math
    prose = re.sub(r"(?<!\})(`+)(?!\s*$)(.+?)\1", " ", prose)  # `code`, not {role}`text`
    spans: list[str] = []

    def replace(match: re.Match) -> str:
        body = match.group(1) or match.group(2) or match.group(3) or ""
        spans.append(body)
        if re.search(r"\d", body) and MATH_NUMBER.fullmatch(body):
            return re.sub(r"[{}^\\ ]|times|cdot", "", body)  # "$3.2$ ms" reads "3.2 ms"
        return " MATH "  # "$2s$": the stride, not two seconds

    pattern = r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<![\s\\])\$|\\\((.+?)\\\)"
    prose = re.sub(pattern, replace, prose, flags=re.S)
    return prose, spans


def found_in(text: str) -> list[tuple[str, str]]:
    """Every retyped timing in a piece of markdown: (phrase, the prose around it)."""
    prose, math = without_code_and_math(prose_of_markdown(text))
    flat = " ".join(prose.split())
    found = []
    for pattern in (DIGITS, WORDS):
        for match in pattern.finditer(flat):
            around = flat[max(0, match.start() - 60) : match.end() + 60]
            found.append((match.group(0), around))
    for span in math:
        found += [(m.group(0), span) for m in MATH_UNIT.finditer(span)]
    return found


def timings(text: str) -> list[str]:
    """The phrases of every retyped timing in a piece of markdown."""
    return [phrase for phrase, _ in found_in(text)]


def allowed(name: str, phrase: str, around: str) -> bool:
    return any(file == name and phrase in words and words in around for file, words in ALLOWED)


def readable_parts(path: Path):
    """(where, markdown) for every piece of prose in a chapter or page."""
    if path.suffix == ".md":
        yield path.name, path.read_text(encoding="utf-8")
        return
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        where = f"{path.name} cell {cell.get('id', index)}"
        if cell.cell_type == "markdown":
            yield where, cell.source
        mystnb = cell.metadata.get("mystnb", {})
        caption = mystnb.get("figure", {}).get("caption")
        alt = mystnb.get("image", {}).get("alt")
        if caption:
            yield f"{where} (caption)", caption
        if alt:
            yield f"{where} (alt text)", alt


def findings(paths) -> list[str]:
    found = []
    for path in paths:
        for where, text in readable_parts(path):
            for phrase, around in found_in(text):
                if not allowed(path.name, phrase, around):
                    found.append(f"{where}: {phrase!r} in '…{around}…'")
    return found


# --- the book --------------------------------------------------------------------------


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_retyped_timing_in_a_chapter(path):
    found = findings([path])
    assert not found, "timings typed into the prose (print them from the cell):\n" + "\n".join(
        found
    )


def test_no_retyped_timing_in_the_pages():
    found = findings(PAGES)
    assert not found, "timings typed into the prose:\n" + "\n".join(found)


def test_every_allowed_phrase_still_occurs():
    for (name, words), reason in ALLOWED.items():
        assert reason, f"{name}: say why {words!r} is allowed"
        texts = [text for path in PAGES + CHAPTERS if path.name == name
                 for _, text in readable_parts(path)]  # fmt: skip
        hits = [p for text in texts for p, around in found_in(text) if words in around]
        assert hits, f"{name}: {words!r} no longer holds a timing: drop it from ALLOWED"


def test_the_book_has_prose_to_read():
    # the reader above must see the chapters' text and figure descriptions, not nothing
    parts = [(where, text) for path in CHAPTERS for where, text in readable_parts(path)]
    words = sum(len(without_code_and_math(prose_of_markdown(t))[0].split()) for _, t in parts)
    assert len(CHAPTERS) == 14 and words > 20_000
    assert sum(where.endswith("(alt text)") for where, _ in parts) >= 14


# --- the detector itself: it finds timings, and leaves math, code and ordinals alone ----

RETYPED = [
    "the table printed 765 ns per multiply-add",
    "a forward pass of 3.2 ms",
    "it took 10 s on this machine",
    "done in 10s",
    "each call costs 1.5 µs",
    "each call costs 1.5\u00a0us here",
    "0.5 seconds per step",
    "a 3-minute run",
    "the loops spend about a microsecond per multiply-add",
    "they would take some ten seconds",
    "a few milliseconds each",
    "most of a minute on the loops",
    "it costs a few seconds more",
    "microseconds of bookkeeping around a nanosecond of arithmetic",
    "under a second.",
    "a billion multiply-adds per second",
    "numpy runs at 290 GFLOP/s here",
    "the step took $3.2$ ms",
    "a step of $10^{-3}$ s",
    "it took $3\\,\\text{ms}$",
    "```{admonition} Solution\n:class: dropdown\nIt takes 12 ms.\n```",
    "```{note}\nThe whole run takes two minutes.\n```",
]

NOT_TIMINGS = [
    "at stride $s$ the window moves $2s$ rows",
    "output $i$ reads rows $is$ to $is + K - 1$, and $1 s$ is one stride",
    "the second filter and the second layer",
    "a second, smaller layer; a second look",
    "one second-order term",
    "items, terms and sums",
    "3 items, 4 terms, 2 sums, 10 steps",
    "the filters have 16 channels, the 1,797 digits",
    "the `time.perf_counter()` call, `x[::2]`, `2s`",
    "```python\nprint(f'{ms:7.2f} ms')  # 765 ns\n```",
    "```{code-cell} ipython3\nprint(f'{t:.1f} s')\n```",
    "a minute change of the weights",
    "Q5 s and x2 s",
    "the $(N, C, H, W)$ layout; $K^2/s^2 \\approx 12$",
    "a stride of {math}`2s` rows",
]


@pytest.mark.parametrize("text", RETYPED)
def test_the_detector_finds_a_retyped_timing(text):
    assert timings(text), text


@pytest.mark.parametrize("text", NOT_TIMINGS)
def test_the_detector_leaves_math_code_and_ordinals_alone(text):
    assert not timings(text), (text, timings(text))


def test_a_timing_typed_into_a_real_chapter_cell_is_found():
    # chapter 12's reading of its timing table, with the measured number typed into it
    path = ROOT / "notebooks" / "12_vectorizing.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "ch12-33")
    assert not timings(cell.source)
    retyped = cell.source.replace("Read the last column.", "The loops took 765 ns each.", 1)
    assert retyped != cell.source and timings(retyped) == ["765 ns"]
