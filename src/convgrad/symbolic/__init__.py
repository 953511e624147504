"""Symbolic checks: sympy verifies every boxed formula of the book (Appendix: formula checks).

A formula is a sympy expression (``formula``); ``catalog`` and ``questions`` register the
book's and the readers' formulas and the grids they are checked on (``registry``).
``check`` compares each, at every index, exactly, with sympy's derivative of
``L = sum(delta * Y)`` on the configurations of its grid (``tensors``), evaluating it
term by term as Python that sympy prints (``evaluate``)::

    from convgrad.symbolic import FORMULAS, check
    formula = FORMULAS["grad_w_1ch"]
    formula.display()                 # the boxed formula, rendered from this object
    report = check(formula, "small")  # every index of every configuration, exactly
    print(report)                     # in words; assert report.passed

Your own formula, typed as text, or your own backward function: ``check_text`` and
``check_backward`` (``own_derivation``, Chapter 13); Chapter 13's form reads its fields
with ``check_fields`` (``form_fields``).
"""

from . import catalog, questions  # noqa: F401  (both fill the registry)
from .check import Counterexample, Entry, Report, ReportTable, check, check_all, entry, readings
from .form_fields import check_fields
from .formula import Formula, TensorRef
from .own_derivation import DerivationCheck, WrongEntry, check_backward, check_text
from .registry import FORMULAS, grid
from .tensors import (
    Config,
    conv_entries,
    correlate,
    loss,
    symbolic_forward,
    symbolic_tensors,
    true_gradients,
)

__all__ = ["FORMULAS", "Config", "Counterexample", "Entry", "Formula", "Report", "ReportTable"]
__all__ += ["TensorRef", "check", "check_all", "conv_entries", "entry", "grid", "loss", "readings"]
__all__ += ["correlate", "symbolic_forward", "symbolic_tensors", "true_gradients"]
__all__ += ["DerivationCheck", "WrongEntry", "check_backward", "check_fields", "check_text"]
