"""Central differences: the numeric gradient every analytic one is checked against.

Chapter 13 derives the error of the central difference (O(eps^2) truncation plus
round-off of order machine-eps / eps) and discusses tolerances.
"""

from __future__ import annotations

import numpy as np

from .geometry import as_float_array


def gradcheck(f, x, eps=1e-6):
    """Numeric gradient of the scalar function f at x by central differences (Chapter 13).

    df/dx[j] ~ (f(x + eps e_j) - f(x - eps e_j)) / (2 eps), one pair of calls per entry.
    f is evaluated on a float64 copy of x, so x itself is never modified.
    """
    x = as_float_array(x, "x")
    if not (isinstance(eps, (int, float)) and eps > 0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    point = x.astype(np.float64, copy=True)  # float64: eps = 1e-6 would drown in float32 round-off
    grad = np.zeros_like(point)
    for j in np.ndindex(point.shape):
        original = point[j]
        point[j] = original + eps
        f_plus = float(f(point))
        point[j] = original - eps
        f_minus = float(f(point))
        point[j] = original  # restore before the next entry
        grad[j] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a, b):
    """max |a - b| / max(max |a|, max |b|): a norm-wise relative error, 0 when both are 0.

    Norm-wise rather than entry-wise, so an entry that is zero up to round-off does
    not turn a tiny absolute difference into a huge relative one.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)


def gradient_error(f, x, analytic_grad, eps=1e-6):
    """relative_error between analytic_grad and the central-difference gradient of f at x."""
    return relative_error(analytic_grad, gradcheck(f, x, eps))
