"""Check your own derivation: a formula typed as text, or a backward function (Chapter 13).

Both answer exactly whether yours equals the true gradient (sympy's derivative of
``L = sum(delta * Y)``) at every entry of a grid of small configurations, and when it
does not, name the first wrong entry with the terms it misses and the terms it has
too many, in your own letters::

    from convgrad.symbolic import check_text
    result = check_text(
        "dX[ch,p,q] = Sum(dO[f,i,j]*W[f,ch,p-(i-1)*s,q-(j-1)*s],"
        " (f,1,n_f), (i,i_lo,i_hi), (j,j_lo,j_hi))",
        where={"i_lo": "floor((p-f_r)/s+1)", "i_hi": "floor((p-1)/s+1)",
               "j_lo": "floor((q-f_c)/s+1)", "j_hi": "floor((q-1)/s+1)"},
        tensors={"dX": "grad_x[c,h,w]", "dO": "delta[f,h,w]", "W": "w[f,c,h,w]"},
        sizes={"s": "stride", "f_r": "kernel_h", "f_c": "kernel_w", "n_f": "filters"},
        index_base=1, stride=(1, 2, 3),
    )
    print(result)          # correct, or the first wrong entry in words
    assert result.passed   # in a test of your own

``check_text`` reads the formula with sympy (the syntax is Python's, see its docstring);
``check_backward`` calls your function with one-hot whole-number inputs: each gradient
is bilinear in ``delta`` and ``W`` (or ``X``), so each call gives one coefficient, exactly.
"""

from __future__ import annotations

import ast
import itertools
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from typing import NamedTuple

import sympy
from sympy.parsing.sympy_parser import parse_expr

from .check import Report, access_words, check, monomial_words, numpy_available, wrap
from .evaluate import NAMESPACE, Poly, compile_formula, target_indices
from .formula import TARGET_TENSOR, Formula, TensorRef
from .tensors import SIZES, Config, size_params

#: a role of ``tensors`` -> (the book's tensor, the axes it may address)
ROLES = {
    "x": ("X", "nchw"),
    "w": ("W", "fchw"),
    "b": ("b", "f"),
    "delta": ("delta", "nfhw"),
    "y": ("delta", "nfhw"),
    "grad_x": ("X", "nchw"),
    "grad_w": ("W", "fchw"),
    "grad_b": ("b", "f"),
}
TARGETS = ("y", "grad_x", "grad_w", "grad_b")
#: names the text may call, in the reader's spelling -> sympy's
FUNCTIONS = {
    "Sum": sympy.Sum,
    "sum": sympy.Sum,
    "floor": sympy.floor,
    "ceil": sympy.ceiling,
    "ceiling": sympy.ceiling,
    "min": sympy.Min,
    "Min": sympy.Min,
    "max": sympy.Max,
    "Max": sympy.Max,
    "Mod": sympy.Mod,
    "mod": sympy.Mod,
    "Piecewise": sympy.Piecewise,
    "And": sympy.And,
    "Or": sympy.Or,
    "True": sympy.true,
    "False": sympy.false,
}


# --- the verdict ------------------------------------------------------------------------------
class WrongEntry(NamedTuple):
    """The first entry where yours differs from the true gradient, term by term, in words."""

    entry: str  # e.g. "dX[1, 1, 4]"
    sizes: str  # the configuration, in your size names
    missing: tuple[str, ...]  # true terms yours does not have
    extra: tuple[str, ...]  # terms yours has and the truth does not
    bad_reads: tuple[str, ...]  # reads of entries that do not exist
    coefficients: tuple[str, ...]  # terms with the wrong coefficient

    def __str__(self) -> str:
        parts = [f"missing {_some(self.missing)}", f"extra: {_some(self.extra)}"]
        parts += [f"wrong coefficient: {text}" for text in self.coefficients]
        if self.bad_reads:
            more = len(self.bad_reads) - 1
            tail = f" (and {more} more such read{'s' * (more > 1)})" if more else ""
            parts.append(self.bad_reads[0] + tail)
        return f"{self.entry} ({self.sizes}): " + "; ".join(parts)


