"""One boxed formula as one object: a sympy expression in index symbols, and its LaTeX.

A chapter displays a :class:`Formula`; the checker evaluates the very same expression,
so the reader sees exactly what was checked.
"""

# ruff: noqa: B905  (every zip below pairs tuples of one length)

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import sympy
from sympy.printing.latex import LatexPrinter

from .tensors import Config

# --- building blocks the formulas are written with -----------------------------------------


# sums and products kept in the order written, so the display reads as the book writes it
plus = functools.partial(sympy.Add, evaluate=False)
times = functools.partial(sympy.Mul, evaluate=False)
floor = functools.partial(sympy.floor, evaluate=False)
ceil = functools.partial(sympy.ceiling, evaluate=False)


def minus(term):
    """``-term``, displayed as a subtraction inside :func:`plus`."""
    return sympy.Mul(-1, term, evaluate=False)


def over(numerator, denominator):
    """``numerator / denominator``, displayed as a fraction, exact when evaluated."""
    return sympy.Mul(numerator, sympy.Pow(denominator, -1, evaluate=False), evaluate=False)


class Iverson(sympy.Function):
    """``[condition]``: 1 when the condition holds, else 0 (Iverson's bracket)."""

    def _latex(self, printer):
        return r"\left[" + printer._print(self.args[0]) + r"\right]"


class Divides(sympy.Function):
    """``[d | a]``: 1 when ``d`` divides ``a`` exactly, else 0."""

    def _latex(self, printer):
        divisor, value = (printer._print(a) for a in self.args)
        return rf"\left[{divisor} \mid {value}\right]"


class Alias(sympy.Function):
    """``Alias(label, expansion, *shown)``: shows ``label(shown)``, evaluates as expansion."""

    def _latex(self, printer):  # the formula's "where" line says what the label stands for
        label, _, *shown = map(printer._print, self.args)
        return label + r"\left(" + ", ".join(shown) + r"\right)"


class Grad(sympy.Function):
    """``dL/dT`` of one entry: displays as ``\\frac{\\partial L}{\\partial T_{i,j}}``."""

    def _latex(self, printer):
        (entry,) = self.args
        loss, text = getattr(printer, "_loss", "L"), printer._print(entry)
        if isinstance(entry, sympy.Indexed) and getattr(printer, "_brackets", False):
            text, _, indices = text.partition("[")  # dL/dW[f, c], as a reader writes it
            return rf"\frac{{\partial {loss}}}{{\partial {text}}}[{indices}"
        return rf"\frac{{\partial {loss}}}{{\partial {text}}}"


# --- what each indexed letter stands for ------------------------------------------------------


@dataclass(frozen=True)
class TensorRef:
    """How an indexed letter of a formula reads one of the book's tensors.

    ``tensor``: ``X``, ``W``, ``b`` or ``delta``; ``axes``: the book axes its indices
    address, in the formula's order (any other axis must have size 1); ``text``: the
    letter in the checker's words. Reading outside the tensor is an error. A *derived*
    tensor (zero-padded, zeros inserted) gives per axis an ``extent`` ``(first, last)``
    (or None: strict), ``shift`` and ``step``: its entry ``a`` is the tensor's
    ``(a - shift) / step`` if that is a whole index inside the tensor, else 0; outside
    the extent it is an error again. ``flat``: one index counts the axes row by row.
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

    def per_axis(self):
        """(shift, step, extent) of every axis, as sympy expressions or None."""
        n = len(self.axes)
        return list(zip(self.shift or (0,) * n, self.step or (1,) * n, self.extent or (None,) * n))

    def definition(self, label, printer) -> list[str]:
        """The derived tensor's definition, as the "where" line shows it (two lines)."""
        names = iter(("alpha", "beta", "gamma"))  # bound here: no clash with the sum's letters
        indices, reads, ranges = [], [], []
        for axis, (shift, step, extent) in zip(self.axes, self.per_axis(), strict=True):
            index = sympy.Symbol(axis if extent is None else next(names))
            value = index if shift == 0 else plus(index, minus(shift))
            indices.append(index)
            reads.append(value if step == 1 else over(value, step))
            if extent is not None:
                low, high = (printer.doprint(e) for e in extent)
                ranges.append(rf"{low} \le {printer.doprint(index)} \le {high}")
        tensor = {"delta": r"\delta"}.get(self.tensor, self.tensor)
        entry, source = (", ".join(map(printer.doprint, v)) for v in (indices, reads))
        return [
            rf"{printer.doprint(label)}_{{{entry}}} = {tensor}_{{{source}}}"
            rf"\text{{ if that is an entry of }} {tensor}\text{{, else 0}}",
            r"\text{for }" + r",\ ".join(ranges),
        ]


#: the tensor whose shape a gradient (or the output, ``y``) has
TARGET_TENSOR = {"y": "delta", "grad_x": "X", "grad_w": "W", "grad_b": "b"}


# --- the formula ------------------------------------------------------------------------------


