"""A formula evaluated at one index of one configuration, term by term, exactly.

sympy prints the formula as Python (``_Printer``): sums become loops over integer ranges,
divisions exact; each tensor letter becomes a read that records an entry that does not
exist instead of taking it as zero. A value is a :class:`Poly` in the tensor entries.
"""

# ruff: noqa: B905  (every zip below pairs per-axis tuples of one length)

from __future__ import annotations

import itertools
import math
import re
from fractions import Fraction
from typing import NamedTuple

from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter

from .formula import TARGET_TENSOR, Divides, Formula, Iverson
from .tensors import Config


class Poly(dict):
    """``{monomial: coefficient}``; a monomial is a sorted tuple of entry keys, ``("W", index)``."""

    def __add__(self, other) -> Poly:
        return psum((self, other))

    __radd__ = __add__

    def __mul__(self, other) -> Poly:
        if not isinstance(other, Poly):
            return Poly({m: c * other for m, c in self.items()} if other else {})
        out = Poly()
        for (m1, c1), (m2, c2) in itertools.product(self.items(), other.items()):
            out[tuple(sorted(m1 + m2))] = out.get(tuple(sorted(m1 + m2)), 0) + c1 * c2
        return out

    __rmul__ = __mul__


def psum(values) -> Poly:
    """The sum of polynomials and numbers, without zero coefficients."""
    total = Poly()
    for value in values:
        for monomial, coeff in value.items() if isinstance(value, Poly) else [((), value)]:
            total[monomial] = total.get(monomial, 0) + coeff
    return Poly({m: int(c) if c == int(c) else c for m, c in total.items() if c != 0})


def _div(numerator, denominator):
    quotient, remainder = divmod(numerator, denominator)
    return Fraction(numerator, denominator) if remainder else quotient


def _int(value) -> int:
    if value != int(value):
        raise ValueError(f"a summation bound evaluates to {value}, not a whole number")
    return int(value)


NAMESPACE = {"psum": psum, "math": math, "_int": _int, "_div": _div}


class _Printer(PythonCodePrinter):
    """Python source for a formula: every symbol a local name, every tensor letter a read."""

    def __init__(self, formula: Formula):
        super().__init__({"strict": True})
        self.tensors, self.names = list(formula.tensors), {}
        self.scope: list = []  # summation indices around the expression being printed
        self.sites: list = []  # per read: (tensor number, names of the indices in scope)

    def _print_Symbol(self, expr):
        if expr in self.tensors:  # a tensor with no index of its own (the bias of one filter)
            return self._read(expr, ())
        name = re.sub(r"\W+", "_", str(expr)).strip("_")  # like the symbol's, and unique:
        return self.names.setdefault(expr, f"{name}_{len(self.names)}")

    def _print_Indexed(self, expr):
        if expr.base not in self.tensors:
            raise TypeError(f"{expr.base} is not one of the formula's tensors")
        return self._read(expr.base, expr.indices)

    def _read(self, base, indices):
        self.sites.append((self.tensors.index(base), tuple(map(str, self.scope))))
        index, scope = ("".join(f"{self._print(v)}, " for v in vs) for vs in (indices, self.scope))
        return f"_get({len(self.sites) - 1}, ({index}), ({scope}))"

    def _print_Sum(self, expr):
        depth, loops = len(self.scope), []
        for symbol, low, high in reversed(expr.limits):  # outermost first; inner bounds see it
            low, high = self._print(low), self._print(high)
            loops.append(f"for {self._print(symbol)} in range(_int({low}), _int({high}) + 1)")
            self.scope.append(symbol)
        body = self._print(expr.function)
        del self.scope[depth:]
        total = "psum" if expr.function.has(*self.tensors) else "sum"
        return f"{total}({body} {' '.join(loops)})"

    def _print_Mul(self, expr):
        guards = [self._guard(a) for a in expr.args if isinstance(a, (Iverson, Divides))]
        factors = [a for a in expr.args if not isinstance(a, (Iverson, Divides))]
        over = [a.base for a in factors if a.is_Pow and a.exp == -1]  # divisors: exact quotient
        product = self._product(a for a in factors if not (a.is_Pow and a.exp == -1))
        product = f"_div({product}, {self._product(over)})" if over else product
        # the product is evaluated only when every guard holds
        return f"({product} if {' and '.join(guards)} else 0)" if guards else product

    def _product(self, factors) -> str:
        return "*".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in factors) or "1"

    def _guard(self, expr) -> str:
        args = [self._print(a) for a in expr.args]
        return f"({args[0]})" if isinstance(expr, Iverson) else f"(({args[1]}) % ({args[0]}) == 0)"

    def _print_Iverson(self, expr):
        return f"(1 if {self._guard(expr)} else 0)"

    _print_Divides = _print_Iverson

    def _print_Add(self, expr):
        return " + ".join(self.parenthesize(a, PRECEDENCE["Add"]) for a in expr.args)

    def _print_Pow(self, expr, rational=False):
        if not expr.exp.is_Integer:
            raise TypeError(f"cannot evaluate {expr}: only whole powers")
        base, power = self._print(expr.base), int(expr.exp)
        return f"_div(1, ({base}) ** {-power})" if power < 0 else f"({base}) ** {power}"

    def _print_Rational(self, expr):
        return f"_div({expr.p}, {expr.q})"

    def _print_Piecewise(self, expr):
        text = "0"
        for value, condition in reversed(expr.args):
            text = f"(({self._print(value)}) if ({self._print(condition)}) else {text})"
        return text

    def _print_Alias(self, expr):
        return self._print(expr.args[1])

    def _print_Grad(self, expr):  # dL/dY written as such: the entry of delta it names
        return self._print(expr.args[0])