@dataclass
class DerivationCheck:
    """What checking your formula or function found; ``passed`` is the verdict."""

    what: str  # your formula, or your function's name
    reports: list  # one convgrad.symbolic Report per gradient checked
    entry_names: dict  # target -> how your entries are written, e.g. "dX"
    settings: str  # the layers of the grid, e.g. "stride 1, 2, 3"
    formula: Formula | None = None  # a typed formula as parsed (``.display()`` shows it)
    not_bilinear: str = ""  # check_backward: where probing and plain numbers disagree

    @property
    def passed(self) -> bool:
        """True when every entry equals the truth (and a probed function is bilinear)."""
        return not self.not_bilinear and all(report.passed for report in self.reports)

    @property
    def first_wrong(self) -> WrongEntry | None:
        """The first wrong entry of the first gradient that is wrong, or None."""
        for report in self.reports:
            if not report.passed and report.counterexamples:
                return _wrong_entry(report, self.entry_names[report.formula.target])
        return None

    def __str__(self) -> str:
        configurations = self.reports[0].configurations if self.reports else 0
        entries = sum(report.entries for report in self.reports)
        grid = f"{entries} entries of {configurations} configurations ({self.settings})"
        forward = self.reports and self.reports[0].formula.target == "y"
        truth = "output" if forward else "gradient"
        if self.passed:  # wrapped to the book's code column
            return "\n".join(
                map(wrap, [self.what, f"correct: equals the true {truth} at all {grid}"])
            )
        wrong = sum(report.mismatches for report in self.reports)
        lines = [self.what, f"wrong: {wrong} of {grid} differ"]
        if self.first_wrong:
            lines.append(f"first wrong entry: {self.first_wrong}")
        if self.not_bilinear:
            lines.append(self.not_bilinear)
        return "\n".join(map(wrap, lines))

    __repr__ = __str__


def _some(terms, shown=3) -> str:
    """Up to ``shown`` terms joined by +, and how many more."""
    more = f" (and {len(terms) - shown} more)" if len(terms) > shown else ""
    return " + ".join(terms[:shown]) + more if terms else "none"


def _wrong_entry(report: Report, name: str) -> WrongEntry:
    first, formula = report.counterexamples[0], report.formula
    same = [c for c in report.counterexamples if (c.config, c.at) == (first.config, first.at)]
    found = {kind: [c for c in same if c.kind == kind] for kind in ("missing", "extra")}
    terms = {
        k: tuple(monomial_words(formula, c.detail, c.config) for c in v) for k, v in found.items()
    }
    reads = tuple(access_words(c.detail)[0] for c in same if c.kind == "nonexistent")
    coefficients = tuple(c.text.split(": ", 1)[1] for c in same if c.kind == "coefficient")
    index = ", ".join(str(value) for value in first.at.values())
    sizes = formula.describe_config(first.config)
    return WrongEntry(
        f"{name}[{index}]", sizes, terms["missing"], terms["extra"], reads, coefficients
    )


# --- the grid ---------------------------------------------------------------------------------
def _per_value(value, name: str) -> tuple[int, ...]:
    values = (value,) if isinstance(value, int) else tuple(value)
    if not values or not all(isinstance(v, int) and v >= 0 for v in values):
        raise ValueError(f"{name} must be a whole number or a tuple of them, not {value!r}")
    return values


#: per grid: (input size, kernel, (samples, channels, filters) at most) for each layer
SHAPES = {
    "small": [
        ((5, 5), (3, 3), (1, 2, 2)),
        ((5, 4), (2, 3), (1, 2, 2)),
        ((4, 4), (2, 2), (2, 1, 2)),
    ],
    "full": [
        (size, kernel, (2, 2, 3))
        for size in ((5, 5), (6, 4), (7, 6))
        for kernel in ((1, 1), (2, 3), (3, 3), (3, 2))
    ],
}


