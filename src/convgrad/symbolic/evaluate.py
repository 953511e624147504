"""Evaluate a formula at every index of one configuration, term by term, exactly.

The formula's sympy expression is translated once into a small Python function
(sums become loops over explicit integer ranges, ``floor``/``ceil`` act on exact
fractions). Numbers are substituted into the bounds first, then the terms are
listed one by one, so each entry of a tensor a term reads is known, and a read
outside a tensor's range is recorded as an error instead of counting as zero.
The value of an entry is a polynomial in the tensor entries, held as
``{monomial: coefficient}`` so two values are compared exactly.
"""

# ruff: noqa: B905  (every zip below pairs per-dimension tuples of one length)

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import sympy

from .formula import TARGET_TENSOR, Alias, Divides, Formula, Grad, Iverson, book_axes
from .tensors import Config

ZERO: dict = {}


# --- polynomial arithmetic on {monomial: coefficient} -----------------------------------
def _padd(*polys) -> dict:
    return _psum(polys)


def _psum(polys) -> dict:
    total = {}
    for poly in polys:
        for monomial, coeff in poly.items():
            total[monomial] = total.get(monomial, 0) + coeff
    return total


def _pmul(scale, *polys) -> dict:
    if not scale:
        return {}
    product = {(): scale}
    for poly in polys:
        if not poly:
            return {}
        if len(product) == 1 and len(poly) == 1:
            ((m1, c1),) = product.items()
            ((m2, c2),) = poly.items()
            product = {tuple(sorted(m1 + m2)): c1 * c2}
        else:
            product = _pmul_general(product, poly)
    return product


def _pmul_general(left, right) -> dict:
    out = {}
    for m1, c1 in left.items():
        for m2, c2 in right.items():
            monomial = tuple(sorted(m1 + m2))
            out[monomial] = out.get(monomial, 0) + c1 * c2
    return out


def _const(value) -> dict:
    return {(): value} if value else {}


def clean(poly: dict) -> dict:
    """Drop zero coefficients and turn whole fractions into ints."""
    return {
        m: (int(c) if isinstance(c, Fraction) and c.denominator == 1 else c)
        for m, c in poly.items()
        if c != 0
    }


# --- translation of a sympy expression into Python source ------------------------------
_RELATIONS = {
    sympy.Eq: "==",
    sympy.Ne: "!=",
    sympy.StrictLessThan: "<",
    sympy.LessThan: "<=",
    sympy.StrictGreaterThan: ">",
    sympy.GreaterThan: ">=",
}


