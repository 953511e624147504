"""SlidingWindow: the forward pass, one output at a time (Chapter 3)."""

from __future__ import annotations

from ._common import FramesWidget, Index, Layer, equation, esm, grid, positions, window


class SlidingWindow(FramesWidget):
    """Step a kernel over a (padded) input and write out each output's sum of products.

    `x` (H, W_in) and `w` (K_h, K_w) are one channel; stride, padding and dilation are
    passed to convgrad as they are. The output comes from `convgrad.conv`.
    """

    _esm = esm("sliding_window")
    position = Index("outputs")

    def __init__(self, x, w, *, stride=1, padding=0, dilation=1, position=0, **kwargs):
        self.layer = layer = Layer.build(x, w, stride=stride, padding=padding, dilation=dilation)
        inputs = layer.state() | {"x_padded": grid(layer.x_padded), "y": grid(layer.y)}
        frames = [self.frame(index) for index in range(layer.y.size)]
        super().__init__(inputs=inputs, frames=frames, position=position, **kwargs)

    def frame(self, position: int) -> dict:
        """What the widget shows at output `position` (reading order): window, terms, value."""
        layer = self.layer
        out = positions(layer.out_size)[position]
        taps, pairs = window(layer.w, layer.x_padded, layer.tap(out, (0, 0)), layer.dilation)
        value = float(layer.y[out])  # convgrad.conv's output, the number the sum must reach
        return {
            "out": list(out),
            "taps": [list(t) for t in taps],
            "value": value,
            "equation": equation(f"Y[{out[0]},{out[1]}]", pairs, value, "convgrad.conv"),
        }
