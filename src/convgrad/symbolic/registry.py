"""``FORMULAS``, the grids they are checked on, and the index symbols they share.

``catalog.py`` (the book's formulas) and ``questions.py`` (the readers' own) register here.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy

from .formula import Formula
from .tensors import Config

FORMULAS: dict[str, Formula] = {}
#: family -> its grid: ``size`` ("small": a chapter's inline check, "full") -> configurations
GRIDS: dict[str, Callable[[str], list[Config]]] = {}


def family(name: str, configurations: Callable[[str], list[Config]], **shared):
    """Register a family's grid; return a constructor that registers its formulas."""
    GRIDS[name] = configurations

    def make(formula_name, *fields, **extra):
        """``fields``: title, target, lhs, rhs, indices, target_axes, tensors (in that order)."""
        formula = Formula(formula_name, *fields, family=name, **shared, **extra)
        FORMULAS[formula.name] = formula
        return formula

    return make


def grid(family: str, size: str = "full") -> list[Config]:
    """The configurations a family of formulas is checked on: a fixed list, reproducible."""
    if size not in ("small", "full"):
        raise ValueError(f"grid size must be 'small' or 'full', not {size!r}")
    return [config for config in GRIDS[family](size) if config.is_valid]


def sum_over(body, *limits):
    """Nested sums, outermost limit first (as read left to right)."""
    return sympy.Sum(body, *reversed(limits))


# --- the symbols the book's and the readers' formulas share ---------------------------------
S = sympy.Symbol
i, j, k, l, p, q = (S(name) for name in "ijklpq")
K_h, K_w, H_out, W_out = S("K_h"), S("K_w"), S("H_out"), S("W_out")
