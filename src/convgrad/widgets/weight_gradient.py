"""WeightGradient: one kernel weight's gradient, summed over every window (Chapter 4)."""

from __future__ import annotations

import anywidget
import numpy as np
import traitlets

from ._common import CSS, Layer, esm, grid, number, positions, product_term


class WeightGradient(anywidget.AnyWidget):
    """Pick a kernel weight; see each input it multiplied paired with that output's dL/dY.

    `x` (H, W_in), `w` (K_h, K_w) and `delta` = dL/dY (the output's shape) are one channel.
    The gradient shown comes from `convgrad.conv_backward`.
    """

    _esm = esm("weight_gradient")
    _css = CSS
    inputs = traitlets.Dict().tag(sync=True)
    frames = traitlets.List().tag(sync=True)
    weight = traitlets.Int(0).tag(sync=True)

    def __init__(self, x, w, delta, *, stride=1, padding=0, dilation=1, weight=0, **kwargs):
        layer = Layer.build(x, w, stride=stride, padding=padding, dilation=dilation)
        self.layer = layer
        self.delta = layer.check_delta(delta)
        _, self.grad_w = layer.gradients(self.delta)
        inputs = layer.state() | {
            "x_padded": grid(layer.x_padded),
            "delta": grid(self.delta),
            "grad_w": grid(self.grad_w),
        }
        frames = [self.frame(index) for index in range(layer.w.size)]
        super().__init__(inputs=inputs, frames=frames, weight=weight, **kwargs)

    @traitlets.validate("weight")
    def _valid_weight(self, proposal):
        weight = proposal["value"]
        if not 0 <= weight < self.layer.w.size:
            raise ValueError(f"weight {weight} is outside the kernel's {self.layer.w.size} weights")
        return weight

    def frame(self, weight: int) -> dict:
        """What the widget shows for kernel weight `weight` (reading order): pairs and sum."""
        layer = self.layer
        k = positions(layer.w.shape)[weight]
        outs = positions(layer.out_size)
        reads = [layer.tap(out, k) for out in outs]
        deltas = [self.delta[out] for out in outs]
        xs = [layer.x_padded[p] for p in reads]
        total = float(np.sum(np.multiply(deltas, xs)))
        value = float(self.grad_w[k])  # convgrad.conv_backward's dL/dW at k
        if not np.isclose(total, value, rtol=1e-9, atol=1e-9):
            raise AssertionError(f"sum of products {total} differs from convgrad's dL/dW {value}")
        terms = [product_term(d, x) for d, x in zip(deltas, xs, strict=True)]
        return {
            "weight": list(k),
            "pairs": [{"out": list(o), "input": list(p)} for o, p in zip(outs, reads, strict=True)],
            "terms": terms,
            "value": value,
            "equation": f"\u2202L/\u2202W[{k[0]},{k[1]}] = \u03a3 \u03b4\u00b7x = "
            + " + ".join(terms)
            + f" = {number(value)}",
        }