@dataclass(eq=False)
class Formula:
    """A boxed formula: ``lhs = rhs`` with free indices, checkable and printable.

    ``target``: the gradient it claims to equal (``y``, ``grad_x``, ``grad_w``, ``grad_b``;
    ``bias=False``: ``Y - b``); ``indices``: its free index symbols, addressing
    ``target_axes`` (row by row if ``target_flat``), from ``index_base`` (0 or 1);
    ``tensors``: each letter of ``rhs`` -> its :class:`TensorRef`; ``params``: each size
    symbol -> a function of the configuration; ``definitions``: ``(symbol, value)`` pairs
    worked out in order once the free indices are known, shown in the "where" line with
    the ``where`` lines; ``family``: the grid; ``expected``: False for a reader's formula
    the book shows to be wrong (its check must fail), ``note`` says why.

    ``rhs`` is any sympy expression the evaluator knows: sums (one with its upper bound
    below its lower has no terms, not sympy's Karr convention), exact divisions,
    ``floor``, ``ceiling``, ``Min``, ``Max``, ``Mod``, ``Piecewise``, Iverson brackets.
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

    def variant(self, *, name: str, title: str | None = None, **changes) -> Formula:
        """A copy under a new name with some fields changed (e.g. a deliberately broken ``rhs``).

        A variant describes itself, never in the original's words: ``title`` says what it
        is, and without one it is titled as a variant of this formula naming the fields
        changed. The original's ``note`` (why a reader's formula is wrong) is not carried
        over unless given again.
        """
        if name == self.name:
            raise ValueError(f"a variant of {self.name!r} needs a name of its own")
        if title is None:
            changed = ", ".join(changes) or "nothing"
            title = f"a variant of {self.name} ({changed} changed)"
        changes.setdefault("note", "")
        return replace(self, name=name, title=title, **changes)

    # --- rendering ---------------------------------------------------------------------
    def where_lines(self) -> list[str]:
        """The "where" clause as lines; a pair such as ``i_lo, i_hi`` or ``h_O, w_O`` shares one."""
        printer = _BookPrinter(self.brackets, self.loss)
        lines, previous = [], None
        for symbol, value in self.definitions:
            text = printer.doprint(symbol) + " = " + printer.doprint(value)
            head, _, tail = str(symbol).partition("_")
            if previous and tail and (head == previous[0] or tail == previous[1]):
                lines[-1], previous = lines[-1] + r",\quad " + text, None  # two to a line
            else:
                lines.append(text)
                previous = (head, tail)
        for base, ref in self.tensors.items():
            if ref.zero_outside:
                lines.extend(ref.definition(base.label, printer))
        return lines + list(self.where)

    def latex(self, boxed: bool = False, where: bool = True) -> str:
        """The LaTeX of ``lhs = rhs`` (``\\boxed`` if asked), and its "where" lines."""
        printer = _BookPrinter(self.brackets, self.loss)
        equation = f"{printer.doprint(self.lhs)} = {printer.doprint(self.rhs)}"
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

    # --- the formula's own symbols in one configuration --------------------------------
    def param_values(self, config: Config) -> dict[sympy.Symbol, int]:
        return {symbol: int(value(config)) for symbol, value in self.params.items()}

    def describe_config(self, config: Config) -> str:
        """The configuration in the formula's own symbols, e.g. ``s=2, f_r=3, h=5``."""
        values = self.param_values(config)
        return ", ".join(f"{symbol}={values[symbol]}" for symbol in self.describe or values)

    def applies_to(self, config: Config) -> bool:
        """Whether the formula addresses every entry: each axis it leaves out has size 1."""
        refs = [(TARGET_TENSOR[self.target], self.target_axes)]
        refs += [(ref.tensor, ref.axes) for ref in self.tensors.values()]
        return config.is_valid and all(
            set(axes) <= set(config.axes(tensor))
            and all(
                n == 1 for a, n in zip(config.axes(tensor), config.shapes[tensor]) if a not in axes
            )
            for tensor, axes in refs
        )


class _BookPrinter(LatexPrinter):
    """sympy's LaTeX, with terms kept in written order and one ``\\sum`` per index."""

    def __init__(self, brackets: bool = False, loss: str = "L"):
        super().__init__({"order": "none"})
        self._brackets, self._loss = brackets, loss

    def _needs_mul_brackets(self, expr, first=False, last=False) -> bool:
        if isinstance(expr, (sympy.Indexed, Grad)):
            return False  # an entry is one factor, whatever its indices hold
        return super()._needs_mul_brackets(expr, first=first, last=last)

    def _print_Indexed(self, expr):
        base = self._print(expr.base.label)
        indices = ", ".join(self._print(i) for i in expr.indices)
        return rf"{base}[{indices}]" if self._brackets else rf"{base}_{{{indices}}}"

    def _print_Sum(self, expr):
        text = self._print(expr.function)
        if isinstance(expr.function, sympy.Add):
            text = rf"\left({text}\right)"
        sums = [
            rf"\sum_{{{self._print(symbol)}={self._print(low)}}}^{{{self._print(high)}}}"
            for symbol, low, high in reversed(expr.limits)
        ]
        return " ".join(sums) + " " + text