def layer_grid(formula: Formula, grid="small", *, stride=1, padding=0, dilation=1):
    """The configurations a check runs on: each shape of ``SHAPES[grid]`` with each
    ``stride``, ``padding`` and ``dilation`` given, and one sample, channel or filter
    where the formula has no axis for them. ``grid`` may also be a list of Config."""
    if not isinstance(grid, str):
        return list(grid)
    if grid not in SHAPES:
        raise ValueError(f"grid must be 'small', 'full' or a list of Config, not {grid!r}")
    values = [_per_value(v, n) for v, n in ((stride, "stride"), (padding, "padding"))]
    layers = list(itertools.product(*values, _per_value(dilation, "dilation")))
    configs = []
    for (in_size, kernel, counts), (s, p, d) in itertools.product(SHAPES[grid], layers):
        for n, c, f in itertools.product(*((count, 1) for count in counts)):  # most that fit
            sizes = dict(batch=n, channels=c, filters=f, stride=s, padding=p, dilation=d)
            config = Config.make(in_size, kernel, **sizes)
            if formula.applies_to(config):
                configs.append(config)
                break
    if not configs:
        raise ValueError(f"no configuration of the {grid!r} grid fits the tensors' axes")
    return configs


def _settings(configs) -> str:
    names = {"stride": "stride", "dilation": "dilation"}
    parts = []
    for field, word in names.items():
        values = sorted({getattr(c, field)[0] for c in configs})
        parts.append(f"{word} {', '.join(map(str, values))}")
    pads = sorted({c.padding[0][0] for c in configs})
    return ", ".join([parts[0], f"padding {', '.join(map(str, pads))}", parts[1]])


# --- (a) a formula as text --------------------------------------------------------------------
#: ``check_text``'s default ``max_steps``: passes through the loops of a formula's sums on
#: its grid. A step costs a few microseconds, tens when it reads an entry that does not
#: exist (counted and described); far more steps would keep a browser busy for minutes.
MAX_STEPS = 200_000


def _steps(expr):
    """The number of passes through the loops of ``expr``'s sums, as an expression."""
    if isinstance(expr, sympy.Sum):
        return sympy.Sum(1 + _steps(expr.function), *expr.limits)
    return sympy.Add(*map(_steps, expr.args)) if expr.args else sympy.Integer(0)


def _count_steps(formula: Formula, configs, stop: int) -> int:
    """The steps ``formula``'s sums take at every entry of ``configs``, counted before any
    is evaluated (each loop is charged before it runs); past ``stop``, ``stop + 1``."""
    counting = formula.variant(name=f"{formula.name} (steps)", rhs=_steps(formula.rhs))
    source, _, _ = compile_formula(counting)
    steps = 0

    class Enough(Exception):
        pass

    def charged(start, end):  # the counting formula's loops: the formula's own bounds
        nonlocal steps
        loop = range(start, end)
        steps += len(loop)
        if steps > stop:
            raise Enough
        return loop

    namespace = dict(NAMESPACE, range=charged)
    exec(compile(source, "<steps>", "exec"), namespace)  # noqa: S102
    try:
        for config in configs:
            values = formula.param_values(config)
            _, entry = namespace["_make"](lambda *_: 0, *(values[s] for s in formula.params))
            for index, _ in target_indices(formula, config):
                entry(*index)
    except Enough:
        return stop + 1
    return steps


#: a letter and its indices, e.g. ``dX[c,p,q]``, or a role and its axes, ``delta[f,h,w]``
_WITH_INDICES = re.compile(r"\s*(\w+)\s*(?:\[([\w\s,]*)\])?\s*")
#: the one "=" between the sides, not part of <=, >=, ==, !=
_EQUALS = r"(?<![<>=!])=(?!=)"


