"""One boxed formula as one object: a sympy expression in index symbols, and its LaTeX.

A :class:`Formula` says which gradient it claims to equal (``y``, ``grad_x``,
``grad_w`` or ``grad_b``), which index symbols are free, whether indices start at
0 or 1, and which tensor each indexed letter stands for. The chapter displays
``formula.latex(boxed=True)``; the checker (``check.py``) evaluates the very same
expression, so the reader sees exactly what was checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import sympy
from sympy.printing.latex import LatexPrinter

from .tensors import Config

# --- building blocks the formulas are written with -----------------------------------


def plus(*terms):
    """A sum kept in the order written (so the display reads as the book writes it)."""
    return sympy.Add(*terms, evaluate=False)


def times(*factors):
    """A product kept in the order written."""
    return sympy.Mul(*factors, evaluate=False)


def minus(term):
    """``-term``, displayed as a subtraction inside :func:`plus`."""
    return sympy.Mul(-1, term, evaluate=False)


def over(numerator, denominator):
    """``numerator / denominator``, displayed as a fraction, exact when evaluated."""
    return sympy.Mul(numerator, sympy.Pow(denominator, -1, evaluate=False), evaluate=False)


def floor(value):
    return sympy.floor(value, evaluate=False)


def ceil(value):
    return sympy.ceiling(value, evaluate=False)


class Iverson(sympy.Function):
    """``[condition]``: 1 when the condition holds, else 0 (Iverson's bracket)."""

    nargs = 1

    @classmethod
    def eval(cls, condition):
        if condition is sympy.true:
            return sympy.Integer(1)
        if condition is sympy.false:
            return sympy.Integer(0)
        return None

    def _latex(self, printer):
        return r"\left[" + printer._print(self.args[0]) + r"\right]"


class Alias(sympy.Function):
    """A named shorthand: displays as ``name(args)``, evaluates as its expansion.

    ``Alias(Symbol("nu"), expansion, k, m)`` prints ``\nu(k, m)``; the formula's
    "where" line says what it stands for.
    """

    def _latex(self, printer):
        label, _, *shown = self.args
        return (
            printer._print(label)
            + r"\left("
            + ", ".join(printer._print(a) for a in shown)
            + r"\right)"
        )


class Divides(sympy.Function):
    """``[d | a]``: 1 when ``d`` divides ``a`` exactly, else 0."""

    nargs = 2

    def _latex(self, printer):
        divisor, value = self.args
        return r"\left[" + printer._print(divisor) + r" \mid " + printer._print(value) + r"\right]"


# --- what each indexed letter stands for ---------------------------------------------


@dataclass(frozen=True)
class TensorRef:
    """How an indexed letter of a formula addresses one of the book's tensors.

    ``tensor`` is ``"X"``, ``"W"``, ``"b"`` or ``"delta"``; ``axes`` names the book
    axes (``n c f h w``, ``l`` in 1-D) its indices address, in the formula's order;
    book axes not listed must have size 1. A plain reference is strict: an index
    outside the tensor is an error.

    A *derived* tensor (the zero-padded ``X``, the zero-inserted ``delta``) is
    defined by the formula's "where" line. ``extent`` gives, per axis, ``None``
    (strict, as above) or the ``(first, last)`` index the derived tensor has; there
    entry ``a`` is the tensor's ``(a - shift) / step`` when that is a whole index
    inside the tensor, and 0 otherwise. Outside the extent it is an error again.
    ``flat=True``: one index counts the listed axes row by row (Q1's ``V1 ... V9``).
    """

    tensor: str
    axes: tuple[str, ...]
    text: str
    extent: tuple = ()
    shift: tuple = ()
    step: tuple = ()
    flat: bool = False

    @property
    def zero_outside(self) -> bool:
        """Whether some axis is zero-extended (a derived tensor)."""
        return any(e is not None for e in self.extent)

    def definition(self, label, printer) -> list[str]:
        """The derived tensor's definition, as the "where" line shows it (two lines)."""
        names = iter(("alpha", "beta", "gamma"))  # bound here: no clash with the sum's letters
        indices, reads, ranges = [], [], []
        for axis, extent in enumerate(self.extent):
            if extent is None:
                index = sympy.Symbol(self.axes[axis])
                indices.append(index)
                reads.append(index)
                continue
            index = sympy.Symbol(next(names))
            indices.append(index)
            value = index
            shift = self.shift[axis] if self.shift else 0
            step = self.step[axis] if self.step else 1
            if shift != 0:
                value = plus(value, minus(shift))
            if step != 1:
                value = over(value, step)
            reads.append(value)
            low, high = (printer.doprint(e) for e in extent)
            ranges.append(rf"{low} \le {printer.doprint(index)} \le {high}")
        tensor = TENSOR_LETTERS[self.tensor]
        entry = ", ".join(printer.doprint(i) for i in indices)
        source = ", ".join(printer.doprint(r) for r in reads)
        return [
            rf"{printer.doprint(label)}_{{{entry}}} = {tensor}_{{{source}}}"
            rf"\text{{ if that is an entry of }} {tensor}\text{{, else 0}}",
            r"\text{for }" + r",\ ".join(ranges),
        ]


BOOK_AXES = {
    "X": ("n", "c", "*"),
    "W": ("f", "c", "*"),
    "b": ("f",),
    "delta": ("n", "f", "*"),
    "y": ("n", "f", "*"),
    "grad_x": ("n", "c", "*"),
    "grad_w": ("f", "c", "*"),
    "grad_b": ("f",),
}
SPATIAL_AXES = {1: ("l",), 2: ("h", "w"), 3: ("d", "h", "w")}
TENSOR_LETTERS = {"X": "X", "W": "W", "b": "b", "delta": r"\delta"}
TARGET_TENSOR = {"y": "delta", "grad_x": "X", "grad_w": "W", "grad_b": "b"}


def book_axes(name: str, ndim: int) -> tuple[str, ...]:
    """The axis names of a book tensor (or gradient) in a configuration of ``ndim``."""
    axes = BOOK_AXES[name]
    if axes[-1] == "*":
        return axes[:-1] + SPATIAL_AXES[ndim]
    return axes


# --- the formula ------------------------------------------------------------------------


@dataclass(eq=False)
class Formula:
    """A boxed formula: ``lhs = rhs`` with free indices, checkable and printable.

    - ``target``: the gradient it claims to equal (``y``, ``grad_x``, ``grad_w``,
      ``grad_b``); ``indices``: its free index symbols, addressing ``target_axes``;
      ``index_base``: 0 (the book) or 1 (a reader's question).
    - ``tensors``: each indexed letter of ``rhs`` -> the :class:`TensorRef` it reads.
    - ``params``: each size symbol (``K_h``, ``s``, ``H_out``, ...) -> a function of a
      :class:`~convgrad.symbolic.tensors.Config`; ``definitions``: auxiliary symbols
      (``i_lo = ...``) shown in the "where" line and evaluated in order once the free
      indices are known; ``where``: further "where" text (derived tensors).
    - ``family``: the grid it is checked on; ``expected``: False for a reader's
      formula the book shows to be wrong (the check must then fail).
    - A forward formula written without the bias (Q1's ``G_k``) sets ``bias=False``
      and is compared with ``Y - b``.

    A sum whose upper bound is below its lower bound has no terms (the usual
    reading of index bounds, not sympy's Karr convention for ``Sum.doit``).
    """

    name: str
    title: str
    target: str
    lhs: sympy.Expr
    rhs: sympy.Expr
    indices: tuple
    target_axes: tuple[str, ...]
    tensors: dict
    params: dict[sympy.Symbol, Callable[[Config], int]]
    family: str
    index_base: int = 0
    definitions: tuple = ()
    where: tuple[str, ...] = ()
    brackets: bool = False
    expected: bool = True
    describe: tuple = ()
    note: str = ""
    target_flat: bool = False
    loss: str = "L"
    bias: bool = True
    _compiled: object = field(default=None, init=False, repr=False)

    def variant(self, **changes) -> Formula:
        """A copy with some fields changed (e.g. a deliberately broken ``rhs``)."""
        return replace(self, **changes)

    # --- rendering ---------------------------------------------------------------
    def _printer(self) -> LatexPrinter:
        return _BookPrinter(brackets=self.brackets, loss=self.loss)

    def latex_rhs(self) -> str:
        return self._printer().doprint(self.rhs)

    def latex_lhs(self) -> str:
        return self._printer().doprint(self.lhs)

    def where_lines(self) -> list[str]:
        """The "where" clause as lines; a pair such as ``i_lo, i_hi`` or ``h_O, w_O`` shares one."""
        printer = self._printer()
        lines, last, shared = [], None, False
        for symbol, value in self.definitions:
            text = printer.doprint(symbol) + " = " + printer.doprint(value)
            head, _, tail = str(symbol).partition("_")
            pair = last is not None and not shared and (head == last[0] or tail == last[1])
            if pair and tail:
                lines[-1] += r",\quad " + text
            else:
                lines.append(text)
            shared = pair and bool(tail)
            last = (head, tail)
        for base, ref in self.tensors.items():
            if ref.zero_outside:
                lines.extend(ref.definition(base.label, printer))
        return lines + list(self.where)

    def latex_where(self) -> str:
        return r",\quad ".join(self.where_lines())

    def latex(self, boxed: bool = False, where: bool = True) -> str:
        """The LaTeX of ``lhs = rhs`` (``\\boxed`` if asked), and its "where" lines."""
        equation = f"{self.latex_lhs()} = {self.latex_rhs()}"
        if boxed:
            equation = rf"\boxed{{{equation}}}"
        lines = self.where_lines() if where else []
        if not lines:
            return equation
        lines[0] = r"\text{where }" + lines[0]
        return r"\begin{gathered}" + r"\\ ".join([equation, *lines]) + r"\end{gathered}"

    def math(self, boxed: bool = True):
        """An ``IPython.display.Math`` of the (boxed) formula, ready for a notebook cell."""
        from IPython.display import Math

        return Math(self.latex(boxed=boxed))

    def display(self, boxed: bool = True) -> None:
        """Show the (boxed) formula in a notebook."""
        from IPython.display import display

        display(self.math(boxed=boxed))

    def _repr_latex_(self) -> str:
        return f"$${self.latex(boxed=True)}$$"

    def __repr__(self) -> str:
        return f"Formula({self.name!r}: {self.title})"

    # --- values of the size symbols in one configuration --------------------------
    def param_values(self, config: Config) -> dict[sympy.Symbol, int]:
        return {symbol: int(value(config)) for symbol, value in self.params.items()}

    def describe_config(self, config: Config) -> str:
        """The configuration in the formula's own symbols, e.g. ``s=2, f_r=3, h=5``."""
        values = self.param_values(config)
        shown = self.describe or tuple(values)
        return ", ".join(f"{symbol}={values[symbol]}" for symbol in shown)

    def applies_to(self, config: Config) -> bool:
        """Whether every axis a tensor of ``config`` has beyond the formula's is of size 1."""
        if not config.is_valid:
            return False
        pairs = [(TARGET_TENSOR[self.target], self.target, self.target_axes)]
        pairs += [(ref.tensor, ref.tensor, ref.axes) for ref in self.tensors.values()]
        for tensor, name, axes in pairs:
            shape = config.shapes[tensor]
            named = book_axes(name, config.ndim)
            if any(a not in named for a in axes):
                return False
            if any(size != 1 for a, size in zip(named, shape, strict=True) if a not in axes):
                return False
        return True


SPATIAL_NAMES = ("l", "d", "h", "w")


class _BookPrinter(LatexPrinter):
    """sympy's LaTeX, with terms kept in written order and one ``\\sum`` per index."""

    def __init__(self, brackets: bool = False, loss: str = "L"):
        super().__init__({"order": "none"})
        self._brackets = brackets
        self._loss = loss

    def _needs_mul_brackets(self, expr, first=False, last=False) -> bool:
        if isinstance(expr, (sympy.Indexed, Grad)):
            return False  # an entry is one factor, whatever its indices hold
        return super()._needs_mul_brackets(expr, first=first, last=last)

    def _print_Indexed(self, expr):
        base = self._print(expr.base.label)
        indices = ", ".join(self._print(i) for i in expr.indices)
        if self._brackets:
            return rf"{base}[{indices}]"
        return rf"{base}_{{{indices}}}"

    def _print_Sum(self, expr):
        body = expr.function
        text = self._print(body)
        if isinstance(body, sympy.Add):
            text = rf"\left({text}\right)"
        sums = []
        for symbol, low, high in reversed(expr.limits):
            sums.append(
                rf"\sum_{{{self._print(symbol)}={self._print(low)}}}^{{{self._print(high)}}}"
            )
        return " ".join(sums) + " " + text


class Grad(sympy.Function):
    """``dL/dT`` of one entry: displays as ``\\frac{\\partial L}{\\partial T_{i,j}}``."""

    nargs = 1

    def _latex(self, printer):
        (entry,) = self.args
        loss = getattr(printer, "_loss", "L")
        if isinstance(entry, sympy.Indexed) and getattr(printer, "_brackets", False):
            base = printer._print(entry.base.label)
            indices = ", ".join(printer._print(i) for i in entry.indices)
            return rf"\frac{{\partial {loss}}}{{\partial {base}}}[{indices}]"
        return rf"\frac{{\partial {loss}}}{{\partial {printer._print(entry)}}}"
