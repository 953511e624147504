"""Check a formula against the true gradient at every index of every configuration.

For each configuration of the formula's grid, and each index of its left-hand
side, the formula is evaluated term by term (``evaluate.py``) and compared, as
an exact polynomial in the tensor entries, with the derivative sympy took of
``L = sum(delta * Y)`` (``forward.py``). A term that reads an entry which does
not exist, a term the true gradient has and the formula misses, a term the
formula adds, or a wrong coefficient is a counterexample, described in words.

The numeric side: the same formula, with whole numbers in place of the
symbols, must give exactly what ``convgrad.conv`` / ``convgrad.conv_backward``
compute for that configuration (whole numbers keep float64 sums exact).
"""

from __future__ import annotations

import functools
import html
import textwrap
import time
from dataclasses import dataclass, field

import numpy as np

from .catalog import FORMULAS
from .evaluate import Access, clean, entry_function, target_indices
from .formula import Formula, book_axes
from .forward import true_gradients
from .grids import grid as family_grid
from .tensors import Config

_ORDINAL = {0: "1st", 1: "2nd", 2: "3rd"}
_WORD_ORDER = {"delta": 0, "W": 1, "X": 2, "b": 3}  # as the book writes products: δ·W, W·X
KEEP = 200  # counterexamples kept per report (all are counted)


@dataclass(frozen=True)
class Counterexample:
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
    numeric_configurations: int = 0
    numeric_mismatches: int = 0
    seconds: float = 0.0
    counterexamples: list = field(default_factory=list)
    causes: dict = field(default_factory=dict)  # cause in words -> [count, first example]

    def explain(self) -> str:
        """Every kind of error found, how often, and its first instance, in words."""
        if not self.causes:
            return f"{self.name}: no counterexample on the {self.grid!r} grid."
        lines = [f"{self.name}: {self.verdict()}"]
        if self.formula.note:
            lines.append(f"({self.formula.note})")
        for cause, (count, example) in self.causes.items():
            lines.append(_wrap(f"- {cause}: {count} times; first {example}"))
        return "\n".join(lines)

    @property
    def name(self) -> str:
        return self.formula.name

    @property
    def passed(self) -> bool:
        """True when every entry of every configuration equals the true gradient."""
        return self.configurations > 0 and self.mismatches == 0 and self.numeric_mismatches == 0

    @property
    def as_expected(self) -> bool:
        """Book formulas must pass; a reader's wrong formula must fail."""
        return self.passed == self.formula.expected

    @property
    def first(self) -> str:
        """The first counterexample in words, or "" if there is none."""
        return self.counterexamples[0].text if self.counterexamples else ""

    def verdict(self) -> str:
        if self.passed:
            return "correct"
        parts = []
        if self.nonexistent:
            parts.append(f"{self.nonexistent} reads of entries that do not exist")
        if self.missing:
            parts.append(f"{self.missing} true terms missed")
        if self.extra:
            parts.append(f"{self.extra} wrong terms")
        if self.numeric_mismatches:
            parts.append(f"{self.numeric_mismatches} numeric mismatches")
        return "wrong: " + ", ".join(parts)

    def row(self) -> dict:
        numeric = (
            f"{self.numeric_configurations - self.numeric_mismatches}/{self.numeric_configurations}"
            if self.numeric_configurations
            else "not run"
        )
        return {
            "formula": self.name,
            "reading": "strict" if self.mode == "strict" else "zero outside",
            "the book says": "correct" if self.formula.expected else "wrong (a reader's)",
            "configurations": self.configurations,
            "entries": self.entries,
            "mismatches": self.mismatches,
            "verdict": self.verdict(),
            "numbers = convgrad": numeric,
            "first counterexample": self.first or "none",
        }

    def __str__(self) -> str:
        lines = [
            f"{self.name}: {self.formula.title}",
            f"  grid {self.grid!r}, {self.mode} reading: {self.configurations} configurations, "
            f"{self.entries} entries, {self.mismatches} mismatched ({self.seconds:.2f} s)",
            f"  verdict: {self.verdict()}",
        ]
        if self.numeric_configurations:
            lines.append(
                f"  numeric: {self.numeric_configurations - self.numeric_mismatches} of "
                f"{self.numeric_configurations} configurations equal convgrad exactly"
            )
        if self.first:
            lines.append(f"  first counterexample: {self.first}")
        return "\n".join(_wrap(line) for line in lines)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        return ReportTable([self])._repr_markdown_()

    def _repr_html_(self) -> str:
        return ReportTable([self])._repr_html_()


