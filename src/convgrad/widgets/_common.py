"""What every widget shares: its base class, checking its inputs, writing numbers for the reader.

The widgets show one channel in two dimensions; everything they display is
computed here in Python with convgrad and sent to the browser as plain lists,
so the saved page can redraw any position without a kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from ..fast_path import conv, conv_backward
from ..geometry import conv_geometry

HERE = Path(__file__).parent
CSS = (HERE / "widgets.css").read_text()


def esm(name: str, helpers=("_elements", "_draw")) -> str:
    """The ES module that draws widget `name`: its own .js file after the shared helpers,
    less their comment lines (every page that shows the widget saves the module)."""
    text = "\n".join((HERE / f"{part}.js").read_text() for part in (*helpers, name))
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


class Widget(anywidget.AnyWidget):
    """A figure of the book: a subclass sets ``_esm`` (see `esm`) and the traits it syncs."""

    _css = CSS


class FramesWidget(Widget):
    """A figure that shows one frame at a time, chosen by the reader through an `Index`:
    ``inputs`` is what every frame shares, ``frames`` one dict per choice."""

    inputs = traitlets.Dict().tag(sync=True)
    frames = traitlets.List().tag(sync=True)


class Index(traitlets.Int):
    """A synced whole number that picks what the widget shows, from 0 to count(widget) - 1
    (by default its number of frames); any other value is a ValueError that names `what`."""

    def __init__(self, what: str, count=lambda widget: len(widget.frames)):
        super().__init__(0)
        self.what, self.count = what, count
        self.tag(sync=True)

    def validate(self, obj, value):
        value, count = super().validate(obj, value), self.count(obj)
        if not 0 <= value < count:
            raise ValueError(f"{self.name} {value} is outside the {count} {self.what}")
        return value


def as_grid(value, name: str, axes: str = "(H, W_in)") -> np.ndarray:
    """A float64 array with one dimension per name in `axes`, or a ValueError naming both.

    Most widgets show one channel in 2-D, (H, W_in) (the bare W is the weights);
    ChannelGradient takes volumes.
    """
    array = np.asarray(value, dtype=np.float64)
    ndim = axes.count(",") + 1
    if array.ndim != ndim:
        raise ValueError(
            f"{name} has shape {array.shape} but the widget shows one sample as "
            f"{axes}: pass a {ndim}-D array {axes}"
        )
    return array


def number(value: float) -> str:
    """A number as the reader should see it: short, no trailing zeros, true minus sign."""
    value = float(value)
    if abs(value) < 1e-12:  # round-off residue of a sum that is zero
        return "0"
    text = f"{value:.4g}"
    if "e" not in text and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace("-", "\u2212")


def product_term(a: float, b: float) -> str:
    """`a·b`, with negative factors in parentheses."""

    def factor(v):
        text = number(v)
        return f"({text})" if text.startswith("\u2212") else text

    return f"{factor(a)}\u00b7{factor(b)}"


def grid(array) -> list:
    """An array of numbers as nested lists of floats, for the browser."""
    return np.asarray(array, dtype=np.float64).tolist()


def equation(name: str, pairs, value: float, source: str, empty: str = "") -> str:
    """``name = a·b + c·d + … = value`` for the factor `pairs`, once their products add up to
    `value`, the number convgrad's `source` gave: a widget never shows a sum that disagrees."""
    total = float(sum(a * b for a, b in pairs))
    if not np.isclose(total, value, rtol=1e-9, atol=1e-9):
        raise AssertionError(f"{name}: the products add up to {total}, {source} gives {value}")
    terms = " + ".join(product_term(a, b) for a, b in pairs) or empty
    return f"{name} = {terms} = {number(value)}"


def window(kernel: np.ndarray, values: np.ndarray, corner, dilation=(1, 1)):
    """A kernel laid on `values` with its first tap at `corner`: the cells it reads, tap by
    tap in reading order, and the (weight, value) pair at each."""
    taps = positions(kernel.shape)
    cells = [tuple(c + k * d for c, k, d in zip(corner, t, dilation, strict=True)) for t in taps]
    return cells, [(kernel[t], values[cell]) for t, cell in zip(taps, cells, strict=True)]


def spread(delta: np.ndarray, stride, before, shape):
    """dL/dY with stride - 1 zeros between its entries, `before` zeros ahead of them, in zeros
    of `shape` (Chapters 5, 8, 11); and what each cell holds: "delta", "inserted" or "padding"."""
    full = np.zeros(shape)
    kind = np.full(shape, "padding", dtype=object)
    dims = list(zip(before, stride, delta.shape, strict=True))
    kind[tuple(slice(b, b + s * (n - 1) + 1) for b, s, n in dims)] = "inserted"
    entries = tuple(slice(b, b + s * n, s) for b, s, n in dims)
    full[entries] = delta
    kind[entries] = "delta"
    return full, kind


@dataclass(frozen=True)
class Layer:
    """One 2-D, single-channel convolution: its inputs, geometry and convgrad's results."""

    x: np.ndarray
    w: np.ndarray
    stride: tuple[int, int]
    padding: tuple[tuple[int, int], tuple[int, int]]
    dilation: tuple[int, int]
    out_size: tuple[int, int]
    y: np.ndarray

    @classmethod
    def build(cls, x, w, *, stride=1, padding=0, dilation=1) -> Layer:
        x, w = as_grid(x, "x"), as_grid(w, "w", "(K_h, K_w)")
        geometry = conv_geometry(
            (1, 1, *x.shape), (1, 1, *w.shape), stride=stride, padding=padding, dilation=dilation
        )
        options = dict(stride=geometry.stride, padding=geometry.padding, dilation=geometry.dilation)
        y = conv(x[None, None], w[None, None], **options)[0, 0]
        return cls(x, w, geometry.stride, geometry.padding, geometry.dilation, geometry.out_size, y)

    @property
    def options(self) -> dict:
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation)

    @property
    def x_padded(self) -> np.ndarray:
        return np.pad(self.x, self.padding)

    def check_delta(self, delta) -> np.ndarray:
        delta = as_grid(delta, "delta", "(H_out, W_out)")
        if delta.shape != self.out_size:
            raise ValueError(
                f"delta = dL/dY has shape {delta.shape} but the output Y has shape "
                f"{self.out_size} (x {self.x.shape}, w {self.w.shape}, stride {self.stride}, "
                f"padding {self.padding}, dilation {self.dilation}): they must match"
            )
        return delta

    def gradients(self, delta: np.ndarray):
        """convgrad's (grad_x, grad_w) for upstream gradient delta, as 2-D arrays."""
        grads = conv_backward(
            delta[None, None], self.x[None, None], self.w[None, None], **self.options
        )
        return grads.x[0, 0], grads.w[0, 0]

    def tap(self, out: tuple[int, int], k: tuple[int, int]) -> tuple[int, int]:
        """Position in the padded input read by output `out` through kernel tap `k`."""
        return tuple(
            o * s + kk * d for o, kk, s, d in zip(out, k, self.stride, self.dilation, strict=True)
        )

    def state(self) -> dict:
        """The inputs as JSON, for the browser (and for tests that recompute them)."""
        return {
            "x": grid(self.x),
            "w": grid(self.w),
            "stride": list(self.stride),
            "padding": [list(p) for p in self.padding],
            "dilation": list(self.dilation),
            "out_size": list(self.out_size),
        }


def positions(shape) -> list[tuple[int, int]]:
    """Every (row, col) of a 2-D grid in reading order."""
    return [(r, c) for r in range(shape[0]) for c in range(shape[1])]
