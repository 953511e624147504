"""WeightGradient: one kernel weight's gradient, summed over every window (Chapter 4)."""

from __future__ import annotations

from ._common import FramesWidget, Index, Layer, equation, esm, grid, positions


class WeightGradient(FramesWidget):
    """Pick a kernel weight; see each input it multiplied paired with that output's dL/dY.

    `x` (H, W_in), `w` (K_h, K_w) and `delta` = dL/dY (the output's shape) are one channel.
    The gradient shown comes from `convgrad.conv_backward`.
    """

    _esm = esm("weight_gradient")
    weight = Index("kernel weights")

    def __init__(self, x, w, delta, *, stride=1, padding=0, dilation=1, weight=0, **kwargs):
        self.layer = layer = Layer.build(x, w, stride=stride, padding=padding, dilation=dilation)
        self.delta = layer.check_delta(delta)
        _, self.grad_w = layer.gradients(self.delta)
        inputs = layer.state() | {
            "x_padded": grid(layer.x_padded),
            "delta": grid(self.delta),
            "grad_w": grid(self.grad_w),
        }
        frames = [self.frame(index) for index in range(layer.w.size)]
        super().__init__(inputs=inputs, frames=frames, weight=weight, **kwargs)

    def frame(self, weight: int) -> dict:
        """What the widget shows for kernel weight `weight` (reading order): pairs and sum."""
        layer = self.layer
        k = positions(layer.w.shape)[weight]
        outs = positions(layer.out_size)
        reads = [layer.tap(out, k) for out in outs]
        pairs = [(self.delta[out], layer.x_padded[p]) for out, p in zip(outs, reads, strict=True)]
        value = float(self.grad_w[k])  # convgrad.conv_backward's dL/dW at k
        name = f"\u2202L/\u2202W[{k[0]},{k[1]}] = \u03a3 \u03b4\u00b7x"
        return {
            "weight": list(k),
            "pairs": [{"out": list(o), "input": list(p)} for o, p in zip(outs, reads, strict=True)],
            "value": value,
            "equation": equation(name, pairs, value, "convgrad's dL/dW"),
        }
