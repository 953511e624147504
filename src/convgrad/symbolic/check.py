"""Check a formula against the true gradient at every index of every configuration.

A read of an entry that does not exist, a true term missed, an extra term or a wrong
coefficient is a counterexample, described in words. On whole numbers the formula must
also equal what ``convgrad`` computes, exactly (the one part that needs numpy, imported
there: without it, as in the browser, ``check_text`` leaves that comparison out).
"""

from __future__ import annotations

import functools
import html
import math
import textwrap
import time
from dataclasses import dataclass, field
from typing import NamedTuple

from .evaluate import Access, entry_function, target_indices
from .formula import Formula
from .registry import FORMULAS
from .registry import grid as family_grid
from .tensors import Config, true_gradients

_WORD_ORDER = {"delta": 0, "W": 1, "X": 2, "b": 3}  # as the book writes products: δ·W, W·X
KEEP = 200  # counterexamples kept per report (all are counted)
REPORT_WIDTH = 76  # the book's code column holds about 77 characters of monospace text
#: what a report counts, in the verdict's words
COUNTED = {
    "nonexistent": "reads of entries that do not exist",
    "missing": "true terms missed",
    "extra": "extra terms",
    "wrong_coefficients": "wrong coefficients",
    "numeric_mismatches": "numeric mismatches",
}


class Counterexample(NamedTuple):
    """One place where a formula and the true gradient disagree, in words."""

    kind: str  # "nonexistent", "missing", "extra", "coefficient", "numeric"
    config: Config
    at: dict
    text: str
    detail: object = None  # the bad read (an Access) or the monomial concerned

    def __str__(self) -> str:
        return self.text


@dataclass
class Report:
    """What checking one formula on one grid found."""

    formula: Formula
    grid: str
    mode: str
    configurations: int = 0
    entries: int = 0
    mismatches: int = 0
    nonexistent: int = 0
    missing: int = 0
    extra: int = 0
    wrong_coefficients: int = 0
    numeric_configurations: int = 0
    numeric_mismatches: int = 0
    seconds: float = 0.0
    counterexamples: list = field(default_factory=list)
    causes: dict = field(default_factory=dict)  # cause in words -> [count, first example]

    @property
    def name(self) -> str:
        return self.formula.name

    @property
    def passed(self) -> bool:
        """True when every entry of every configuration equals the true gradient."""
        return self.configurations > 0 and self.mismatches == self.numeric_mismatches == 0

    @property
    def as_expected(self) -> bool:
        """Book formulas must pass; a reader's wrong formula must fail."""
        return self.passed == self.formula.expected

    @property
    def first(self) -> str:
        """The first counterexample in words, or "" if there is none."""
        return self.counterexamples[0].text if self.counterexamples else ""

    def verdict(self) -> str:
        counts = [f"{n} {words}" for name, words in COUNTED.items() if (n := getattr(self, name))]
        return "correct" if self.passed else "wrong: " + ", ".join(counts)

    def explain(self) -> str:
        """Every kind of error found, how often, and its first instance, in words."""
        name = self.name
        if not self.causes:
            return f"{name}: no counterexample on the {self.grid!r} grid."
        note = [f"({self.formula.note})"] if self.formula.note else []
        causes = [f"- {cause}: {n} times; first {ex}" for cause, (n, ex) in self.causes.items()]
        return "\n".join([f"{name}: {self.verdict()}", *note, *map(wrap, causes)])

    def row(self) -> dict:
        checked, wrong = self.numeric_configurations, self.numeric_mismatches
        return {
            "formula": self.name,
            "reading": "strict" if self.mode == "strict" else "zero outside",
            "the book says": "correct" if self.formula.expected else "wrong (a reader's)",
            "configurations": self.configurations,
            "entries": self.entries,
            "mismatches": self.mismatches,
            "verdict": self.verdict(),
            "numbers = convgrad": f"{checked - wrong}/{checked}" if checked else "not run",
            "first counterexample": self.first or "none",
        }

    def __str__(self) -> str:
        checked = self.numeric_configurations
        lines = [
            f"{self.name}: {self.formula.title}",
            f"  grid {self.grid!r}, {self.mode} reading: {self.configurations} configurations, "
            f"{self.entries} entries, {self.mismatches} mismatched ({self.seconds:.2f} s)",
            f"  verdict: {self.verdict()}",
        ]
        if checked:
            equal = checked - self.numeric_mismatches
            lines.append(f"  numeric: {equal} of {checked} configurations equal convgrad exactly")
        if self.first:
            lines.append(f"  first counterexample: {self.first}")
        return "\n".join(map(wrap, lines))

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return ReportTable([self])._repr_html_()


