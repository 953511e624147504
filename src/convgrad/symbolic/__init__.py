"""Symbolic checks: sympy verifies every boxed formula of the book (Appendix: formula checks).

- ``tensors``: configurations and tensors of sympy symbols named as in the book;
- ``forward``: the symbolic convolution and the true gradients (sympy differentiation);
- ``formula``: one boxed formula as one object, and its LaTeX;
- ``catalog``: the book's formulas, ``FORMULAS[name]``;
- ``readers``: the readers' formulas (Q1, Q3, Q5) in their own notation, same registry;
- ``grids``: the configurations each formula is checked on;
- ``evaluate``: a formula evaluated term by term, exactly;
- ``check``: the comparison, and the report a chapter prints.

Typical use in a chapter::

    from convgrad.symbolic import FORMULAS, check
    formula = FORMULAS["grad_w_1ch"]
    formula.display()                 # the boxed formula, rendered from this object
    report = check(formula, "small")  # every index of every configuration, exactly
    report                            # a table; assert report.passed
"""

from .catalog import FORMULAS
from .check import (
    Counterexample,
    Entry,
    Report,
    ReportTable,
    check,
    check_all,
    entry,
    readings,
)
from .examples import q1_example
from .formula import Formula, TensorRef
from .forward import conv_entries, symbolic_forward, true_gradients
from .grids import grid
from .tensors import Config, SymbolicTensor, symbolic_tensors

__all__ = [
    "FORMULAS",
    "Config",
    "Counterexample",
    "Entry",
    "Formula",
    "Report",
    "ReportTable",
    "SymbolicTensor",
    "TensorRef",
    "check",
    "check_all",
    "conv_entries",
    "entry",
    "grid",
    "q1_example",
    "readings",
    "symbolic_forward",
    "symbolic_tensors",
    "true_gradients",
]