def _with_indices(text: str) -> tuple[str, tuple[str, ...]] | None:
    """``"dX[c, p, q]"`` -> ``("dX", ("c", "p", "q"))``; None if it is not of that form."""
    match = _WITH_INDICES.fullmatch(text)
    if not match:
        return None
    return match.group(1), tuple(a.strip() for a in (match.group(2) or "").split(",") if a.strip())


def _tensor_spec(letter: str, spec: str) -> tuple[str, tuple[str, ...]]:
    role, axes = _with_indices(spec) or (None, ())
    if role not in ROLES:
        raise ValueError(
            f"tensors[{letter!r}] = {spec!r}: write a role and the axes its indices address, "
            f"e.g. 'delta[f,h,w]'; roles: {', '.join(ROLES)}"
        )
    allowed = ROLES[role][1]
    for axis in axes:
        if axis not in allowed or axes.count(axis) > 1:
            raise ValueError(
                f"tensors[{letter!r}] = {spec!r}: axis {axis!r} is not one of {role}'s axes "
                f"{', '.join(allowed)} (n batch, c channel, f filter, h row, w column), once each"
            )
    return role, axes


def _syntax_error(text: str, what: str) -> ValueError | None:
    """Python's words for a syntax error in ``text`` and where it is, or None."""
    typed = text.strip()
    try:
        ast.parse(typed, mode="eval")
    except SyntaxError as error:
        return ValueError(f"could not read {what} {typed!r}: {error.msg} (column {error.offset})")
    return None