def compile_formula(formula: Formula) -> tuple:
    """The formula as Python, made once and kept on it: ``(source, make, sites)``.

    ``make(get, *params)`` gives each letter's reading per axis and ``entry(*indices)``;
    ``sites``: per read in the source, its letter and the summation indices in scope.
    """
    if formula._compiled is None:
        printer = _Printer(formula)

        def tuple_of(values):
            return "(" + "".join(f"{printer._print(v)}, " for v in values) + ")"

        params = "".join(f", {printer._print(s)}" for s in formula.params)
        indices = ", ".join(map(printer._print, formula.indices))
        lines = "".join(
            f"        {printer._print(s)} = {printer._print(v)}\n" for s, v in formula.definitions
        )
        body = printer._print(formula.rhs)
        # per tensor letter and axis: where its entry 0 sits, its step, its (first, last) index
        axes = [
            tuple_of((shift, step, "None" if extent is None else tuple_of(extent)))
            for ref in formula.tensors.values()
            for shift, step, extent in ref.per_axis()
        ]
        source = (
            f"def _make(_get{params}):\n    def _entry({indices}):\n{lines}"
            f"        return psum(({body},))\n    return [{', '.join(axes)}], _entry\n"
        )
        namespace = dict(NAMESPACE)
        exec(compile(source, f"<formula {formula.name}>", "exec"), namespace)  # noqa: S102
        formula._compiled = (source, namespace["_make"], printer.sites)
    return formula._compiled


class Access(NamedTuple):
    """One read of a tensor entry that does not exist (a strict reference out of range)."""

    text: str  # the letter as the formula writes it, e.g. "W" or "dL/dO"
    index: tuple  # as the formula wrote it (its own base)
    where: dict  # the summation indices of the term, name -> value
    axis: int  # which index is off (0-based position), or -1 if not a whole number
    valid: tuple  # (first, last) valid value of that index, in the formula's base


def entry_function(formula: Formula, config: Config):
    """``(entry, bad_reads)``: ``entry(*index)`` is the value of one entry of ``config``.

    A read outside a tensor is appended to ``bad_reads`` and its term dropped: the value
    is the same as if every tensor were zero outside its range.
    """
    (_, make, sites), base = compile_formula(formula), formula.index_base
    bad_reads: list[Access] = []
    specs = []  # per tensor letter: the letter, its rank, per axis how it reads, its count

    def miss(ref, index, scope, where, axis, valid):
        index = tuple(int(i) if i == int(i) else i for i in index)
        bad_reads.append(Access(ref.text, index, dict(zip(scope, where)), axis, valid))
        return 0

    def get(site, index, where):
        number, scope = sites[site]
        ref, rank, per_axis, count = specs[number]
        full = [0] * rank
        if ref.flat:  # one index counting the listed axes row by row
            offset = index[0] - base
            if not 0 <= offset < count:
                return miss(ref, index, scope, where, 0, (base, base + count - 1))
            for position, size, *_ in reversed(per_axis):
                offset, full[position] = divmod(offset, size)
            return Poly({((ref.tensor, tuple(full)),): 1})
        for axis, (value, (position, size, shift, step, extent)) in enumerate(zip(index, per_axis)):
            if value != int(value):
                return miss(ref, index, scope, where, -1, ())
            offset, remainder = divmod(int(value) - shift, step)
            if extent is None and not 0 <= offset < size:
                return miss(ref, index, scope, where, axis, (shift, shift + size - 1))
            if extent is not None and not extent[0] <= value <= extent[1]:
                return miss(ref, index, scope, where, axis, extent)
            if remainder or not 0 <= offset < size:  # a derived tensor: zero between entries
                return 0
            full[position] = offset
        return Poly({((ref.tensor, tuple(full)),): 1})

    values = formula.param_values(config)
    axes, entry = make(get, *(values[s] for s in formula.params))
    axes = iter(axes)
    for ref in formula.tensors.values():
        shape, positions = config.shapes[ref.tensor], config.positions(ref.tensor, ref.axes)
        per_axis = [
            (p, shape[p], base + shift, *rest) for p, (shift, *rest) in zip(positions, axes)
        ]
        specs.append((ref, len(shape), per_axis, math.prod(shape[p] for p in positions)))
    return entry, bad_reads


def target_indices(formula: Formula, config: Config):
    """Every index of the formula's left-hand side: (formula's index, book index)."""
    tensor, base = TARGET_TENSOR[formula.target], formula.index_base
    shape, positions = config.shapes[tensor], config.positions(tensor, formula.target_axes)
    for number, book in enumerate(itertools.product(*(range(shape[p]) for p in positions))):
        full = [0] * len(shape)
        for position, value in zip(positions, book):
            full[position] = value
        index = (number + base,) if formula.target_flat else tuple(v + base for v in book)
        yield index, tuple(full)