class ReportTable(list):
    """Several reports, shown as one table (HTML) or one after another (text)."""

    @property
    def passed(self) -> bool:
        """True when every formula behaves as the book claims (wrong ones fail).

        Only strict checks count: under the zero-outside reading a reader's formula
        may well pass, and that is what such a check is there to show.
        """
        return all(report.as_expected for report in self if report.mode == "strict")

    def _repr_html_(self) -> str:
        rows = [dict(r.row(), verdict="correct" if r.passed else "wrong") for r in self]
        header = list(rows[0])[:-1] if rows else []  # the counterexample gets its own line
        body = []
        for report, row in zip(self, rows, strict=True):
            body.append("".join(f"<td>{html.escape(str(row[h]))}</td>" for h in header))
            if not report.passed:
                text = html.escape(f"{report.verdict()}. First counterexample: {report.first}")
                style = f'colspan="{len(header)}" style="padding-left:2em"'
                body.append(f"<td {style}><small>{text}</small></td>")
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join(f"<tr>{cells}</tr>" for cells in body)
        # a smaller font lets the eight columns fit the page's text width
        return (
            '<div style="overflow-x:auto"><table class="formula-checks" style="font-size:0.8em">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )

    def __str__(self) -> str:
        return "\n\n".join(map(str, self))

    __repr__ = __str__


def wrap(line: str) -> str:
    """One line of a report, folded to the book's code column (``REPORT_WIDTH``)."""
    return textwrap.fill(line, width=REPORT_WIDTH, subsequent_indent="    ", break_on_hyphens=False)


# --- words ------------------------------------------------------------------------------------
def _entry_words(formula: Formula, key, config: Config) -> str:
    """A tensor entry as the formula writes it, e.g. ``W[1, 1, 4, 1]``."""
    tensor, book = key
    base, letter = formula.index_base, {"delta": "δ"}.get(tensor, tensor)
    refs = [r for r in formula.tensors.values() if r.tensor == tensor]
    for ref in sorted(refs, key=lambda r: r.zero_outside):  # a derived tensor only if no other
        positions = config.positions(tensor, ref.axes)
        if ref.flat:  # count row by row, as the formula does
            number = 0
            for p in positions:
                number = number * config.shapes[tensor][p] + book[p]
            return f"{ref.text}{number + base}"
        text = letter if ref.zero_outside else ref.text
        return f"{text}[{', '.join(str(book[p] + base) for p in positions)}]"
    return f"{letter}[{', '.join(map(str, book))}] (zero-based, NCHW)"


def monomial_words(formula: Formula, monomial, config: Config) -> str:
    """A product of tensor entries as the formula writes them, e.g. ``δ[1, 2]·W[0, 1]``."""
    ordered = sorted(monomial, key=lambda key: _WORD_ORDER[key[0]])
    return "·".join(_entry_words(formula, key, config) for key in ordered) or "the constant 1"


def _at_words(at: dict, sizes: str) -> str:
    where = ", ".join(f"{name}={value}" for name, value in at.items())
    return f"at {where or 'the one entry'}" + (f" with {sizes}" if sizes else "")


def access_words(access: Access) -> tuple[str, str]:
    """A read of an entry that does not exist: the words, and its cause."""
    term = ", ".join(f"{name}={value}" for name, value in access.where.items())
    index = ", ".join(map(str, access.index))
    read = f"{f'the term {term}' if term else 'the formula'} reads {access.text}[{index}]"
    if access.axis < 0:
        cause = f"reads {access.text} at an index that is not a whole number"
        return f"{read}, whose index is not a whole number", cause
    (first, last), axis = access.valid, access.axis
    which = ("1st", "2nd", "3rd")[axis] if axis < 3 else f"{axis + 1}th"
    which = "index" if len(access.index) == 1 else f"{which} index"
    span = f"its {which} runs {first}..{last}" if first <= last else "that axis is empty"
    side = "below" if access.index[axis] < first else "above"
    words = f"{read}, which does not exist ({span})"
    return words, f"reads {access.text} with its {which} {side} its range"


# --- the check --------------------------------------------------------------------------------
def numpy_available() -> bool:
    """True when numpy can be imported (not in the browser, where the checker runs on sympy)."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def _numeric(config: Config) -> tuple[dict, dict]:
    """Whole numbers for X, W, b, delta (float64 sums of them are exact), and convgrad's results."""
    import numpy as np

    import convgrad

    rng, kwargs = np.random.default_rng(0), config.conv_kwargs
    values = {n: rng.integers(-5, 6, size=s).astype(np.float64) for n, s in config.shapes.items()}
    y = convgrad.conv(values["X"], values["W"], values["b"], **kwargs)
    grads = convgrad.conv_backward(values["delta"], values["X"], values["W"], **kwargs)
    return values, {"y": y, "grad_x": grads.x, "grad_w": grads.w, "grad_b": grads.b}


def _truth(formula: Formula, config: Config, book_index) -> dict:
    truth = true_gradients(config)[formula.target][book_index]
    if formula.bias:
        return truth
    return {m: c for m, c in truth.items() if not (m and m[0][0] == "b")}  # it claims Y - b


def _formula(formula: Formula | str) -> Formula:
    if not isinstance(formula, Formula) and formula not in FORMULAS:
        raise KeyError(f"no formula named {formula!r}; the book's are: {', '.join(FORMULAS)}")
    return FORMULAS.get(formula, formula)


def check(
    formula: Formula | str, grid="full", *, mode="strict", numeric=True, evaluate=None
) -> Report:
    """Check ``formula`` at every index of every configuration of ``grid``.

    ``grid``: ``"small"``, ``"full"`` or a list of configurations. ``mode="strict"``
    (the book's reading) treats a read outside a tensor as an error; ``mode="zero"``
    reads every tensor as zero outside its range. ``numeric`` also compares the
    formula, evaluated on whole numbers, with ``convgrad``. ``evaluate(formula, config)``
    stands in for ``evaluate.entry_function`` (``check_backward``
    reads a function's terms this way).
    """
    formula, named = _formula(formula), isinstance(grid, str)
    if mode not in ("strict", "zero"):
        raise ValueError(f"mode must be 'strict' or 'zero', not {mode!r}")
    report, start = Report(formula, grid if named else "given", mode), time.perf_counter()
    for config in family_grid(formula.family, grid) if named else grid:
        if not formula.applies_to(config):
            raise ValueError(f"{formula.name} cannot address {config}")
        _check_config(formula, config, numeric, report, evaluate or entry_function)
    report.seconds = time.perf_counter() - start
    return report


def _check_config(
    formula: Formula, config: Config, numeric: bool, report: Report, evaluate
) -> None:
    entry, bad_reads = evaluate(formula, config)
    names, sizes = [str(s) for s in formula.indices], formula.describe_config(config)
    report.configurations += 1
    report.numeric_configurations += numeric
    if numeric:
        values, computed = _numeric(config)
        computed = computed[formula.target]
        if not formula.bias:
            computed = computed - values["b"].reshape((1, -1) + (1,) * config.ndim)
    numeric_wrong = False

    def keep(kind, text, cause, detail=None):
        counterexample = Counterexample(kind, config, at, f"{_at_words(at, sizes)}: {text}", detail)
        if len(report.counterexamples) < KEEP:
            report.counterexamples.append(counterexample)
        report.causes.setdefault(cause, [0, counterexample.text])[0] += 1

    for index, book_index in target_indices(formula, config):
        report.entries += 1
        bad_reads.clear()
        value, expected = entry(*index), _truth(formula, config, book_index)
        at = dict(zip(names, index, strict=True))
        for access in bad_reads if report.mode == "strict" else ():  # zero: reads of nothing
            report.nonexistent += 1
            keep("nonexistent", *access_words(access), access)
        for monomial in sorted(expected.keys() - value.keys()):
            report.missing += 1
            words = monomial_words(formula, monomial, config)
            text = f"the formula misses {words}, a term of the true gradient"
            keep("missing", text, "misses a term of the true gradient", monomial)
        for monomial in sorted(value.keys() - expected.keys()):
            report.extra += 1
            words = monomial_words(formula, monomial, config)
            text = f"the formula has {words}, which the true gradient does not have"
            keep("extra", text, "has a term the true gradient does not have", monomial)
        for monomial in sorted(
            m for m in value.keys() & expected.keys() if value[m] != expected[m]
        ):
            report.wrong_coefficients += 1
            have, want = value[monomial], expected[monomial]
            words = monomial_words(formula, monomial, config)
            text = f"{words} has coefficient {have} in the formula, {want} in the truth"
            keep("coefficient", text, "has a term with the wrong coefficient", monomial)
        report.mismatches += (report.mode == "strict" and bool(bad_reads)) or value != expected
        if numeric:
            number = sum(float(c) * math.prod(values[t][i] for t, i in m) for m, c in value.items())
            if number != computed[book_index]:
                numeric_wrong = True
                text = f"the formula gives {number:g}, convgrad {computed[book_index]:g}"
                keep("numeric", text, "differs from convgrad in numbers")
    report.numeric_mismatches += numeric_wrong


class Entry(NamedTuple):
    """One entry of a formula in one configuration, term by term, next to the truth."""

    formula: Formula
    config: Config
    at: dict
    terms: tuple  # the formula's terms that exist, in words
    true_terms: tuple  # the true gradient's terms, in words
    bad_reads: tuple  # reads of entries that do not exist, in words

    @property
    def agrees(self) -> bool:
        return not self.bad_reads and sorted(self.terms) == sorted(self.true_terms)

    def __str__(self) -> str:
        sizes = self.formula.describe_config(self.config)
        lines = [
            f"{self.formula.name} {_at_words(self.at, sizes)}",
            "  formula: " + (" + ".join(self.terms) or "0"),
            "  truth:   " + (" + ".join(self.true_terms) or "0"),
        ]
        return "\n".join(lines + [f"  error:   {text}" for text in self.bad_reads])

    __repr__ = __str__


def entry(formula: Formula | str, config: Config, **at) -> Entry:
    """The terms of one entry, e.g. ``entry("q5_grad_x_reader", config, ch=1, p=4, q=3)``."""
    formula = _formula(formula)
    function, bad_reads = entry_function(formula, config)
    names = [str(s) for s in formula.indices]
    wanted = tuple(at.get(name) for name in names)
    book_index = dict(target_indices(formula, config)).get(wanted)
    if book_index is None or len(at) != len(names):
        raise ValueError(f"{formula.name} (free indices {names}) has no entry {at} in {config}")

    def words(poly):
        return tuple(
            (f"{c}·" if c != 1 else "") + monomial_words(formula, m, config)
            for m, c in sorted(poly.items())
        )

    terms, truth = words(function(*wanted)), words(_truth(formula, config, book_index))
    return Entry(formula, config, at, terms, truth, tuple(access_words(a)[0] for a in bad_reads))


def readings(formula: Formula | str, grid="full") -> ReportTable:
    """The same formula checked under both readings, side by side (what zero-outside hides)."""
    return ReportTable(check(formula, grid, mode=mode) for mode in ("strict", "zero"))


def check_all(grid="full", *, names=None, mode="strict", numeric=True) -> ReportTable:
    """Check every registered formula (or those ``names``) on its ``grid``."""
    names = list(FORMULAS) if names is None else names
    return ReportTable(check(FORMULAS[name], grid, mode=mode, numeric=numeric) for name in names)