class _Translator:
    def __init__(self, formula: Formula):
        self.formula = formula
        self.names: dict = {}
        self.refs = list(formula.tensors)  # IndexedBase objects, numbered
        self.sites: list = []  # (ref number, names of the sum variables in scope)

    def name(self, symbol) -> str:
        if symbol not in self.names:
            self.names[symbol] = f"v{len(self.names)}"
        return self.names[symbol]

    def guard(self, factor, scope):
        """A 0/1 factor as a Python condition, or None if the factor is not one."""
        if isinstance(factor, Iverson):
            return self.condition(factor.args[0], scope)
        if isinstance(factor, Divides):
            divisor, value = (self.scalar(a, scope) for a in factor.args)
            return f"(({value}) % ({divisor}) == 0)"
        if isinstance(factor, sympy.KroneckerDelta):
            a, b = (self.scalar(a, scope) for a in factor.args)
            return f"(({a}) == ({b}))"
        return None

    def condition(self, expr, scope) -> str:
        if expr is sympy.true:
            return "True"
        if expr is sympy.false:
            return "False"
        for kind, op in _RELATIONS.items():
            if isinstance(expr, kind):
                left, right = (self.scalar(a, scope) for a in expr.args)
                return f"(({left}) {op} ({right}))"
        if isinstance(expr, sympy.And):
            return "(" + " and ".join(self.condition(a, scope) for a in expr.args) + ")"
        if isinstance(expr, sympy.Or):
            return "(" + " or ".join(self.condition(a, scope) for a in expr.args) + ")"
        if isinstance(expr, sympy.Not):
            return f"(not {self.condition(expr.args[0], scope)})"
        raise TypeError(f"cannot evaluate the condition {expr}")

    def scalar(self, expr, scope) -> str:
        code, is_poly = self.code(expr, scope)
        if is_poly:
            raise TypeError(f"{expr} must not depend on a tensor entry here")
        return code

    def poly(self, expr, scope) -> str:
        code, is_poly = self.code(expr, scope)
        return code if is_poly else f"_const({code})"

    def code(self, expr, scope):
        """Python source for ``expr`` and whether its value is a polynomial."""
        if isinstance(expr, sympy.Indexed):
            ref = self.refs.index(expr.base)
            site = len(self.sites)
            self.sites.append((ref, tuple(scope)))
            indices = ", ".join(self.scalar(i, scope) for i in expr.indices)
            where = ", ".join(self.name(s) for s in scope)
            return f"_get({site}, ({indices},), ({where}{',' if scope else ''}))", True
        if isinstance(expr, Alias):
            return self.code(expr.args[1], scope)
        if isinstance(expr, Grad):  # dL/dY written as such: the entry of delta it names
            return self.code(expr.args[0], scope)
        if isinstance(expr, sympy.Symbol) and expr in self.formula.tensors:
            # a tensor with no index of its own (the bias of one filter)
            ref = self.refs.index(expr)
            site = len(self.sites)
            self.sites.append((ref, tuple(scope)))
            where = ", ".join(self.name(s) for s in scope)
            return f"_get({site}, (), ({where}{',' if scope else ''}))", True
        if isinstance(expr, sympy.Symbol):
            return self.name(expr), False
        if isinstance(expr, sympy.Integer):
            return str(int(expr)), False
        if isinstance(expr, sympy.Rational):
            return f"_Fr({expr.p}, {expr.q})", False
        if isinstance(expr, sympy.Sum):
            loops = []
            inner_scope = list(scope)
            for symbol, low, high in reversed(expr.limits):
                low_code = self.scalar(low, inner_scope)
                high_code = self.scalar(high, inner_scope)
                loops.append(
                    f"for {self.name(symbol)} in range(_int({low_code}), _int({high_code}) + 1)"
                )
                inner_scope.append(symbol)
            body, is_poly = self.code(expr.function, inner_scope)
            summing = "_psum" if is_poly else "sum"
            return f"{summing}({body} {' '.join(loops)})", is_poly
        if isinstance(expr, sympy.Mul):
            guards, scalars, polys = [], [], []
            for factor in expr.args:
                condition = self.guard(factor, scope)
                if condition is not None:
                    guards.append(condition)
                    continue
                code, is_poly = self.code(factor, scope)
                (polys if is_poly else scalars).append(code)
            scale = " * ".join(scalars) or "1"
            if polys:
                value = f"_pmul({scale}, {', '.join(polys)})"
                empty = "_ZERO"
            else:
                value = f"({scale})"
                empty = "0"
            if guards:
                return f"({value} if {' and '.join(guards)} else {empty})", bool(polys)
            return value, bool(polys)
        if isinstance(expr, sympy.Add):
            parts = [self.code(term, scope) for term in expr.args]
            if any(is_poly for _, is_poly in parts):
                terms = [c if p else f"_const({c})" for c, p in parts]
                return f"_padd({', '.join(terms)})", True
            return "(" + " + ".join(c for c, _ in parts) + ")", False
        if isinstance(expr, sympy.Pow):
            base = self.scalar(expr.base, scope)
            exponent = int(expr.exp)
            if exponent < 0:
                return f"(_Fr(1) / _Fr({base}) ** {-exponent})", False
            return f"(({base}) ** {exponent})", False
        if isinstance(expr, sympy.floor):
            return f"_floor({self.scalar(expr.args[0], scope)})", False
        if isinstance(expr, sympy.ceiling):
            return f"_ceil({self.scalar(expr.args[0], scope)})", False
        if isinstance(expr, (sympy.Max, sympy.Min)):
            fn = "max" if isinstance(expr, sympy.Max) else "min"
            return f"{fn}({', '.join(self.scalar(a, scope) for a in expr.args)})", False
        if isinstance(expr, sympy.Mod):
            value, divisor = (self.scalar(a, scope) for a in expr.args)
            return f"(({value}) % ({divisor}))", False
        if isinstance(expr, (Iverson, Divides, sympy.KroneckerDelta)):
            return f"(1 if {self.guard(expr, scope)} else 0)", False
        if isinstance(expr, sympy.Piecewise):
            branches = [(self.code(e, scope), self.condition(c, scope)) for e, c in expr.args]
            is_poly = any(p for (_, p), _ in branches)
            empty = "_ZERO" if is_poly else "0"
            text = empty
            for (code, p), cond in reversed(branches):
                code = code if (p or not is_poly) else f"_const({code})"
                text = f"({code} if {cond} else {text})"
            return text, is_poly
        raise TypeError(f"cannot evaluate {type(expr).__name__}: {expr}")


