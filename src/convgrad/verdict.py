"""Numeric verdicts: the check cells of the book's chapters.

A verdict compares gradients we computed against independent sources (the loop
reference, central differences, PyTorch autograd when it is installed), prints a
short table, and raises AssertionError naming the first disagreement, so that a
wrong result stops the book's build. Chapters 1-5 use it.

``compare`` is the one comparison: ``numeric_verdict`` (the check cells) and
``convgrad.gradcheck`` both judge by it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
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


def numeric_verdict(
    title: str,
    ours: Mapping[str, np.ndarray],
    others: Mapping[str, Mapping[str, np.ndarray] | str],
    tolerance: Mapping[str, float] | None = None,
) -> Verdict:
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


# Which builds use PyTorch. `make book` (the light build) sets CONVGRAD_TORCH=off, so its
# pages are the same whether or not the machine has PyTorch; `make site` (the published
# build) sets CONVGRAD_TORCH=required, so that none of its pages can show a skipped check.
TORCH_MODE = "CONVGRAD_TORCH"
TORCH_MODES = ("", "off", "required")


def import_torch():
    """PyTorch if it is importable, else None: the book reads and builds without it.

    Every chapter gets PyTorch through this function. The environment variable
    CONVGRAD_TORCH changes that: "off" returns None even where PyTorch is installed (the
    light build, `make book`); "required" raises ImportError where it is missing (the
    published build, `make site`), so that build fails rather than print a skipped check.
    """
    mode = os.environ.get(TORCH_MODE, "")
    if mode not in TORCH_MODES:
        raise ValueError(f"{TORCH_MODE}={mode!r}: use one of 'off' and 'required', or unset it")
    if mode == "off":
        return None
    try:
        import torch
    except ImportError as error:
        if mode == "required":
            raise ImportError(
                f"{TORCH_MODE}=required (the published build, `make site`) but PyTorch cannot "
                "be imported: there every PyTorch check must run, none may be skipped"
            ) from error
        return None
    return torch


def _torch_skipped(use_torch: bool) -> str:
    """Why a PyTorch row of a verdict table is skipped."""
    return "PyTorch not installed" if use_torch else "not requested"


def _torch_source(torch) -> str:
    return f"PyTorch {torch.__version__.split('+')[0]} autograd"


def central_differences(
    f: Callable[..., float], inputs: Mapping[str, np.ndarray], eps: float | None = None
) -> dict[str, np.ndarray]:
    """Central-difference gradient of the scalar ``f(**inputs)`` with respect to each input,
    in float64 (eps defaults to ``convgrad.gradcheck.default_eps``)."""
    from .gradcheck import numerical_gradient  # gradcheck imports this module

    grads = {}
    for name, value in inputs.items():
        others = {key: val for key, val in inputs.items() if key != name}
        grads[name] = numerical_gradient(
            lambda v, name=name, others=others: f(**others, **{name: v}),
            np.asarray(value, dtype=np.float64),
            eps=eps,
        )
    return grads


def gradient_verdict(
    f: Callable[..., float],
    inputs: Mapping[str, np.ndarray],
    grads: Mapping[str, np.ndarray],
    *,
    torch_f: Callable[..., object] | None = None,
    use_torch: bool = True,
    name: str = "f",
    title: str | None = None,
) -> Verdict:
    """Check gradients `grads` of the scalar ``f(**inputs)`` (numpy) against central
    differences and, if `torch_f` is given and PyTorch is importable, its autograd.

    `torch_f` is the same function written for torch tensors (often `f` itself);
    `name` is what the table calls f (e.g. "L").
    """
    inputs = {key: np.asarray(value, dtype=np.float64) for key, value in inputs.items()}
    labels = {key: f"∂{name}/∂{key}" for key in inputs}
    ours = {labels[key]: grads[key] for key in inputs}
    fd = central_differences(f, inputs)
    others: dict[str, Mapping[str, np.ndarray] | str] = {
        "central differences": {labels[key]: fd[key] for key in inputs}
    }
    torch = import_torch() if use_torch else None
    # a chapter without PyTorch has no torch version of f either: name the real reason
    if torch is None:
        others["PyTorch autograd"] = _torch_skipped(use_torch)
    elif torch_f is None:
        others["PyTorch autograd"] = "no torch version of f given"
    else:
        leaves = {
            key: torch.tensor(value, dtype=torch.float64, requires_grad=True)
            for key, value in inputs.items()
        }
        torch_f(**leaves).backward()
        others[_torch_source(torch)] = {
            labels[key]: leaf.grad.numpy() for key, leaf in leaves.items()
        }
    title = title or f"gradient of {name} with respect to {', '.join(inputs)}"
    return numeric_verdict(title, ours, others)


def conv_gradient_verdict(
    x: np.ndarray,
    w: np.ndarray,
    grad_y: np.ndarray,
    *,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    backward: Callable | None = None,
    use_torch: bool = True,
    which: tuple[str, ...] = ("x", "w", "b"),
) -> Verdict:
    """Check `backward` (default convgrad.conv_backward) for L = Σ grad_y ⊙ conv(x, w, b)
    against the loop reference, central differences of convgrad.conv, and PyTorch.

    `which` picks the gradients shown (of "x", "w", "b").
    """
    import convgrad
    from convgrad import reference

    backward = backward or convgrad.conv_backward
    geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    x, w, grad_y = (np.asarray(a, dtype=np.float64) for a in (x, w, grad_y))
    b = np.zeros(w.shape[0])
    labels = {"x": "∂L/∂X", "w": "∂L/∂W", "b": "∂L/∂b"}

    def pick(gradients) -> dict[str, np.ndarray]:
        grad_x, grad_w, grad_b = gradients
        values = {"x": grad_x, "w": grad_w, "b": grad_b}
        return {labels[key]: values[key] for key in which}

    def loss(x, w, b):
        return float(np.sum(grad_y * convgrad.conv(x, w, b, **geometry)))

    ours = pick(backward(grad_y, x, w, **geometry))
    fd = central_differences(loss, {"x": x, "w": w, "b": b})
    others: dict[str, Mapping[str, np.ndarray] | str] = {
        "reference loops": pick(reference.conv_backward(grad_y, x, w, **geometry)),
        "central differences": pick((fd["x"], fd["w"], fd["b"])),
    }
    torch = import_torch() if use_torch else None
    if torch is None:
        others["PyTorch autograd"] = _torch_skipped(use_torch)
    else:
        others[_torch_source(torch)] = pick(_torch_conv_backward(torch, grad_y, x, w, geometry))
    shapes = f"X {x.shape}, W {w.shape}, δ {grad_y.shape}"
    settings = ", ".join(f"{key}={value}" for key, value in geometry.items())
    title = f"gradients of L = Σ δ ⊙ conv(X, W, b)\nfor {shapes}\n{settings}"
    return numeric_verdict(title, ours, others)


def conv_forward_verdict(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    forward: Callable | None = None,
    use_torch: bool = True,
) -> Verdict:
    """Check `forward` (default convgrad.conv) against the loop reference and PyTorch."""
    import convgrad
    from convgrad import reference

    forward = forward or convgrad.conv
    geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    x, w = (np.asarray(a, dtype=np.float64) for a in (x, w))
    b = None if b is None else np.asarray(b, dtype=np.float64)
    ours = {"Y": forward(x, w, b, **geometry)}
    others: dict[str, Mapping[str, np.ndarray] | str] = {
        "reference loops": {"Y": reference.conv(x, w, b, **geometry)}
    }
    torch = import_torch() if use_torch else None
    if torch is None:
        others["PyTorch autograd"] = _torch_skipped(use_torch)
    else:
        conv_nd = _torch_conv_function(torch, x.ndim)
        with torch.no_grad():
            y = conv_nd(
                torch.from_numpy(x),
                torch.from_numpy(w),
                None if b is None else torch.from_numpy(b),
                **geometry,
            )
        others[f"PyTorch {torch.__version__.split('+')[0]} forward"] = {"Y": y.numpy()}
    settings = ", ".join(f"{key}={value}" for key, value in geometry.items())
    title = f"forward Y = conv(X, W, b) for X {x.shape}, W {w.shape}\n{settings}"
    return numeric_verdict(title, ours, others)


def _torch_conv_function(torch, ndim: int):
    import torch.nn.functional as functional

    try:
        return {3: functional.conv1d, 4: functional.conv2d, 5: functional.conv3d}[ndim]
    except KeyError:
        raise ValueError(f"x must have 3, 4 or 5 dimensions (N, C, *spatial), got {ndim}") from None


def _torch_conv_backward(torch, grad_y, x, w, geometry):
    conv_nd = _torch_conv_function(torch, x.ndim)
    x_leaf = torch.tensor(x, requires_grad=True)
    w_leaf = torch.tensor(w, requires_grad=True)
    b_leaf = torch.zeros(w.shape[0], dtype=torch.float64, requires_grad=True)
    y = conv_nd(x_leaf, w_leaf, b_leaf, **geometry)
    y.backward(torch.from_numpy(grad_y))
    return x_leaf.grad.numpy(), w_leaf.grad.numpy(), b_leaf.grad.numpy()


def transpose_backward_verdict(
    x: np.ndarray,
    w: np.ndarray,
    grad_y: np.ndarray,
    *,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    grad_x_as_transpose: Callable | None = None,
    use_torch: bool = True,
) -> Verdict:
    """Check dL/dX of conv computed as a transposed convolution (Chapter 11).

    Ours is `grad_x_as_transpose` (default convgrad.grad_x_as_conv_transpose); it is
    compared with the loop reference, central differences of convgrad.conv and PyTorch's
    conv_transpose1d/2d/3d called with the forward's settings and output_padding = r,
    the padded rows past the last window. A (before, after) padding is a pad layer, so
    there PyTorch gets padding 0 and its result is cropped (the pad layer's backward).
    """
    import convgrad
    from convgrad import reference

    ours_f = grad_x_as_transpose or convgrad.grad_x_as_conv_transpose
    geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    x, w, grad_y = (np.asarray(a, dtype=np.float64) for a in (x, w, grad_y))
    label = "∂L/∂X"

    def loss(x):
        return float(np.sum(grad_y * convgrad.conv(x, w, **geometry)))

    ours = {label: ours_f(grad_y, x.shape, w, **geometry)}
    others: dict[str, Mapping[str, np.ndarray] | str] = {
        "reference loops": {label: reference.conv_backward(grad_y, x, w, **geometry).x},
        "central differences": {label: central_differences(loss, {"x": x})["x"]},
    }
    conv_geometry = convgrad.conv_geometry(x.shape, w.shape, **geometry)
    torch = import_torch() if use_torch else None
    if torch is None:
        name = f"PyTorch conv_transpose{x.ndim - 2}d"
        others[name] = _torch_skipped(use_torch)
    else:
        name = f"PyTorch {torch.__version__.split('+')[0]} conv_transpose{x.ndim - 2}d"
        others[name] = {label: _torch_transpose_backward(torch, grad_y, w, conv_geometry)}
    shapes = f"X {x.shape}, W {w.shape}, δ {grad_y.shape}"
    settings = ", ".join(f"{key}={value}" for key, value in geometry.items())
    title = f"∂L/∂X as conv_transpose(δ, W, output_padding=r)\nfor {shapes}\n{settings}"
    return numeric_verdict(title, ours, others)


def _torch_transpose_backward(torch, grad_y, w, geometry):
    """PyTorch's conv_transpose as conv's input gradient, cropped where padding is asymmetric."""
    import torch.nn.functional as functional

    transpose_nd = getattr(functional, f"conv_transpose{geometry.ndim}d")
    symmetric = all(before == after for before, after in geometry.padding)
    with torch.no_grad():
        grad_x = transpose_nd(
            torch.from_numpy(grad_y),
            torch.from_numpy(w),
            stride=geometry.stride,
            padding=tuple(before for before, _ in geometry.padding) if symmetric else 0,
            output_padding=geometry.past_last_window,
            dilation=geometry.dilation,
            groups=geometry.groups,
        ).numpy()
    if symmetric:
        return grad_x
    # the gradient of the padded input, then the pad layer's backward: a crop
    sizes = geometry.x_shape[2:]
    window = tuple(
        slice(before, before + n) for (before, _), n in zip(geometry.padding, sizes, strict=True)
    )
    return grad_x[(..., *window)]
