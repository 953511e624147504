"""The comparison every check of the book makes, and the table it prints.

``compare`` holds our values against those of other sources (the loop reference, central
differences, PyTorch), each within its tolerance, and returns a ``Verdict``: a table, one
row per quantity and source. ``numeric_verdict`` raises when a source that ran disagrees,
so that a wrong result stops the book's build. The chapters' check cells
(:mod:`convgrad.verdict`) and :func:`convgrad.gradcheck` both judge by it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

# How far each source may be from ours, relative to the size of the values compared.
# Exact sources differ from us only by float64 round-off; central differences by
# their truncation and cancellation error, which in float32 (machine epsilon 1.2e-7
# instead of 2.2e-16) is 1e-4 to 1e-3 of the values even at the best step.
TOLERANCE = {
    "reference loops": 1e-12,
    "central differences": 1e-6,
    "central differences (float32)": 1e-2,
    "PyTorch": 1e-10,
}


@dataclass(frozen=True)
class Row:
    """One comparison: a quantity, a source, how far apart they are and what is allowed."""

    quantity: str
    source: str
    max_abs_diff: float | None  # None when the source was skipped
    allowed: float | None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.max_abs_diff is None or self.max_abs_diff <= self.allowed

    @property
    def status(self) -> str:
        if self.max_abs_diff is None:
            return f"skipped ({self.note})"
        return "agrees" if self.ok else "DIFFERS"


@dataclass(frozen=True)
class Verdict:
    """The table a check cell prints; `ok` is True when every source that ran agrees."""

    title: str
    rows: tuple[Row, ...]

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def __bool__(self) -> bool:
        # so that `assert gradcheck(...)` reads as with torch.autograd.gradcheck
        return self.ok

    @property
    def sources_run(self) -> tuple[str, ...]:
        ran = (row.source for row in self.rows if row.max_abs_diff is not None)
        return tuple(dict.fromkeys(ran))

    @property
    def sources_skipped(self) -> tuple[str, ...]:
        skipped = (row.source for row in self.rows if row.max_abs_diff is None)
        return tuple(dict.fromkeys(skipped))

    def summary(self) -> str:
        compared = sum(row.max_abs_diff is not None for row in self.rows)
        failed = [row for row in self.rows if not row.ok]
        if failed:
            first = failed[0]
            head = (
                f"FAILED: {first.quantity} differs from {first.source} by "
                f"{first.max_abs_diff:.3g} (allowed {first.allowed:.1g})"
            )
        else:
            agree = "1 comparison agrees" if compared == 1 else f"all {compared} comparisons agree"
            head = f"{agree}\nran: {', '.join(self.sources_run)}"
        if self.sources_skipped:
            head += f"\nskipped: {', '.join(self.sources_skipped)}"
        return head

    def __str__(self) -> str:
        # Narrow enough for a book's code column: max |ours - theirs| and the allowed
        # bound, with two and one significant digits, are enough to judge the verdict.
        header = ("quantity", "compared with", "max |diff|", "allowed", "verdict")
        lines = [
            (
                row.quantity,
                row.source,
                "-" if row.max_abs_diff is None else f"{row.max_abs_diff:.1e}",
                "-" if row.allowed is None else f"{row.allowed:.0e}",
                row.status,
            )
            for row in self.rows
        ]
        widths = [
            max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)
        ]
        fmt = "  ".join(f"{{:<{width}}}" for width in widths)
        table = [fmt.format(*header).rstrip(), fmt.format(*("-" * width for width in widths))]
        table += [fmt.format(*line).rstrip() for line in lines]
        return "\n".join([self.title, *table, self.summary()])

    def __repr__(self) -> str:
        return str(self)


def compare(
    title: str,
    ours: Mapping[str, np.ndarray],
    others: Mapping[str, Mapping[str, np.ndarray] | str],
    tolerance: Mapping[str, float] | None = None,
) -> Verdict:
    """Compare ``ours`` (quantity -> array) with every source in ``others``; never raises
    on a disagreement: the returned Verdict says whether everything agrees.

    ``others`` maps a source name to its own quantity -> array mapping, or to a string
    saying why the source was skipped. A source agrees on a quantity when
    ``max |ours - theirs| <= tolerance * max(1, max |theirs|)``, with the tolerance of
    the source (``TOLERANCE``, updated by ``tolerance``). Raises AssertionError when a
    source misses a quantity or gives another shape (a broken check, not a verdict).
    """
    tolerance = {**TOLERANCE, **(tolerance or {})}
    rows = []
    for source, values in others.items():
        if isinstance(values, str):
            rows.extend(Row(quantity, source, None, None, values) for quantity in ours)
            continue
        rel = tolerance[_tolerance_key(source, tolerance)]
        for quantity, our_value in ours.items():
            our_value = np.asarray(our_value, dtype=np.float64)
            if quantity not in values:
                raise AssertionError(f"{source} gave no value for {quantity}")
            their_value = np.asarray(values[quantity], dtype=np.float64)
            if our_value.shape != their_value.shape:
                raise AssertionError(
                    f"{quantity}: ours has shape {our_value.shape}, "
                    f"{source} has shape {their_value.shape}"
                )
            scale = max(1.0, float(np.max(np.abs(their_value), initial=0.0)))
            diff = float(np.max(np.abs(our_value - their_value), initial=0.0))
            if not np.isfinite(diff):
                diff = float("inf")
            rows.append(Row(quantity, source, diff, rel * scale))
    return Verdict(title, tuple(rows))


def numeric_verdict(title, ours, others, tolerance=None) -> Verdict:
    """:func:`compare`, raising AssertionError (with the table) when a source that ran
    disagrees beyond its tolerance, so that a wrong result stops the book's build.
    """
    verdict = compare(title, ours, others, tolerance)
    if not verdict.ok:
        raise AssertionError(str(verdict))
    return verdict


def _tolerance_key(source: str, tolerance: Mapping[str, float]) -> str:
    """A source such as 'PyTorch 2.13.0 autograd' takes the tolerance of 'PyTorch'."""
    if source in tolerance:
        return source
    for key in tolerance:
        if source.startswith(key):
            return key
    raise KeyError(f"no tolerance for source {source!r}; known: {sorted(tolerance)}")
