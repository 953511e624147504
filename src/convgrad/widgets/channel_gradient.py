"""ChannelGradient: one input channel's gradient, built filter by filter (Chapter 6)."""

from __future__ import annotations

import numpy as np

from ..fast_path import conv, conv_backward
from ._common import FramesWidget, Index, as_grid, esm, grid


class ChannelGradient(FramesWidget):
    """Pick an input channel c; see dL/dX[c] built as a sum over the filters.

    `x` (C, H, W_in), `w` (F, C, K_h, K_w) and `delta` = dL/dY (F, H_out, W_out): one sample,
    stride 1, no padding. For channel c, filter f contributes the full correlation of
    delta[f] (zero-padded by K - 1) with W[f, c] rotated by 180 degrees; those F maps add
    up to convgrad.conv_backward's dL/dX[c]. The rotated slices W[f, c] for every f form
    the backward filter c: the channel axes of W swap.
    """

    _esm = esm("channel_gradient")
    channel = Index("input channels")

    def __init__(self, x, w, delta, *, channel=0, **kwargs):
        x = as_grid(x, "x", "(C, H, W_in)")
        w = as_grid(w, "w", "(F, C, K_h, K_w)")
        delta = as_grid(delta, "delta", "(F, H_out, W_out)")
        if w.shape[1] != x.shape[0]:
            raise ValueError(
                f"w has shape {w.shape}: its depth {w.shape[1]} must equal the input's "
                f"channels, x.shape[0] = {x.shape[0]} (x {x.shape})"
            )
        y_shape = conv(x[None], w).shape[1:]  # also checks that the kernel fits
        if delta.shape != y_shape:
            raise ValueError(
                f"delta = dL/dY has shape {delta.shape} but the output Y has shape {y_shape} "
                f"(x {x.shape}, w {w.shape}, stride 1, no padding): they must match"
            )
        self.x, self.w, self.delta = x, w, delta
        self.grad_x = conv_backward(delta[None], x[None], w).x[0]
        kernel = w.shape[2:]
        # the backward kernel: channel axes swapped, every slice rotated by 180 degrees
        self.w_back = w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]
        ring = ((0, 0), (kernel[0] - 1,) * 2, (kernel[1] - 1,) * 2)
        self.delta_padded = np.pad(delta, ring)
        inputs = {
            "x": grid(x),
            "w": grid(w),
            "delta": grid(delta),
            "delta_padded": grid(self.delta_padded),
            "delta_ring": [kernel[0] - 1, kernel[1] - 1],
            "w_back": grid(self.w_back),
            "grad_x": grid(self.grad_x),
        }
        frames = [self.frame(c) for c in range(x.shape[0])]
        super().__init__(inputs=inputs, frames=frames, channel=channel, **kwargs)

    def partial(self, c: int, f: int) -> np.ndarray:
        """Filter f's share of dL/dX[c]: conv(padded delta[f], rot180 W[f, c]), by convgrad."""
        return conv(self.delta_padded[f][None, None], self.w_back[c, f][None, None])[0, 0]

    def frame(self, c: int) -> dict:
        """What the widget shows for input channel c: one full correlation per filter."""
        partials = [self.partial(c, f) for f in range(self.w.shape[0])]
        total = np.sum(partials, axis=0)
        if not np.allclose(total, self.grad_x[c], rtol=1e-12, atol=1e-12):
            raise AssertionError(f"the filters' sum for channel {c} differs from convgrad's dL/dX")
        terms = " + ".join(
            f"fullcorr(\u03b4[{f}], rot180 W[{f},{c}])" for f in range(self.w.shape[0])
        )
        return {
            "channel": c,
            "partials": grid(partials),
            "equation": f"\u2202L/\u2202X[{c}] = {terms}",
            "swap": f"column c = {c} of W (one slice per filter) becomes backward "
            f"filter {c}: W_back[{c}, f] = rot180 W[f, {c}]",
        }