@dataclass
class Compiled:
    """A formula translated to Python: ``make(_get)`` returns the entry function."""

    source: str
    make: object
    params: tuple
    sites: list
    refs: list


def compile_formula(formula: Formula) -> Compiled:
    if formula._compiled is not None:
        return formula._compiled
    translator = _Translator(formula)
    params = tuple(formula.params)
    arguments = [translator.name(s) for s in params] + [translator.name(s) for s in formula.indices]
    lines = []
    for symbol, value in formula.definitions:
        lines.append(f"        {translator.name(symbol)} = {translator.scalar(value, [])}")
    body = translator.poly(formula.rhs, [])
    source = (
        "def _make(_get):\n"
        f"    def _entry({', '.join(arguments)}):\n"
        + "\n".join(lines)
        + ("\n" if lines else "")
        + f"        return {body}\n"
        "    return _entry\n"
    )
    namespace = {
        "_padd": _padd,
        "_psum": _psum,
        "_pmul": _pmul,
        "_const": _const,
        "_floor": math.floor,
        "_ceil": math.ceil,
        "_Fr": Fraction,
        "_ZERO": ZERO,
        "_int": _as_int,
    }
    exec(compile(source, f"<formula {formula.name}>", "exec"), namespace)  # noqa: S102
    formula._compiled = Compiled(
        source, namespace["_make"], params, translator.sites, translator.refs
    )
    return formula._compiled


def _as_int(value) -> int:
    if isinstance(value, Fraction):
        if value.denominator != 1:
            raise ValueError(f"a summation bound evaluates to {value}, not a whole number")
        return int(value)
    return value


# --- running a compiled formula on one configuration -------------------------------------
@dataclass(frozen=True)
class Access:
    """One read of a tensor entry that does not exist (a strict reference out of range)."""

    text: str  # the letter as the formula writes it, e.g. "W" or "dL/dO"
    index: tuple  # as the formula wrote it (its own base)
    where: dict  # the summation indices of the term, name -> value
    axis: int  # which index is off (0-based position), or -1 if not a whole number
    valid: tuple  # (first, last) valid value of that index, in the formula's base


def _number(expr, values) -> int:
    return int(sympy.sympify(expr).subs(values))


class _RefSpec:
    def __init__(self, formula: Formula, ref, config: Config, values: dict):
        self.ref = ref
        self.tensor = ref.tensor
        axes = book_axes(ref.tensor, config.ndim)
        self.shape = config.shapes[ref.tensor]
        self.positions = [axes.index(a) for a in ref.axes]
        self.sizes = [self.shape[p] for p in self.positions]
        n = len(ref.axes)
        base = formula.index_base
        shift = ref.shift or (0,) * n
        step = ref.step or (1,) * n
        self.shift = [base + _number(v, values) for v in shift]
        self.step = [_number(v, values) for v in step]
        extent = ref.extent or (None,) * n
        self.extent = [
            None if e is None else (_number(e[0], values), _number(e[1], values)) for e in extent
        ]
        self.base = base
        self.flat = ref.flat
        self.flat_size = math.prod(self.sizes)


