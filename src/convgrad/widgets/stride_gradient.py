"""StrideGradient: the input gradient under a stride, by zero insertion (Chapter 8)."""

from __future__ import annotations

import numpy as np
import traitlets

from ..geometry import conv_geometry
from ._common import Index, Layer, Widget, as_grid, equation, esm, grid, positions, spread, window


class StrideGradient(Widget):
    """Pick a stride and an input pixel: dL/dY spread by the stride, the rotated kernel.

    For each stride in `strides`, dL/dY gets s - 1 zeros between its entries, K - 1
    zeros around it and r more at the end (the rows past the last window); the kernel,
    rotated by 180 degrees, slides over that at stride 1. The rows and columns of x that
    no window reads are marked: their gradient is zero. dL/dY is a fixed pattern of
    small whole numbers per stride (`seed`); the gradient comes from convgrad.
    """

    _esm = esm("stride_gradient")
    cases = traitlets.List().tag(sync=True)
    stride = traitlets.Int(2).tag(sync=True)
    pixel = Index("input pixels", count=lambda widget: widget.x.size)

    def __init__(self, x, w, *, strides=(1, 2, 3, 4), stride=2, pixel=0, seed=0, **kwargs):
        x, w = as_grid(x, "x"), as_grid(w, "w", "(K_h, K_w)")
        strides = [int(s) for s in strides]
        if not strides or strides != sorted(set(strides)) or strides[0] < 1:
            raise ValueError(f"strides must be increasing positive ints, got {strides}")
        self.x, self.w, self.strides = x, w, strides
        rng = np.random.default_rng(seed)
        self.layers, self.deltas = {}, {}
        for s in strides:
            layer = Layer.build(x, w, stride=s)
            self.layers[s] = layer
            # no zeros in delta, so every zero in the spread grid was inserted
            self.deltas[s] = rng.choice([-2.0, -1.0, 1.0, 2.0], size=layer.out_size)
        cases = [self.case(s) for s in strides]
        super().__init__(cases=cases, stride=stride, pixel=pixel, **kwargs)

    @traitlets.validate("stride")
    def _valid_stride(self, proposal):
        if proposal["value"] not in self.strides:
            raise ValueError(f"stride {proposal['value']} is not one of {self.strides}")
        return proposal["value"]

    def case(self, s: int) -> dict:
        """Everything shown at stride s: the arrays and one frame per input pixel."""
        layer, delta = self.layers[s], self.deltas[s]
        grad_x, _ = layer.gradients(delta)
        # dL/dY with s-1 zeros between entries, K-1 zeros around, r more at the end
        reach = [k - 1 for k in self.w.shape]
        shape = [n + k - 1 for n, k in zip(self.x.shape, self.w.shape, strict=True)]
        full, kind = spread(delta, (s, s), reach, shape)
        geometry = conv_geometry((1, 1, *self.x.shape), (1, 1, *self.w.shape), stride=s)
        geometry_unread = geometry.never_read()  # rows and columns of x no window reads
        rotated = self.w[::-1, ::-1]
        frames = []
        for r, c in positions(self.x.shape):
            taps, products = window(rotated, full, (r, c))
            value = float(grad_x[r, c])  # convgrad.conv_backward's dL/dX
            unread_row, unread_col = r in geometry_unread[0], c in geometry_unread[1]
            name = f"\u2202L/\u2202X[{r},{c}]"
            note = ""
            if unread_row or unread_col:
                what = "row" if unread_row else "column"
                which = r if unread_row else c
                note = (
                    f"No window reads {what} {which} of X: every entry under the kernel is "
                    f"an inserted or padded zero, so {name} = 0 whatever the loss."
                )
            frames.append(
                {
                    "pixel": [r, c],
                    "taps": [list(t) for t in taps],
                    "value": value,
                    "equation": equation(
                        f"{name} = \u03a3 rot180(W)\u00b7\u03b4\u0302", products, value, "convgrad"
                    ),
                    "note": note,
                }
            )
        out_h, out_w = layer.out_size
        extra = tuple((n - k) % s for n, k in zip(self.x.shape, self.w.shape, strict=True))
        inputs = layer.state() | {"delta": grid(delta)}
        return {
            "stride": s,
            "inputs": inputs,
            "grad_x": grid(grad_x),
            "w_rotated": grid(rotated),
            "delta_full": grid(full),
            "delta_kind": kind.tolist(),
            "never_read": [list(rows) for rows in geometry_unread],
            "summary": f"stride {s}: \u03b4 is {out_h}\u00d7{out_w}; {_count(s - 1, 'zero')} "
            f"between neighbouring entries, {_count(self.w.shape[0] - 1, 'zero')} around it, "
            f"and r = {extra[0]} more {_plural(extra[0], 'row')} and {extra[1]} more "
            f"{_plural(extra[1], 'column')} at the end",
            "frames": frames,
        }


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def _count(n: int, word: str) -> str:
    return f"{n} {_plural(n, word)}"
