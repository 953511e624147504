"""InputGradient: one input pixel's gradient, as scatter and as gather (Chapter 5)."""

from __future__ import annotations

from ._common import FramesWidget, Index, Layer, equation, esm, grid, positions, spread, window


class InputGradient(FramesWidget):
    """Pick an input pixel; see its gradient collected two ways that must agree.

    Scatter: the outputs whose windows read the pixel, each through one weight.
    Gather: the 180-degree-rotated kernel over dL/dY, spread by the stride and
    zero-padded (the full convolution). The gradient comes from `convgrad.conv_backward`.
    """

    _esm = esm("input_gradient")
    pixel = Index("input pixels")

    def __init__(self, x, w, delta, *, stride=1, padding=0, dilation=1, pixel=0, **kwargs):
        self.layer = layer = Layer.build(x, w, stride=stride, padding=padding, dilation=dilation)
        self.delta = layer.check_delta(delta)
        self.grad_x, _ = layer.gradients(self.delta)
        self.w_rotated = layer.w[::-1, ::-1]
        # dL/dX_padded[p] = sum over k of w_rotated[k] * delta_full[p + k*d]: a stride-1
        # correlation of dL/dY, spread by the stride and d*(K-1) zeros ahead (Chapters 5, 8)
        reach = [d * (k - 1) for k, d in zip(layer.w.shape, layer.dilation, strict=True)]
        shape = [n + r for n, r in zip(layer.x_padded.shape, reach, strict=True)]
        self.delta_full, kind = spread(self.delta, layer.stride, reach, shape)
        inputs = layer.state() | {
            "delta": grid(self.delta),
            "grad_x": grid(self.grad_x),
            "w_rotated": grid(self.w_rotated),
            "delta_full": grid(self.delta_full),
            "delta_full_is_delta": (kind == "delta").tolist(),
        }
        frames = [self.frame(index) for index in range(layer.x.size)]
        super().__init__(inputs=inputs, frames=frames, pixel=pixel, **kwargs)

    def frame(self, pixel: int) -> dict:
        """What the widget shows for input pixel `pixel` (reading order): both sums."""
        layer = self.layer
        r = positions(layer.x.shape)[pixel]
        p = tuple(r_ + before for r_, (before, _) in zip(r, layer.padding, strict=True))
        value = float(self.grad_x[r])  # convgrad.conv_backward's dL/dX at r
        # scatter: every (output, tap) whose window reads padded position p
        scatter = [
            (out, k)
            for out in positions(layer.out_size)
            for k in positions(layer.w.shape)
            if layer.tap(out, k) == p
        ]
        # gather: the rotated kernel's taps over delta_full, window starting at p
        taps, gather = window(self.w_rotated, self.delta_full, p, layer.dilation)
        name = f"\u2202L/\u2202X[{r[0]},{r[1]}]"
        by_scatter = [(self.delta[o], layer.w[k]) for o, k in scatter]
        return {
            "pixel": list(r),
            "scatter": [{"out": list(o), "k": list(k)} for o, k in scatter],
            "scatter_equation": equation(
                f"scatter: {name} = \u03a3 \u03b4\u00b7w",
                by_scatter,
                value,
                "convgrad's dL/dX",
                empty="(no window reads it)",
            ),
            "gather_taps": [list(t) for t in taps],
            "gather_equation": equation(
                f"gather: {name} = \u03a3 rot180(W)\u00b7\u03b4", gather, value, "convgrad's dL/dX"
            ),
            "value": value,
        }