def entry_function(formula: Formula, config: Config, mode: str = "strict"):
    """The formula's entry function for ``config`` and the list its bad reads go to.

    ``mode="strict"``: reading outside a tensor is recorded (and the term dropped);
    ``mode="zero"``: every tensor is read as zero outside its range, silently.
    """
    if mode not in ("strict", "zero"):
        raise ValueError(f"mode must be 'strict' or 'zero', not {mode!r}")
    compiled = compile_formula(formula)
    values = formula.param_values(config)
    specs = [_RefSpec(formula, formula.tensors[base], config, values) for base in compiled.refs]
    sites = [(specs[ref], scope) for ref, scope in compiled.sites]
    bad_reads: list[Access] = []
    strict = mode == "strict"

    def get(site, index, where):
        spec, scope = sites[site]
        full = [0] * len(spec.shape)
        if spec.flat:  # one index counting the listed axes row by row
            offset = index[0] - spec.base
            if not 0 <= offset < spec.flat_size:
                if strict:
                    valid = (spec.base, spec.base + spec.flat_size - 1)
                    bad_reads.append(_access(spec, index, scope, where, 0, valid))
                return ZERO
            for position, size in zip(reversed(spec.positions), reversed(spec.sizes)):
                offset, full[position] = divmod(offset, size)
            return {((spec.tensor, tuple(full)),): 1}
        for axis, (value, shift, step, size, position, extent) in enumerate(
            zip(index, spec.shift, spec.step, spec.sizes, spec.positions, spec.extent)
        ):
            if isinstance(value, Fraction):
                if value.denominator != 1:
                    if strict:
                        bad_reads.append(_access(spec, index, scope, where, -1, ()))
                    return ZERO
                value = int(value)
            if extent is not None:  # a derived tensor: zero between its entries and around
                if not extent[0] <= value <= extent[1]:
                    if strict:
                        bad_reads.append(_access(spec, index, scope, where, axis, extent))
                    return ZERO
                offset, remainder = divmod(value - shift, step)
                if remainder or not 0 <= offset < size:
                    return ZERO
            else:
                offset = value - shift
                if not 0 <= offset < size:
                    if strict:
                        valid = (shift, shift + size - 1)
                        bad_reads.append(_access(spec, index, scope, where, axis, valid))
                    return ZERO
            full[position] = offset
        return {((spec.tensor, tuple(full)),): 1}

    entry = compiled.make(get)
    arguments = [values[s] for s in compiled.params]
    return entry, arguments, bad_reads


def _access(spec: _RefSpec, index, scope, where, axis, valid) -> Access:
    index = tuple(int(i) if isinstance(i, int) or i.denominator == 1 else i for i in index)
    return Access(spec.ref.text, index, {str(s): v for s, v in zip(scope, where)}, axis, valid)


def target_indices(formula: Formula, config: Config):
    """Every index of the formula's left-hand side: (formula's index, book index)."""
    axes = book_axes(formula.target, config.ndim)
    shape = config.shapes[TARGET_TENSOR[formula.target]]
    positions = [axes.index(a) for a in formula.target_axes]
    base = formula.index_base
    if formula.target_flat:
        for number, book in enumerate(itertools.product(*(range(shape[p]) for p in positions))):
            full = [0] * len(shape)
            for position, value in zip(positions, book):
                full[position] = value
            yield (number + base,), tuple(full)
        return
    for book in itertools.product(*(range(shape[p]) for p in positions)):
        full = [0] * len(shape)
        for position, value in zip(positions, book):
            full[position] = value
        yield tuple(v + base for v in book), tuple(full)
