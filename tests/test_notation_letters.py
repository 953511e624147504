"""One meaning per letter (book/notation.md): no retired use of a letter comes back.

L is only the loss (a 1-D length is H, the count of windows is U), the bare W only the
weights (a width is W_in or W_out), G the number of groups (g is the index of one), P the
padding, and the printed formulas use only letters that the notation page lists. The
retired uses are searched in what a reader meets: every cell of the chapters (markdown,
code and the metadata that holds captions and alt texts), the book's pages, the README,
the package's source (docstrings, error messages, comments) and the widgets' JavaScript.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path

import nbformat
import pytest
import sympy

from convgrad.symbolic import FORMULAS

ROOT = Path(__file__).resolve().parents[1]
NOTATION = ROOT / "book" / "notation.md"

# (pattern, what it is, an example it must find); each is a use the notation retired
RETIRED = [
    (r"\bL_(?:\{(?:in|out)\}|\\text\{(?:in|out)\}|(?:in|out)\b)", "L as a length", r"$L_{in}$"),
    (r"\(\s*N\s*,\s*C(?:_in)?\s*,\s*L\s*\)", "L as a 1-D length in a shape", "(N, C, L)"),
    (r"\(L,\)", "L as a 1-D length in a shape", '{1: "(L,)"}'),
    (r",\\?\s*L\s*\)", "L as the number of windows in a shape", r"(C K_h K_w,\ L)"),
    (r"\bL\s*=\s*H_", "L as the number of windows", r"$L = H_\text{out} W_\text{out}$"),
    (r"\bL output positions", "L as the number of windows", "with L output positions"),
    (r"\bH\s*,\s*W\b(?![_\w])", "the bare W as a width", "(N, C, H, W)"),
    (r"\bH\s*(?:\\times|×)\s*W\b(?![_\w])", "the bare W as a width", r"an $H \times W$ grid"),
    (r"\$H, W\$", "the bare W as a width", "$H, W$ the input's height and width"),
    (r"\bW\s*-\s*K_w\b", "the bare W as a width", r"$W_\text{out} = W - K_w + 1$"),
    (r"\bgroups\s*=\s*g\b", "g as the number of groups", "groups=g"),
    (r"\b[CF]\s*//?\s*g\b", "g as the number of groups", "(C/g, g*N, *n)"),
    (r"\bg\s*\*\s*N\b", "g as the number of groups", "(C/g, g*N, *n)"),
    (r"\(N, g, F/", "g as the number of groups", "# (N, g, F/g, L)"),
    (
        r"G_\{n,c,k,l,i,j\}",
        "G as what a window sends back (G is the number of groups)",
        r"$G_{n,c,k,l,i,j} = \sum_f$",
    ),
    (
        r"\| \$p\$ \| padding",
        "p as the padding (p is an input row; the padding is P)",
        "| $p$ | padding: zeros added on each side of the input | `padding` |",
    ),
    (r"\b2\s*\*?\s*p\b(?!\w)", "p as the padding", "r = (n + 2p - d(K-1) - 1) mod s"),
    (r"\bK\s*-\s*1\s*-\s*p\b", "p as the padding", "K-1-p zeros around"),
    (
        r"\(n\s*-\s*1\)\s*\*\s*(?:stride|s)\b|\*\s*\(n\s*-\s*1\)",
        "n as a size (n is a sample)",
        "out_size = (n - 1) * stride - 2 * padding",
    ),
    (
        r"\$r\$ \| output padding",
        "r as any output_padding (r is the rows past the last "
        "window; the gradient's output_padding equals it)",
        "| $r$ | output padding: extra",
    ),
]

# forms the notation keeps, which no retired pattern may take for a retired use
KEPT = [
    r"$(N, C, H, W_\text{in})$",
    "(N, C, H, W_in)",
    "(D, H, W_in)",
    r"$H \times W_\text{in}$",
    r"$L_\text{sum}$, $L_\text{mean}$",
    r"$U = H_\text{out} W_\text{out}$",
    r"$(C K_h K_w,\ U)$",
    "groups=G",
    "(C/G, G*N, *in_size)",
    "r = (H + 2P - d(K-1) - 1) mod s",
    "`output_padding` $= r$",
    r"$g = \lfloor f/F_g \rfloor$",
    r"$(H_\text{out} - 1)\,s - 2P + d(K-1) + r + 1$",
    "out_size = (H - 1) * stride - 2 * padding",
]


def _notebook_texts(path: Path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        yield f"{path.name} cell {cell.get('id')}", cell.source
        if cell.metadata:  # captions and alt texts
            yield (
                f"{path.name} cell {cell.get('id')} metadata",
                json.dumps(cell.metadata, ensure_ascii=False),
            )


def _python_words(path: Path) -> str:
    """The strings (docstrings, messages) and comments of a module, each on its own lines."""
    lines = [""] * len(path.read_text().splitlines())
    for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
        if token.type in (tokenize.STRING, tokenize.COMMENT):
            for offset, line in enumerate(token.string.splitlines()):
                lines[token.start[0] - 1 + offset] += " " + line
    return "\n".join(lines)  # line n of the result holds the words of line n


def texts():
    """(where, text) for everything a reader of the book or the package meets."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        yield from _notebook_texts(path)
    for path in [*sorted((ROOT / "book").glob("*.md")), ROOT / "README.md"]:
        yield path.relative_to(ROOT).as_posix(), path.read_text()
    source = ROOT / "src" / "convgrad"
    for path in sorted(source.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), _python_words(path)
    scripts = [*source.rglob("*.js"), *(ROOT / "assets").glob("*.js")]
    for path in sorted(scripts):  # the widgets' labels and messages
        yield path.relative_to(ROOT).as_posix(), path.read_text()


