"""InputGradient: one input pixel's gradient, as scatter and as gather (Chapter 5)."""

from __future__ import annotations

import anywidget
import numpy as np
import traitlets

from ._common import CSS, Layer, esm, grid, number, positions, product_term


class InputGradient(anywidget.AnyWidget):
    """Pick an input pixel; see its gradient collected two ways that must agree.

    Scatter: the outputs whose windows read the pixel, each through one weight.
    Gather: the 180-degree-rotated kernel over dL/dY, spread by the stride and
    zero-padded (the full convolution). The gradient comes from `convgrad.conv_backward`.
    """

    _esm = esm("input_gradient")
    _css = CSS
    inputs = traitlets.Dict().tag(sync=True)
    frames = traitlets.List().tag(sync=True)
    pixel = traitlets.Int(0).tag(sync=True)

    def __init__(self, x, w, delta, *, stride=1, padding=0, dilation=1, pixel=0, **kwargs):
        layer = Layer.build(x, w, stride=stride, padding=padding, dilation=dilation)
        self.layer = layer
        self.delta = layer.check_delta(delta)
        self.grad_x, _ = layer.gradients(self.delta)
        self.w_rotated = layer.w[::-1, ::-1]
        self.delta_full, self.delta_at = self._spread_and_pad()
        inputs = layer.state() | {
            "delta": grid(self.delta),
            "grad_x": grid(self.grad_x),
            "w_rotated": grid(self.w_rotated),
            "delta_full": grid(self.delta_full),
            "delta_full_is_delta": [[bool(v) for v in row] for row in self.delta_at],
        }
        frames = [self.frame(index) for index in range(layer.x.size)]
        super().__init__(inputs=inputs, frames=frames, pixel=pixel, **kwargs)

    @traitlets.validate("pixel")
    def _valid_pixel(self, proposal):
        pixel = proposal["value"]
        if not 0 <= pixel < self.layer.x.size:
            raise ValueError(f"pixel {pixel} is outside the input's {self.layer.x.size} pixels")
        return pixel

    def _spread_and_pad(self):
        """dL/dY with stride-1 zeros between entries and d*(K-1) zeros before (Chapters 5, 8).

        Then dL/dX_padded[p] = sum over k of w_rotated[k] * delta_full[p + k*d]: a stride-1
        correlation of delta_full with the rotated, dilated kernel.
        """
        layer = self.layer
        reach = [d * (k - 1) for k, d in zip(layer.w.shape, layer.dilation, strict=True)]
        padded_size = layer.x_padded.shape
        shape = tuple(n + r for n, r in zip(padded_size, reach, strict=True))
        full = np.zeros(shape)
        is_delta = np.zeros(shape, dtype=bool)
        for i in positions(layer.out_size):
            q = tuple(r + i_ * s for r, i_, s in zip(reach, i, layer.stride, strict=True))
            full[q] = self.delta[i]
            is_delta[q] = True
        return full, is_delta

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
        scatter_terms = [product_term(self.delta[o], layer.w[k]) for o, k in scatter]
        scatter_total = float(sum(self.delta[o] * layer.w[k] for o, k in scatter))

        # gather: the rotated kernel's taps over delta_full, window starting at p
        taps = [
            tuple(p_ + k_ * d for p_, k_, d in zip(p, k, layer.dilation, strict=True))
            for k in positions(layer.w.shape)
        ]
        gather_terms = [
            product_term(self.w_rotated[k], self.delta_full[t])
            for k, t in zip(positions(layer.w.shape), taps, strict=True)
        ]
        gather_total = float(
            sum(
                self.w_rotated[k] * self.delta_full[t]
                for k, t in zip(positions(layer.w.shape), taps, strict=True)
            )
        )
        for name, total in (("scatter", scatter_total), ("gather", gather_total)):
            if not np.isclose(total, value, rtol=1e-9, atol=1e-9):
                raise AssertionError(f"{name} sum {total} differs from convgrad's dL/dX {value}")
        name = f"\u2202L/\u2202X[{r[0]},{r[1]}]"
        scatter_sum = " + ".join(scatter_terms) if scatter_terms else "(no window reads it)"
        return {
            "pixel": list(r),
            "scatter": [{"out": list(o), "k": list(k)} for o, k in scatter],
            "scatter_equation": f"scatter: {name} = \u03a3 \u03b4\u00b7w = {scatter_sum}"
            f" = {number(scatter_total)}",
            "gather_taps": [list(t) for t in taps],
            "gather_equation": f"gather: {name} = \u03a3 rot180(W)\u00b7\u03b4 = "
            + " + ".join(gather_terms)
            + f" = {number(gather_total)}",
            "value": value,
        }
