"""SlidingWindow: the forward pass, one output at a time (Chapter 3)."""

from __future__ import annotations

import anywidget
import numpy as np
import traitlets

from ._common import CSS, Layer, esm, grid, number, positions, product_term


class SlidingWindow(anywidget.AnyWidget):
    """Step a kernel over a (padded) input and write out each output's sum of products.

    `x` (H, W_in) and `w` (K_h, K_w) are one channel; stride, padding and dilation are
    passed to convgrad as they are. The output comes from `convgrad.conv`.
    """

    _esm = esm("sliding_window")
    _css = CSS
    inputs = traitlets.Dict().tag(sync=True)
    frames = traitlets.List().tag(sync=True)
    position = traitlets.Int(0).tag(sync=True)

    def __init__(self, x, w, *, stride=1, padding=0, dilation=1, position=0, **kwargs):
        layer = Layer.build(x, w, stride=stride, padding=padding, dilation=dilation)
        self.layer = layer
        inputs = layer.state() | {"x_padded": grid(layer.x_padded), "y": grid(layer.y)}
        frames = [self.frame(index) for index in range(layer.y.size)]
        super().__init__(inputs=inputs, frames=frames, position=position, **kwargs)

    @traitlets.validate("position")
    def _valid_position(self, proposal):
        position = proposal["value"]
        if not 0 <= position < self.layer.y.size:
            raise ValueError(f"position {position} is outside the {self.layer.y.size} outputs")
        return position

    def frame(self, position: int) -> dict:
        """What the widget shows at output `position` (reading order): window, terms, value."""
        layer = self.layer
        out = positions(layer.out_size)[position]
        taps = [layer.tap(out, k) for k in positions(layer.w.shape)]
        weights = [layer.w[k] for k in positions(layer.w.shape)]
        inputs = [layer.x_padded[t] for t in taps]
        total = float(np.sum(np.multiply(weights, inputs)))
        value = float(layer.y[out])  # convgrad.conv's output, the number the sum must reach
        if not np.isclose(total, value, rtol=1e-9, atol=1e-9):
            raise AssertionError(f"sum of products {total} differs from convgrad.conv's {value}")
        terms = [product_term(wk, xk) for wk, xk in zip(weights, inputs, strict=True)]
        return {
            "out": list(out),
            "taps": [list(t) for t in taps],
            "terms": terms,
            "value": value,
            "equation": f"Y[{out[0]},{out[1]}] = " + " + ".join(terms) + f" = {number(value)}",
        }
