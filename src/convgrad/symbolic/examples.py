"""Small worked examples in a reader's own names, computed by sympy (Chapters 3-4, Q1).

``q1_example()`` is Q1's 3x3 input ``V1..V9`` and 2x2 filter ``W1..W4``: the four
outputs ``G1..G4`` come from the same symbolic forward pass the checker uses, and
``dE/dW_m`` from sympy's chain rule, so the chapter prints equations nobody typed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from .forward import conv_entries
from .tensors import Config


@dataclass(frozen=True)
class WorkedExample:
    """Equations of a small example: outputs, and the filter gradient by the chain rule."""

    config: Config
    outputs: tuple  # sympy Eq: G_k = ...
    grad_w: tuple  # sympy Eq: dE/dW_m = sum_k dE/dG_k * dG_k/dW_m
    upstream: tuple  # the symbols dE/dG_k
    windows: dict  # W_m -> the input entry it meets in each window, in window order

    def latex(self) -> str:
        """Every equation, aligned on the equals sign."""
        lines = [
            sympy.latex(e.lhs) + " &= " + sympy.latex(e.rhs, order="none")
            for e in (*self.outputs, *self.grad_w)
        ]
        return r"\begin{aligned}" + r"\\ ".join(lines) + r"\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def display(self) -> None:
        from IPython.display import Math, display

        display(Math(self.latex()))


def _numbered(letter: str, count: int):
    return [sympy.Symbol(f"{letter}_{n}") for n in range(1, count + 1)]


def q1_example() -> WorkedExample:
    """Q1: ``G1 = V1 W1 + V2 W2 + V4 W3 + V5 W4`` and its neighbours, and ``dE/dW_m``."""
    config = Config.make((3, 3), (2, 2))
    v = np.array(_numbered("V", 9), dtype=object).reshape(1, 1, 3, 3)
    w = np.array(_numbered("W", 4), dtype=object).reshape(1, 1, 2, 2)
    no_bias = np.array([sympy.Integer(0)], dtype=object)
    g_values = conv_entries(v, w, no_bias, config).ravel()
    g = _numbered("G", 4)
    upstream = tuple(sympy.Symbol(rf"\frac{{\partial E}}{{\partial G_{n}}}") for n in range(1, 5))
    outputs = tuple(sympy.Eq(gk, value) for gk, value in zip(g, g_values, strict=True))
    grad_w, windows = [], {}
    for wm in w.ravel():
        # chain rule: E depends on W_m only through the outputs G_k
        local = [sympy.diff(value, wm) for value in g_values]
        windows[wm] = tuple(local)
        terms = [sympy.Mul(u, d, evaluate=False) for u, d in zip(upstream, local, strict=True)]
        total = sympy.Add(*terms, evaluate=False)
        grad_w.append(sympy.Eq(sympy.Symbol(rf"\frac{{\partial E}}{{\partial {wm}}}"), total))
    return WorkedExample(config, outputs, tuple(grad_w), upstream, windows)
