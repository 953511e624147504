"""Central differences: the numeric gradient every analytic one is checked against.

``numerical_gradient`` estimates a gradient, ``central_differences`` the gradients of a
function of several arrays; ``gradcheck`` judges an analytic gradient by them, with the
same comparison (and the same table) as every check cell of the book
(:mod:`convgrad.comparison`). Chapter 13 derives the error of the central difference:
a truncation error of order ``eps**2`` plus a round-off error of order
``machine_eps / eps``, smallest near ``eps = machine_eps ** (1/3)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from .comparison import TOLERANCE, Verdict, compare
from .geometry import as_float_array

__all__ = [
    "numerical_gradient",
    "central_differences",
    "gradcheck",
    "default_eps",
    "relative_error",
]


def default_eps(dtype) -> float:
    """The step that balances truncation and round-off: the cube root of machine epsilon.

    Machine epsilon, the spacing of the numbers just above 1, is ``2**-52`` (about
    2.2e-16) in float64 and ``2**-23`` (about 1.19e-7) in float32, so the step is about
    6e-6 for float64 and 5e-3 for float32 (Chapter 13). A smaller step loses to round-off:
    f's own rounding error, divided by 2 eps, grows as eps shrinks. In float32 a step of
    1e-6, fine in float64, is only about eight spacings near 1, and the difference is
    mostly round-off; a step below half a spacing (about 6e-8 near 1) rounds away:
    ``x + eps == x``.
    """
    return float(np.finfo(dtype).eps ** (1 / 3))


def numerical_gradient(f: Callable[[np.ndarray], float], x, eps: float | None = None):
    """The gradient of the scalar function f at x by central differences (Chapter 13).

    ``df/dx[j] ~ (f(x + eps e_j) - f(x - eps e_j)) / (2 eps)``, one pair of calls per
    entry. f is called on a copy of x *in x's own dtype* (float32 or float64), so a
    float32 function is studied in float32; x itself is never modified. eps defaults to
    :func:`default_eps` of that dtype. Since ``x + eps`` is rounded to the dtype, the
    difference is divided by the step actually taken. The result has x's shape and dtype.
    """
    x = as_float_array(x, "x")
    eps = default_eps(x.dtype) if eps is None else eps
    if not (isinstance(eps, (int, float)) and not isinstance(eps, bool) and eps > 0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    point = x.copy()
    grad = np.zeros_like(point)
    for j in np.ndindex(point.shape):
        original = point[j]
        point[j] = original + eps
        x_plus, f_plus = float(point[j]), float(f(point))
        point[j] = original - eps
        x_minus, f_minus = float(point[j]), float(f(point))
        point[j] = original  # restore before the next entry
        if x_plus == x_minus:
            raise ValueError(
                f"eps={eps:g} is below the {x.dtype} spacing at x[{', '.join(map(str, j))}]="
                f"{float(original):g}: x + eps and x - eps round to the same number "
                f"(use a larger eps; the default for {x.dtype} is {default_eps(x.dtype):.1e})"
            )
        grad[j] = (f_plus - f_minus) / (x_plus - x_minus)
    return grad


def central_differences(
    f: Callable[..., float], inputs: Mapping[str, np.ndarray], eps: float | None = None
) -> dict[str, np.ndarray]:
    """The gradient of the scalar ``f(**inputs)`` with respect to each input: its
    :func:`numerical_gradient` (in its own dtype, with this eps) with the others held fixed."""
    grads = {}
    for name, value in inputs.items():
        others = {key: val for key, val in inputs.items() if key != name}
        grads[name] = numerical_gradient(
            lambda v, name=name, others=others: f(**others, **{name: v}), value, eps
        )
    return grads


def gradcheck(
    f: Callable[..., float],
    inputs,
    grads,
    *,
    eps: float | None = None,
    tolerance: float | None = None,
    name: str = "f",
    raise_exception: bool = False,
) -> Verdict:
    """Judge analytic gradients of the scalar f by central differences, as a Verdict.

    Like ``torch.autograd.gradcheck``, but the analytic gradient is yours: f takes one
    array (then ``inputs`` is that array and ``grads`` its gradient) or keyword arrays
    (then both are mappings from argument name to array). Each gradient is compared with
    :func:`numerical_gradient` by :func:`convgrad.comparison.compare`, the comparison of
    every check cell in the book: it passes when ``max |ours - numeric| <= tolerance *
    max(1, max |numeric|)``. tolerance defaults to 1e-6 in float64 and 1e-2 in float32
    (``TOLERANCE`` in :mod:`convgrad.comparison`).

    Returns the Verdict: ``verdict.ok`` (and ``bool(verdict)``) says pass or fail, its
    rows hold the errors, and printing it shows the table. A failed check raises
    AssertionError only with ``raise_exception=True``.
    """
    call = f
    if not isinstance(inputs, Mapping):  # one array: call it x
        inputs, grads, call = {"x": inputs}, {"x": grads}, (lambda x: f(x))
    if not isinstance(grads, Mapping) or set(grads) != set(inputs):
        raise ValueError(
            f"grads must give one gradient per input: inputs {sorted(inputs)}, "
            f"grads {sorted(grads) if isinstance(grads, Mapping) else type(grads).__name__}"
        )
    inputs = {key: as_float_array(value, key) for key, value in inputs.items()}
    grads = {key: np.asarray(grads[key]) for key in inputs}
    for key, grad in grads.items():
        if grad.shape != inputs[key].shape:
            raise ValueError(
                f"the gradient for {key} has shape {grad.shape} but {key} has shape "
                f"{inputs[key].shape}: a gradient has the shape of what it differentiates"
            )

    def labelled(values):
        return {f"∂{name}/∂{key}": value for key, value in values.items()}

    ours, numeric = labelled(grads), labelled(central_differences(call, inputs, eps))
    all_float64 = all(value.dtype == np.float64 for value in inputs.values())
    source = "central differences" + ("" if all_float64 else " (float32)")
    allowed = {source: TOLERANCE[source] if tolerance is None else tolerance}
    shapes = ", ".join(f"{key} {value.shape}" for key, value in inputs.items())
    verdict = compare(f"gradcheck of {name} at {shapes}", ours, {source: numeric}, allowed)
    if raise_exception and not verdict.ok:
        raise AssertionError(str(verdict))
    return verdict


def relative_error(a, b):
    """``max |a - b| / max(max |a|, max |b|)``: a norm-wise relative error, 0 when both are 0.

    Norm-wise rather than entry-wise, so an entry that is zero up to round-off does
    not turn a tiny absolute difference into a huge relative one.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)