class ReportTable(list):
    """Several reports, shown as one table (markdown, HTML or plain text)."""

    @property
    def passed(self) -> bool:
        """True when every formula behaves as the book claims (wrong ones fail).

        Only strict checks count: under the zero-outside reading a reader's formula
        may well pass, and that is what such a check is there to show.
        """
        return all(report.as_expected for report in self if report.mode == "strict")

    def rows(self) -> list[dict]:
        return [report.row() for report in self]

    def _repr_markdown_(self) -> str:
        rows = self.rows()
        if not rows:
            return "(no formulas checked)"
        header = list(rows[0])
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in rows:
            cells = [str(row[h]).replace("|", "\\|") for h in header]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = self.rows()
        if not rows:
            return "<p>(no formulas checked)</p>"
        # what went wrong is a sentence: it gets a full-width line under its formula
        header = [h for h in rows[0] if h != "first counterexample"]
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = []
        for report, row in zip(self, rows, strict=True):
            short = dict(row, verdict="correct" if report.passed else "wrong")
            cells = "".join(f"<td>{html.escape(str(short[h]))}</td>" for h in header)
            body.append(f"<tr>{cells}</tr>")
            if not report.passed:
                text = html.escape(f"{row['verdict']}. First counterexample: {report.first}")
                body.append(
                    f'<tr><td colspan="{len(header)}" style="padding-left:2em">'
                    f"<small>{text}</small></td></tr>"
                )
        # a smaller font lets the eight columns fit the page's text width
        return (
            '<div style="overflow-x:auto"><table class="formula-checks" style="font-size:0.8em">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        )

    def __str__(self) -> str:
        return "\n\n".join(str(report) for report in self)

    __repr__ = __str__


# the book's code column holds about 77 characters of monospace text
REPORT_WIDTH = 76


def _wrap(line: str) -> str:
    return textwrap.fill(line, width=REPORT_WIDTH, subsequent_indent="    ", break_on_hyphens=False)


# --- words --------------------------------------------------------------------------------
def _entry_words(formula: Formula, key, config: Config) -> str:
    """A tensor entry as the formula writes it, e.g. ``W[1, 1, 4, 1]``."""
    tensor, book_index = key
    axes = book_axes(tensor, config.ndim)
    for ref in formula.tensors.values():
        if ref.tensor == tensor and not ref.zero_outside:
            index = [book_index[axes.index(a)] + formula.index_base for a in ref.axes]
            if ref.flat:  # count row by row, as the formula does
                shape = config.shapes[tensor]
                sizes = [shape[axes.index(a)] for a in ref.axes]
                flat = 0
                for value, size in zip(index, sizes, strict=True):
                    flat = flat * size + value - formula.index_base
                return f"{ref.text}{flat + formula.index_base}"
            return f"{ref.text}[{', '.join(map(str, index))}]"
    letter = {"delta": "δ"}.get(tensor, tensor)
    for ref in formula.tensors.values():  # only a derived tensor: name the entry it shows
        if ref.tensor == tensor and not ref.flat:
            index = [book_index[axes.index(a)] + formula.index_base for a in ref.axes]
            return f"{letter}[{', '.join(map(str, index))}]"
    return f"{letter}[{', '.join(map(str, book_index))}] (zero-based, NCHW)"


def _monomial_words(formula: Formula, monomial, config: Config) -> str:
    if not monomial:
        return "the constant 1"
    ordered = sorted(monomial, key=lambda key: _WORD_ORDER[key[0]])
    return "·".join(_entry_words(formula, key, config) for key in ordered)


def _at_words(formula: Formula, at: dict, config: Config) -> str:
    where = ", ".join(f"{name}={value}" for name, value in at.items())
    sizes = formula.describe_config(config)
    sizes = f" with {sizes}" if sizes else ""
    return f"at {where}{sizes}" if where else f"at the one entry{sizes}"


def _access_words(formula: Formula, access: Access) -> str:
    index = ", ".join(str(i) for i in access.index)
    term = ", ".join(f"{name}={value}" for name, value in access.where.items())
    term = f"the term {term}" if term else "the formula"
    if access.axis < 0:
        return f"{term} reads {access.text}[{index}], whose index is not a whole number"
    first, last = access.valid
    which = _ORDINAL.get(access.axis, f"{access.axis + 1}th")
    if len(access.index) == 1:
        span = f"its index runs {first}..{last}"
    else:
        span = f"its {which} index runs {first}..{last}"
    if last < first:
        span = "that axis is empty"
    return f"{term} reads {access.text}[{index}], which does not exist ({span})"


# --- the check ------------------------------------------------------------------------------
def _numbers(config: Config, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        name: rng.integers(-5, 6, size=shape).astype(np.float64)
        for name, shape in config.shapes.items()
    }


@functools.lru_cache(maxsize=4096)
def _convgrad_result(config: Config) -> dict[str, np.ndarray]:
    import convgrad

    values = _numbers(config)
    kwargs = config.conv_kwargs
    y = convgrad.conv(values["X"], values["W"], values["b"], **kwargs)
    grads = convgrad.conv_backward(values["delta"], values["X"], values["W"], **kwargs)
    return {"y": y, "grad_x": grads.x, "grad_w": grads.w, "grad_b": grads.b}


def _value(poly: dict, values: dict[str, np.ndarray]) -> float:
    total = 0.0
    for monomial, coeff in poly.items():
        term = float(coeff)
        for tensor, index in monomial:
            term *= values[tensor][index]
        total += term
    return total


def check(
    formula: Formula | str,
    grid: str | list[Config] = "full",
    *,
    mode: str = "strict",
    numeric: bool = True,
) -> Report:
    """Check ``formula`` at every index of every configuration of ``grid``.

    ``grid``: ``"small"``, ``"full"`` or a list of configurations. ``mode="strict"``
    (the book's reading) treats a read outside a tensor as an error; ``mode="zero"``
    reads every tensor as zero outside its range. ``numeric`` also compares the
    formula, evaluated on whole numbers, with ``convgrad``.
    """
    formula = _formula(formula)
    if isinstance(grid, str):
        grid_name, configs = grid, family_grid(formula.family, grid)
    else:
        grid_name, configs = "given", list(grid)
    report = Report(formula, grid_name, mode)
    start = time.perf_counter()
    for config in configs:
        if not formula.applies_to(config):
            raise ValueError(f"{formula.name} cannot address {config.describe()}")
        _check_config(formula, config, mode, numeric, report)
    report.seconds = time.perf_counter() - start
    return report


def _formula(formula: Formula | str) -> Formula:
    if isinstance(formula, Formula):
        return formula
    if formula not in FORMULAS:
        raise KeyError(f"no formula named {formula!r}; the book's are: {', '.join(FORMULAS)}")
    return FORMULAS[formula]


def _keep(report: Report, counterexample: Counterexample, cause: str) -> None:
    if len(report.counterexamples) < KEEP:
        report.counterexamples.append(counterexample)
    if cause in report.causes:
        report.causes[cause][0] += 1
    else:
        report.causes[cause] = [1, counterexample.text]


def _access_cause(access: Access) -> str:
    if access.axis < 0:
        return f"reads {access.text} at an index that is not a whole number"
    first, last = access.valid
    value = access.index[access.axis]
    side = "below" if value < first else "above"
    if len(access.index) == 1:
        return f"reads {access.text} with its index {side} its range"
    which = _ORDINAL.get(access.axis, f"{access.axis + 1}th")
    return f"reads {access.text} with its {which} index {side} its range"


def _check_config(formula, config, mode, numeric, report) -> None:
    truth = true_gradients(config).target(formula.target)
    entry, arguments, bad_reads = entry_function(formula, config, mode)
    names = [str(s) for s in formula.indices]
    report.configurations += 1
    values = convgrad_values = None
    if numeric:
        values = _numbers(config)
        convgrad_values = _convgrad_result(config)[formula.target]
        if formula.target == "y" and not formula.bias:
            convgrad_values = convgrad_values - values["b"].reshape((1, -1) + (1,) * config.ndim)
        report.numeric_configurations += 1
    numeric_wrong = False
    for index, book_index in target_indices(formula, config):
        report.entries += 1
        bad_reads.clear()
        value = clean(entry(*arguments, *index))
        expected = truth[book_index]
        if not formula.bias:  # the formula claims Y - b: leave the bias term out
            expected = {m: c for m, c in expected.items() if not (m and m[0][0] == "b")}
        at = dict(zip(names, index, strict=True))
        wrong = False
        for access in bad_reads:
            wrong = True
            report.nonexistent += 1
            text = f"{_at_words(formula, at, config)}: {_access_words(formula, access)}"
            _keep(
                report,
                Counterexample("nonexistent", config, at, text, access),
                _access_cause(access),
            )
        if value != expected:
            wrong = True
            for monomial in expected.keys() - value.keys():
                report.missing += 1
                text = (
                    f"{_at_words(formula, at, config)}: the formula misses "
                    f"{_monomial_words(formula, monomial, config)}, a term of the true gradient"
                )
                _keep(
                    report,
                    Counterexample("missing", config, at, text, monomial),
                    "misses a term of the true gradient",
                )
            for monomial in value.keys() - expected.keys():
                report.extra += 1
                text = (
                    f"{_at_words(formula, at, config)}: the formula has "
                    f"{_monomial_words(formula, monomial, config)}, "
                    "which the true gradient does not have"
                )
                _keep(
                    report,
                    Counterexample("extra", config, at, text, monomial),
                    "has a term the true gradient does not have",
                )
            for monomial in value.keys() & expected.keys():
                if value[monomial] != expected[monomial]:
                    report.extra += 1
                    text = (
                        f"{_at_words(formula, at, config)}: "
                        f"{_monomial_words(formula, monomial, config)} has coefficient "
                        f"{value[monomial]} in the formula, {expected[monomial]} in the truth"
                    )
                    _keep(
                        report,
                        Counterexample("coefficient", config, at, text, monomial),
                        "has a term with the wrong coefficient",
                    )
        if wrong:
            report.mismatches += 1
        if numeric:
            number = _value(value, values)
            if number != convgrad_values[book_index]:
                numeric_wrong = True
                text = (
                    f"{_at_words(formula, at, config)}: the formula gives {number:g}, "
                    f"convgrad {convgrad_values[book_index]:g}"
                )
                _keep(
                    report,
                    Counterexample("numeric", config, at, text),
                    "differs from convgrad in numbers",
                )
    if numeric_wrong:
        report.numeric_mismatches += 1


@dataclass(frozen=True)
class Entry:
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
        lines = [
            f"{self.formula.name} {_at_words(self.formula, self.at, self.config)}",
            "  formula: " + (" + ".join(self.terms) or "0"),
            "  truth:   " + (" + ".join(self.true_terms) or "0"),
        ]
        lines += [f"  error:   {text}" for text in self.bad_reads]
        return "\n".join(lines)

    __repr__ = __str__


def entry(formula: Formula | str, config: Config, **at) -> Entry:
    """The terms of one entry, e.g. ``entry("q5_grad_x_reader", config, ch=1, p=4, q=3)``."""
    formula = _formula(formula)
    names = [str(s) for s in formula.indices]
    if sorted(at) != sorted(names):
        raise ValueError(f"{formula.name} has the free indices {names}, got {sorted(at)}")
    function, arguments, bad_reads = entry_function(formula, config, "strict")
    wanted = tuple(at[name] for name in names)
    for index, target_index in target_indices(formula, config):
        if index == wanted:
            book_index = target_index
            break
    else:
        raise ValueError(f"{formula.name} has no entry {at} in {config.describe()}")
    value = clean(function(*arguments, *index))
    truth = true_gradients(config).target(formula.target)[book_index]
    if not formula.bias:
        truth = {m: c for m, c in truth.items() if not (m and m[0][0] == "b")}

    def words(poly):
        return tuple(
            (f"{c}·" if c != 1 else "") + _monomial_words(formula, m, config)
            for m, c in sorted(poly.items())
        )

    return Entry(
        formula,
        config,
        dict(at),
        words(value),
        words(truth),
        tuple(_access_words(formula, access) for access in bad_reads),
    )


def readings(formula: Formula | str, grid: str | list[Config] = "full") -> ReportTable:
    """The same formula checked under both readings, side by side (what zero-outside hides)."""
    return ReportTable(check(formula, grid, mode=mode) for mode in ("strict", "zero"))


def check_all(
    grid: str = "full", *, names=None, mode: str = "strict", numeric: bool = True
) -> ReportTable:
    """Check every registered formula (or those ``names``) on its ``grid``."""
    names = list(FORMULAS) if names is None else list(names)
    return ReportTable(check(FORMULAS[name], grid, mode=mode, numeric=numeric) for name in names)


__all__ = [
    "Counterexample",
    "Report",
    "ReportTable",
    "check",
    "check_all",
]