def _identifiers(text: str, what: str) -> list[str]:
    try:
        tokens = list(tokenize.generate_tokens(StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as error:
        raise _syntax_error(text, what) or ValueError(
            f"could not read {what} {text!r}: {error}"
        ) from None
    numbers = [t.string for t in tokens if t.type == tokenize.NUMBER and not t.string.isdigit()]
    if numbers:
        raise ValueError(f"{what} {text!r} has the number {numbers[0]}: only whole numbers, exact")
    return [t.string for t in tokens if t.type == tokenize.NAME]


def _parse(text: str, what: str, names: dict):
    local = {
        name: names.get(name, FUNCTIONS.get(name)) or sympy.Symbol(name)
        for name in _identifiers(text, what)
    }
    try:
        return parse_expr(text, local_dict=local, evaluate=False)  # as typed, for display
    except Exception as error:  # sympy raises many kinds; the reader needs one message
        raise _syntax_error(text, what) or ValueError(
            f"could not read {what} {text!r}: {type(error).__name__}: {error}"
        ) from None


def _outer_first(expr):
    """Sums as written left to right: ``Sum(body, (f,..), (i,..))`` is sum over f of sum over i."""
    return expr.replace(
        lambda e: isinstance(e, sympy.Sum), lambda e: sympy.Sum(e.function, *reversed(e.limits))
    )


def check_text(
    text: str,
    *,
    tensors: dict[str, str],
    sizes: dict[str, str] | None = None,
    where: dict[str, str] | None = None,
    index_base: int = 1,
    stride=1,
    padding=0,
    dilation=1,
    grid="small",
    max_steps: int = MAX_STEPS,
) -> DerivationCheck:
    """Check a gradient formula typed in your own notation (Chapter 13).

    ``text``: ``"lhs = rhs"`` in Python syntax, e.g.
    ``"dX[ch,p,q] = Sum(dO[f,i,j]*W[f,ch,p-(i-1)*s,q-(j-1)*s], (f,1,n_f), (i,i_lo,i_hi))"``.
    A sum is ``Sum(body, (index, first, last), ...)``, both ends included, read left to
    right as sum over the first index of sum over the next (a range may use the indices
    before it); a range whose last is below its first has no terms. Also allowed:
    ``+ - * /`` (exact division), ``//`` and ``floor``, ``ceil``, ``min``, ``max``,
    ``Mod`` or ``%``, ``Piecewise((value, condition), (0, True))``; whole numbers only.
    Tensors are read strictly: reading an entry that does not exist is an error.

    ``tensors``: each letter that carries indices -> its role and the axes its indices
    address, in your order: ``"x[c,h,w]"``, ``"w[f,c,h,w]"``, ``"delta[f,h,w]"`` (the
    upstream gradient), ``"b[f]"``; the left-hand side's letter is ``"grad_x[...]"``,
    ``"grad_w[...]"``, ``"grad_b[...]"`` or ``"y[...]"`` (the forward pass). Axes: ``n``
    batch, ``c`` channel, ``f`` filter, ``h`` row, ``w`` column; an axis you leave out
    has size 1 in every configuration checked.
    ``sizes``: each size symbol -> one of ``SIZES`` (``stride``, ``kernel_h``,
    ``out_h``, ``channels``...). ``where``: helper names -> their text, worked out in
    order once the free indices are known (e.g. the bounds ``i_lo``, ``i_hi``).
    ``index_base``: 1 if your indices count from 1. ``stride``, ``padding``,
    ``dilation``: a value or a tuple of values the layers of the grid take (the ones
    your formula claims to cover). ``grid``: ``"small"``, ``"full"`` or a list of
    ``Config``.

    The check needs sympy alone (it also runs in the browser); where numpy is installed,
    each report also compares the formula on whole numbers with ``convgrad``.

    ``max_steps``: the most passes through the sums' loops on the whole grid, counted before
    any entry is evaluated.

    Raises ValueError naming what could not be read, or the count of steps when it is
    above ``max_steps``. Returns a ``DerivationCheck``.
    """
    sizes, where = dict(sizes or {}), dict(where or {})
    lhs_text, rhs_text = _sides(text, index_base)
    target, letters = _letters(lhs_text, tensors, sizes)
    rhs, definitions = _right_side(rhs_text, letters, where, sizes, target)
    formula = _formula(text, target, letters, rhs, definitions, sizes, index_base)
    configs = layer_grid(formula, grid, stride=stride, padding=padding, dilation=dilation)
    report = _check_within(formula, configs, max_steps)
    return DerivationCheck(
        text, [report], {target.role: target.letter}, _settings(configs), formula
    )


class _Target(NamedTuple):
    """The left-hand side as read: its letter, role (``grad_x``...), axes and free indices."""

    letter: str
    role: str
    axes: tuple[str, ...]
    free: tuple[str, ...]


def _sides(text: str, index_base: int) -> tuple[str, str]:
    """Parse, first step: the left-hand and right-hand sides, split at the one ``=``."""
    if index_base not in (0, 1):
        raise ValueError(f"index_base must be 0 or 1, not {index_base!r}")
    if len(re.findall(_EQUALS, text)) != 1:
        raise ValueError(f"write the formula as 'lhs = rhs', e.g. 'dX[c,p,q] = Sum(...)': {text!r}")
    lhs_text, rhs_text = re.split(_EQUALS, text, maxsplit=1)
    return lhs_text, rhs_text


def _letters(lhs_text: str, tensors: dict, sizes: dict) -> tuple[_Target, dict]:
    """Map the reader's letters: the target (the left-hand side's letter) and every other
    letter -> (its role, the axes its indices address), as ``tensors`` says."""
    letters = {letter: _tensor_spec(letter, spec) for letter, spec in tensors.items()}
    for symbol, size in sizes.items():
        if size not in SIZES:
            raise ValueError(f"sizes[{symbol!r}] = {size!r} is not one of: {', '.join(SIZES)}")
    lhs = _with_indices(lhs_text)
    if not lhs:
        raise ValueError(
            f"the left-hand side {lhs_text.strip()!r} is not a letter with indices like dX[c,p,q]"
        )
    letter, free = lhs
    if letter not in letters or letters[letter][0] not in TARGETS:
        raise ValueError(
            f"the left-hand side {letter} needs a role in tensors: "
            f"{letter!r}: 'grad_x[...]' (or grad_w, grad_b, y)"
        )
    role, axes = letters.pop(letter)
    if len(free) != len(axes):
        raise ValueError(f"{letter} has {len(free)} indices, but tensors gives it the axes {axes}")
    return _Target(letter, role, axes, free), letters


def _bases(letters: dict) -> dict:
    """Each letter as sympy reads it: indexed if it has axes, else a plain symbol."""
    return {
        letter: sympy.IndexedBase(letter) if axes else sympy.Symbol(letter)
        for letter, (_, axes) in letters.items()
    }


def _right_side(rhs_text: str, letters: dict, where: dict, sizes: dict, target: _Target):
    """Parse the right-hand side and ``where``'s definitions into sympy, checking that each
    letter read is a tensor with as many indices as its axes, and each name is known."""
    for letter in re.findall(r"([A-Za-z_]\w*)\s*\[", rhs_text):
        if letter not in letters:
            raise ValueError(
                f"the formula reads {letter}[...], but tensors does not say what {letter} is"
            )
    rhs = _outer_first(_parse(rhs_text, "the right-hand side", _bases(letters)))
    definitions = tuple(
        (sympy.Symbol(name), _parse(value, f"where[{name!r}]", {})) for name, value in where.items()
    )
    for read in rhs.atoms(sympy.Indexed):
        letter = str(read.base)
        if letter not in letters:
            raise ValueError(f"the formula reads {read}, but tensors does not say what {letter} is")
        role, axes = letters[letter]
        if len(read.indices) != len(axes):
            raise ValueError(
                f"{read} has {len(read.indices)} indices, but {letter} is {role}{list(axes)}"
            )
    summed = {str(limit[0]) for s in rhs.atoms(sympy.Sum) for limit in s.limits}
    known = set(target.free) | set(sizes) | set(where) | set(letters) | summed | set(FUNCTIONS)
    texts = [("the right-hand side", rhs_text), *((f"where[{n!r}]", v) for n, v in where.items())]
    for what, source in texts:
        for name in _identifiers(source, what):
            if name not in known:
                raise ValueError(
                    f"{what} uses {name!r}, which is not a summed index, an index of "
                    f"{target.letter}, a name in where, a size in sizes or a tensor in tensors"
                )
    return rhs, definitions


def _formula(text, target: _Target, letters, rhs, definitions, sizes, index_base) -> Formula:
    """Build the reader's formula: the book's ``Formula``, in the reader's letters."""
    free = tuple(sympy.Symbol(n) for n in target.free)
    lhs = sympy.IndexedBase(target.letter)[free] if free else sympy.Symbol(target.letter)
    bases = _bases(letters)
    refs = {
        bases[letter]: TensorRef(ROLES[role][0], axes, letter)
        for letter, (role, axes) in letters.items()
    }
    params = size_params(sizes)
    return Formula(
        "yours",
        text,
        target.role,
        lhs,
        rhs,
        free,
        target.axes,
        refs,
        params,
        "yours",
        index_base=index_base,
        definitions=definitions,
        brackets=True,
    )


def _check_within(formula: Formula, configs, max_steps: int) -> Report:
    """Check, once the sums' steps on the grid are counted and within ``max_steps``."""
    try:
        steps = _count_steps(formula, configs, stop=10 * max_steps)
        if steps > max_steps:
            count = f"more than {10 * max_steps:,}" if steps > 10 * max_steps else f"{steps:,}"
            raise ValueError(
                f"the sums take {count} steps on the grid's {len(configs)} configurations; "
                f"the limit is max_steps = {max_steps:,} (more could take minutes): check "
                "their ranges, or pass a larger max_steps"
            )
        return check(formula, configs, numeric=numpy_available())  # exact terms either way
    except (NameError, TypeError, ZeroDivisionError) as error:
        raise ValueError(
            f"could not evaluate {formula.title!r}: {type(error).__name__}: {error}"
        ) from None


# --- (b) a backward function ------------------------------------------------------------------
#: what each gradient is probed with: one-hot upstream gradient times one-hot ...
PROBES = {"grad_x": ("delta", "W"), "grad_w": ("delta", "X"), "grad_b": ("delta",)}
ARGUMENTS = ("delta", "x", "w", "b", "stride", "padding")
NAMES = {"grad_x": "dL/dX", "grad_w": "dL/dW", "grad_b": "dL/db"}
_BOOK = {"x": "X", "w": "W", "b": "b", "delta": "delta"}


def _adapter(target: str, batch: bool) -> Formula:
    """A stand-in formula for a function: its letters and sizes for the report's words."""
    keep = (lambda axes: axes) if batch else (lambda axes: tuple(a for a in axes if a != "n"))
    refs = {
        sympy.IndexedBase(name): TensorRef(name, keep(axes), name)
        for name, axes in (("delta", "nfhw"), ("W", "fchw"), ("X", "nchw"))
    }
    axes = keep(tuple(ROLES[target][1]))
    sizes = ("stride", "padding", "kernel_h", "kernel_w", "in_h", "in_w", "channels", "filters")
    params = size_params({name: name for name in sizes})
    title = f"your {target}"
    return Formula(
        "yours",
        title,
        target,
        sympy.Symbol(target),
        sympy.Integer(0),
        tuple(map(sympy.Symbol, axes)),
        axes,
        refs,
        params,
        "yours",
    )


def _call(fn, args, returns, arrays: dict, config: Config, batch: bool) -> dict:
    """``fn`` called on ``arrays``: each target ``returns`` names -> the array returned for
    it, as float64 and with the batch axis; its count and shapes checked."""
    import numpy as np

    values = {
        name: array if batch or name in ("w", "b") else array[0] for name, array in arrays.items()
    }
    values |= {"stride": config.stride[0], "padding": config.padding[0][0]}
    try:
        out = fn(*(values[name] for name in args))
    except Exception as error:  # say which call failed, then let the reader's error show
        shapes = ", ".join(f"{n} {values[n].shape}" for n in args if n in arrays)
        error.add_note(
            f"check_backward called {fn.__name__} with {shapes}, stride {config.stride[0]}"
        )
        raise
    out = out if isinstance(out, tuple | list) else (out,)
    if len(out) != len(returns):
        raise ValueError(f"{fn.__name__} returned {len(out)} arrays, returns names {len(returns)}")
    results = {}
    for target, got in zip(returns, out, strict=True):
        got, want = np.asarray(got, dtype=np.float64), config.shapes[TARGET_TENSOR[target]]
        if got.shape != (want if batch or target != "grad_x" else want[1:]):
            raise ValueError(
                f"{fn.__name__}'s {target} has shape {got.shape}, not its tensor's {want}"
            )
        results[target] = got if batch or target != "grad_x" else got[None]
    return results


def _probe(fn, args, returns, config: Config, batch: bool) -> dict:
    """target -> {book index: Poly}: the function's terms, one coefficient per call."""
    import numpy as np

    shapes = config.shapes
    zeros = {name: np.zeros(shapes[_BOOK[name]]) for name in ("x", "w", "b", "delta")}
    terms = {target: {} for target in returns}
    for target in returns:
        probes = [(name.lower() if name != "delta" else name) for name in PROBES[target]]
        for ones in itertools.product(
            *([(n, i) for i in np.ndindex(shapes[_BOOK[n]])] for n in probes)
        ):
            arrays = {name: array.copy() for name, array in zeros.items()}
            for name, index in ones:
                arrays[name][index] = 1.0
            got = _call(fn, args, returns, arrays, config, batch)[target]
            monomial = tuple(sorted((_BOOK[n], index) for n, index in ones))
            for index in np.argwhere(got):
                value = got[tuple(index)]
                poly = terms[target].setdefault(tuple(map(int, index)), Poly())
                poly[monomial] = int(value) if value == int(value) else value
    return terms


def _bilinear(fn, args, returns, config, batch, terms) -> str:
    """Empty if the probed terms give the function's own numbers on whole-number inputs."""
    import numpy as np

    rng = np.random.default_rng(13)
    arrays = {
        n: rng.integers(-3, 4, size=s).astype(np.float64)
        for n, s in zip(("x", "w", "b", "delta"), config.shapes.values(), strict=True)
    }
    book = {_BOOK[name]: array for name, array in arrays.items()}
    for target, got in _call(fn, args, returns, arrays, config, batch).items():
        for index in np.ndindex(got.shape):
            poly = terms[target].get(index, {})
            value = sum(c * np.prod([book[t][i] for t, i in m]) for m, c in poly.items())
            if value != got[index]:
                return (
                    f"not bilinear: on whole numbers {fn.__name__}'s {target}{list(index)} is "
                    f"{got[index]:g}, its probed terms give {value:g} (does it read x, or b?)"
                )
    return ""


def check_backward(
    fn: Callable,
    returns="grad_x",
    *,
    args=("delta", "x", "w"),
    batch: bool = True,
    stride=1,
    padding=0,
    grid="small",
) -> DerivationCheck:
    """Check your own backward function (plain loops or numpy) entry by entry (Chapter 13).

    ``fn`` is called as ``fn(*values)`` with the values ``args`` names, in that order:
    ``"delta"`` (the upstream gradient, shaped like Y), ``"x"``, ``"w"``, ``"b"`` (float64
    arrays, NCHW: X (N, C, H, W_in), W (F, C, K_h, K_w); with ``batch=False`` X is (C, H, W_in)
    and delta (F, H_out, W_out)), ``"stride"`` and ``"padding"`` (ints). ``returns``
    names what it returns: ``"grad_x"``, ``"grad_w"``, ``"grad_b"``, or a tuple of them
    for a tuple of arrays; each is checked. ``stride``, ``padding``: a value or a tuple
    of values the grid's layers take; ``grid``: ``"small"``, ``"full"`` or a list of
    ``Config``.

    Each gradient is bilinear in delta and W (``grad_x``) or X (``grad_w``): one call with
    delta one-hot at ``a`` and W one-hot at ``a'`` gives the coefficient of
    ``delta[a]·W[a']`` in every entry, exactly in float64. Those terms are compared with
    sympy's true gradient, and checked to give the function's own numbers on whole-number
    inputs (else it is not bilinear, e.g. it reads x for grad_x). Returns a
    ``DerivationCheck``; indices in its words are zero-based, like your arrays.
    """
    returns = (returns,) if isinstance(returns, str) else tuple(returns)
    for name in returns:
        if name not in PROBES:
            raise ValueError(f"returns must name grad_x, grad_w or grad_b, not {name!r}")
    for name in args:
        if name not in ARGUMENTS:
            raise ValueError(f"args must name some of {', '.join(ARGUMENTS)}, not {name!r}")
    for name, value, default in (("stride", stride, 1), ("padding", padding, 0)):
        if name not in args and _per_value(value, name) != (default,):
            raise ValueError(f"{name}={value!r}, but {fn.__name__} takes no {name}: add it to args")
    formulas = {target: _adapter(target, batch) for target in returns}
    configs = layer_grid(formulas[returns[0]], grid, stride=stride, padding=padding)
    probed, not_bilinear = {}, ""
    for config in configs:
        probed[config] = _probe(fn, args, returns, config, batch)
        not_bilinear = not_bilinear or _bilinear(fn, args, returns, config, batch, probed[config])

    def evaluate_for(target):
        def evaluate(formula, config):
            book = dict(target_indices(formula, config))
            terms = probed[config][target]
            return (lambda *index: Poly(terms.get(book[index], {}))), []

        return evaluate

    reports = [
        check(formulas[t], configs, numeric=False, evaluate=evaluate_for(t)) for t in returns
    ]
    what = f"{fn.__name__}: {', '.join(returns)} probed with one-hot inputs"
    return DerivationCheck(what, reports, NAMES, _settings(configs), not_bilinear=not_bilinear)
