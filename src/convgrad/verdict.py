"""The check cells of the book's chapters: each one a verdict table, printed.

A check cell computes a gradient (or a forward) ours way and every independent way:
the loop reference (:mod:`convgrad.reference`), central differences
(:func:`convgrad.central_differences`) and PyTorch where it is installed. It judges them by
:func:`convgrad.comparison.compare` and raises AssertionError naming the first
disagreement, so that a wrong result stops the book's build. Chapters get PyTorch only
through :func:`import_torch`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import numpy as np

from . import reference
from .comparison import TOLERANCE, Row, Verdict, compare, numeric_verdict  # noqa: F401 re-exported
from .fast_path import conv, conv_backward
from .finite_differences import central_differences
from .geometry import conv_geometry
from .identities import grad_x_as_conv_transpose

#: the layer's options every convolution check takes, and their defaults
CONV_OPTIONS = dict(stride=1, padding=0, dilation=1, groups=1)

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


def _pytorch(what: str, use_torch: bool, run: Callable, skipped: str = "") -> dict:
    """The PyTorch source of a verdict table, as an entry of its ``others``: ``run(torch)``
    under 'PyTorch <version> <what>', or why it is skipped under 'PyTorch <skipped or what>'.

    ``run`` may answer with a string: why it cannot run even though PyTorch is there.
    """
    torch = import_torch() if use_torch else None
    if torch is None:
        why = "PyTorch not installed" if use_torch else "not requested"
        return {f"PyTorch {skipped or what}": why}
    values = run(torch)
    if isinstance(values, str):
        return {f"PyTorch {skipped or what}": values}
    return {f"PyTorch {torch.__version__.split('+')[0]} {what}": values}


def _settings(options: Mapping) -> str:
    return ", ".join(f"{key}={value}" for key, value in options.items())


def gradient_verdict(
    f, inputs, grads, *, torch_f=None, use_torch=True, name="f", title=None
) -> Verdict:
    """Check gradients `grads` of the scalar ``f(**inputs)`` (numpy) against central
    differences and, if `torch_f` is given and PyTorch is importable, its autograd.

    `torch_f` is the same function written for torch tensors (often `f` itself);
    `name` is what the table calls f (e.g. "L").
    """
    inputs = {key: np.asarray(value, dtype=np.float64) for key, value in inputs.items()}
    labels = {key: f"∂{name}/∂{key}" for key in inputs}

    def labelled(values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {labels[key]: values[key] for key in inputs}

    def autograd(torch):
        # asked only where PyTorch is there: a chapter without it gives no torch_f either
        if torch_f is None:
            return "no torch version of f given"
        leaves = {
            key: torch.tensor(value, dtype=torch.float64, requires_grad=True)
            for key, value in inputs.items()
        }
        torch_f(**leaves).backward()
        return labelled({key: leaf.grad.numpy() for key, leaf in leaves.items()})

    others = {
        "central differences": labelled(central_differences(f, inputs)),
        **_pytorch("autograd", use_torch, autograd),
    }
    title = title or f"gradient of {name} with respect to {', '.join(inputs)}"
    return numeric_verdict(title, labelled(grads), others)


def conv_gradient_verdict(
    x, w, grad_y, *, backward=None, use_torch=True, which=("x", "w", "b"), **options
) -> Verdict:
    """Check `backward` (default convgrad.conv_backward) for L = Σ grad_y ⊙ conv(x, w, b)
    against the loop reference, central differences of convgrad.conv, and PyTorch.

    `options` are the layer's stride, padding, dilation and groups, as for convgrad.conv;
    `which` picks the gradients shown (of "x", "w", "b").
    """
    options = {**CONV_OPTIONS, **options}
    x, w, grad_y = (np.asarray(a, dtype=np.float64) for a in (x, w, grad_y))
    b = np.zeros(w.shape[0])
    labels = {"x": "∂L/∂X", "w": "∂L/∂W", "b": "∂L/∂b"}

    def pick(gradients) -> dict[str, np.ndarray]:
        grad_x, grad_w, grad_b = gradients
        values = {"x": grad_x, "w": grad_w, "b": grad_b}
        return {labels[key]: values[key] for key in which}

    def loss(x, w, b):
        return float(np.sum(grad_y * conv(x, w, b, **options)))

    def autograd(torch):
        return pick(_torch_conv_backward(torch, grad_y, x, w, options))

    ours = pick((backward or conv_backward)(grad_y, x, w, **options))
    fd = central_differences(loss, {"x": x, "w": w, "b": b})
    others = {
        "reference loops": pick(reference.conv_backward(grad_y, x, w, **options)),
        "central differences": pick((fd["x"], fd["w"], fd["b"])),
        **_pytorch("autograd", use_torch, autograd),
    }
    shapes = f"X {x.shape}, W {w.shape}, δ {grad_y.shape}"
    title = f"gradients of L = Σ δ ⊙ conv(X, W, b)\nfor {shapes}\n{_settings(options)}"
    return numeric_verdict(title, ours, others)


def conv_forward_verdict(x, w, b=None, *, forward=None, use_torch=True, **options) -> Verdict:
    """Check `forward` (default convgrad.conv) against the loop reference and PyTorch.

    `options` are the layer's stride, padding, dilation and groups, as for convgrad.conv.
    """
    options = {**CONV_OPTIONS, **options}
    x, w = (np.asarray(a, dtype=np.float64) for a in (x, w))
    b = None if b is None else np.asarray(b, dtype=np.float64)

    def torch_forward(torch):
        with torch.no_grad():
            y = _torch_conv_function(torch, x.ndim)(
                torch.from_numpy(x),
                torch.from_numpy(w),
                None if b is None else torch.from_numpy(b),
                **options,
            )
        return {"Y": y.numpy()}

    ours = {"Y": (forward or conv)(x, w, b, **options)}
    others = {
        "reference loops": {"Y": reference.conv(x, w, b, **options)},
        # skipped, the row keeps the name the light build's pages have always shown
        **_pytorch("forward", use_torch, torch_forward, skipped="autograd"),
    }
    title = f"forward Y = conv(X, W, b) for X {x.shape}, W {w.shape}\n{_settings(options)}"
    return numeric_verdict(title, ours, others)


def transpose_backward_verdict(
    x, w, grad_y, *, grad_x_as_transpose=None, use_torch=True, **options
) -> Verdict:
    """Check dL/dX of conv computed as a transposed convolution (Chapter 11).

    Ours is `grad_x_as_transpose` (default convgrad.grad_x_as_conv_transpose); it is
    compared with the loop reference, central differences of convgrad.conv and PyTorch's
    conv_transpose1d/2d/3d called with the forward's settings and output_padding = r,
    the padded rows past the last window. A (before, after) padding is a pad layer, so
    there PyTorch gets padding 0 and its result is cropped (the pad layer's backward).
    `options` are the layer's stride, padding, dilation and groups, as for convgrad.conv.
    """
    options = {**CONV_OPTIONS, **options}
    x, w, grad_y = (np.asarray(a, dtype=np.float64) for a in (x, w, grad_y))
    label = "∂L/∂X"

    def loss(x):
        return float(np.sum(grad_y * conv(x, w, **options)))

    def torch_transpose(torch):
        geometry = conv_geometry(x.shape, w.shape, **options)
        return {label: _torch_transpose_backward(torch, grad_y, w, geometry)}

    ours_f = grad_x_as_transpose or grad_x_as_conv_transpose
    ours = {label: ours_f(grad_y, x.shape, w, **options)}
    others = {
        "reference loops": {label: reference.conv_backward(grad_y, x, w, **options).x},
        "central differences": {label: central_differences(loss, {"x": x})["x"]},
        **_pytorch(f"conv_transpose{x.ndim - 2}d", use_torch, torch_transpose),
    }
    shapes = f"X {x.shape}, W {w.shape}, δ {grad_y.shape}"
    title = f"∂L/∂X as conv_transpose(δ, W, output_padding=r)\nfor {shapes}\n{_settings(options)}"
    return numeric_verdict(title, ours, others)


def _torch_conv_function(torch, ndim: int):
    functional = torch.nn.functional
    try:
        return {3: functional.conv1d, 4: functional.conv2d, 5: functional.conv3d}[ndim]
    except KeyError:
        raise ValueError(f"x must have 3, 4 or 5 dimensions (N, C, *spatial), got {ndim}") from None


def _torch_conv_backward(torch, grad_y, x, w, options):
    conv_nd = _torch_conv_function(torch, x.ndim)
    x_leaf = torch.tensor(x, requires_grad=True)
    w_leaf = torch.tensor(w, requires_grad=True)
    b_leaf = torch.zeros(w.shape[0], dtype=torch.float64, requires_grad=True)
    y = conv_nd(x_leaf, w_leaf, b_leaf, **options)
    y.backward(torch.from_numpy(grad_y))
    return x_leaf.grad.numpy(), w_leaf.grad.numpy(), b_leaf.grad.numpy()


def _torch_transpose_backward(torch, grad_y, w, geometry):
    """PyTorch's conv_transpose as conv's input gradient, cropped where padding is asymmetric."""
    transpose_nd = getattr(torch.nn.functional, f"conv_transpose{geometry.ndim}d")
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