def retired_uses(text: str) -> list[tuple[str, str]]:
    """Each (matched text, what it is) of a retired use in text."""
    found = []
    for pattern, what, _ in RETIRED:
        found += [(match.group(0), what) for match in re.finditer(pattern, text)]
    return found


@pytest.mark.parametrize("pattern, what, example", RETIRED, ids=[r[0] for r in RETIRED])
def test_each_pattern_finds_its_retired_use(pattern, what, example):
    assert re.search(pattern, example), f"{pattern!r} does not find {example!r} ({what})"


@pytest.mark.parametrize("text", KEPT)
def test_no_pattern_takes_a_kept_form_for_a_retired_one(text):
    assert retired_uses(text) == []


def test_the_search_reads_every_kind_of_text():
    where = {place.split(" cell ")[0] for place, _ in texts()}
    expected = {"book/notation.md", "README.md", "src/convgrad/geometry.py"}
    expected |= {"src/convgrad/widgets/transposed_conv.js", "assets/convgrad-page.js"}
    assert expected <= where, expected - where
    assert len([w for w in where if w.endswith(".ipynb")]) == 14


def test_no_retired_use_of_a_letter_returns():
    found = []
    for where, text in texts():
        for line_number, line in enumerate(text.splitlines(), 1):
            found += [f"{where}:{line_number}: {m!r} ({what})" for m, what in retired_uses(line)]
    assert not found, "letters used with a retired meaning (book/notation.md):\n" + "\n".join(found)


# --- the printed formulas use only the notation page's letters ----------------------------

#: every symbol of the book's own formulas -> how the notation page writes it
BOOK_LETTERS = {
    **{name: name for name in ("X", "W", "Y", "b", "N", "C", "F", "K", "P", "s", "d")},
    **{name: name for name in ("C_g", "F_g", "K_h", "K_w", "K_d", "s_h", "s_w", "s_d")},
    **{name: name for name in ("P_h", "P_w", "P_d", "d_h", "d_w", "d_d")},
    **{name: f"${name}$" for name in "ncfgijklpquv"},
    "delta": r"\delta",
    r"\bar{X}": r"\bar X",
    r"\tilde{\delta}": r"\tilde\delta",
    r"\check{\delta}": r"\check\delta",
    r"\hat{\delta}": r"\hat\delta",
    "H_in": r"H_\text{in}",
    "W_in": r"W_\text{in}",
    "H_out": r"H_\text{out}",
    "W_out": r"W_\text{out}",
    "D_in": r"D_\text{in}",
    "D_out": r"D_\text{out}",
    "P^+": r"P^{+}",
    "P^+_h": r"P^{+}_h",
    "P^+_w": r"P^{+}_w",
    "P^+_d": r"P^{+}_h, P^{+}_w",  # the page names the depth's with the others
    "i_lo": r"i_\text{lo}",
    "i_hi": r"i_\text{hi}",
    "j_lo": r"j_\text{lo}",
    "j_hi": r"j_\text{hi}",
    "omega": r"\omega",
    "omega_lo": r"\omega",
    "omega_hi": r"\omega",
    "kappa": r"\kappa",
    "psi": r"\psi",
    "zeta": r"\zeta",
}
#: the families of the readers' own formulas, which keep the readers' letters
READERS = {"q1", "reader_q3", "reader_q5"}


def book_formula_symbols() -> dict[str, set[str]]:
    """Each symbol of the book's own formulas -> the formulas that use it."""
    used: dict[str, set[str]] = {}
    for name, formula in FORMULAS.items():
        if formula.family in READERS:
            continue
        expressions = [formula.lhs, formula.rhs, *(v for d in formula.definitions for v in d)]
        symbols = set().union(*(e.atoms(sympy.Symbol) for e in expressions)) | set(formula.params)
        for symbol in symbols:
            used.setdefault(str(symbol), set()).add(name)
    return used


def test_the_formulas_use_only_the_notation_pages_letters():
    used = book_formula_symbols()
    unlisted = {symbol: sorted(names)[:3] for symbol, names in used.items()}
    unlisted = {s: n for s, n in unlisted.items() if s not in BOOK_LETTERS}
    assert not unlisted, f"symbols not on the notation page (book/notation.md): {unlisted}"
    page = NOTATION.read_text()
    missing = sorted(s for s in used if BOOK_LETTERS[s] not in page)
    assert not missing, f"the notation page does not list: {missing}"


def test_b_is_only_the_bias_in_the_formulas():
    """b names the bias; no formula sums over b or indexes a tensor with it."""
    b = sympy.Symbol("b")
    for name, formula in FORMULAS.items():
        if formula.family in READERS:
            continue
        for expression in (formula.lhs, formula.rhs):
            bound = {limit[0] for s in expression.atoms(sympy.Sum) for limit in s.limits}
            indices = {i for x in expression.atoms(sympy.Indexed) for i in x.indices}
            assert b not in bound | indices | set(formula.indices), name
