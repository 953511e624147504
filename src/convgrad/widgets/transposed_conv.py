"""TransposedConv: the input gradient as a transposed convolution (Chapter 11)."""

from __future__ import annotations

import numpy as np
import traitlets

from ..fast_path import conv_backward, conv_transpose
from ..geometry import conv_geometry
from ._common import Index, Widget, as_grid, equation, esm, grid, positions, spread, window


def _upstream(shape) -> np.ndarray:
    """A small, fixed dL/dY of the given shape: integers -2..2 without symmetry."""
    rows, cols = shape
    return ((np.arange(rows)[:, None] * 3 + np.arange(cols)[None, :] * 2 + 1) % 5 - 2).astype(float)


class TransposedConv(Widget):
    """dL/dX as conv_transpose(dL/dY, w): zeros inserted, the rotated kernel slid over them.

    `x_size` (H, W_in) is the forward conv's input size, `w` (K_h, K_w) one channel of its
    kernel, `padding` its symmetric padding. For every stride in `strides` and every
    output_padding 0..s-1 the widget holds one setting: dL/dY of the forward output's size,
    spread with s-1 zeros between entries, K-1-P zeros around and output_padding more zeros
    after (the rows and columns output_padding adds, marked), and every output of
    ``convgrad.conv_transpose``. Only output_padding = r, the padded rows past the last
    window, gives back the forward input's size; the widget says so. Dilation is 1.
    """

    _esm = esm("transposed_conv")
    settings = traitlets.List().tag(sync=True)
    setting = Index("settings", count=lambda widget: len(widget.settings))
    position = Index("outputs", count=lambda widget: len(widget.settings[widget.setting]["frames"]))

    def __init__(self, x_size, w, *, padding=0, strides=(1, 2, 3), stride=2, **kwargs):
        w = as_grid(w, "w", "(K_h, K_w)")
        x_size = tuple(int(n) for n in x_size)
        if len(x_size) != 2:
            raise ValueError(f"x_size must be (H, W_in), got {x_size}")
        if not 0 <= padding <= min(w.shape) - 1:
            raise ValueError(
                f"padding {padding} must lie in 0..K-1 = 0..{min(w.shape) - 1} for kernel "
                f"{w.shape}: the widget draws the zeros the transposed conv adds, K-1-P per side"
            )
        if stride not in strides:
            raise ValueError(f"stride {stride} is not one of strides {tuple(strides)}")
        self.x_size, self.w, self.padding = x_size, w, int(padding)
        settings = []
        for s in strides:
            geometry = conv_geometry((1, 1, *x_size), (1, 1, *w.shape), stride=s, padding=padding)
            r = geometry.past_last_window
            if r[0] != r[1]:
                raise ValueError(
                    f"x_size {x_size} and kernel {w.shape} leave r = {r} padded rows and "
                    f"columns past the last window at stride {s}; the widget has one "
                    f"output_padding for both axes: pick sizes with equal r"
                )
            for output_padding in range(s):
                settings.append(self._setting(s, output_padding, geometry.out_size, r))
        start = next(
            n
            for n, state in enumerate(settings)
            if state["inputs"]["stride"][0] == stride and state["inputs"]["matches"]
        )
        super().__init__(settings=settings, setting=start, position=0, **kwargs)

    @traitlets.observe("setting")
    def _clamp_position(self, change):
        count = len(self.settings[change["new"]]["frames"])
        self.position = min(self.position, count - 1)

    def _setting(self, s, output_padding, out_size, r) -> dict:
        """One (stride, output_padding): the spread, padded delta and every output's sum."""
        w, p = self.w, self.padding
        delta = _upstream(out_size)
        options = dict(stride=s, padding=p, output_padding=output_padding)
        # the forward's w is conv_transpose's w: (C_in, C_out) = (F, C) = (1, 1)
        result = conv_transpose(delta[None, None], w[None, None], **options)[0, 0]
        reach = [k - 1 - p for k in w.shape]
        shape = [
            (o - 1) * s + 1 + 2 * e + output_padding for o, e in zip(out_size, reach, strict=True)
        ]
        spread_delta, kind = spread(delta, (s, s), reach, shape)  # "padding": K-1-P around
        extra = [n - output_padding for n in shape]
        kind[extra[0] :, :] = "extra"  # the zeros output_padding adds after
        kind[:, extra[1] :] = "extra"
        rotated = w[::-1, ::-1]
        frames = []
        for out in positions(result.shape):
            taps, pairs = window(rotated, spread_delta, out)
            value = float(result[out])  # convgrad.conv_transpose's output
            name = f"Z[{out[0]},{out[1]}] = \u03a3 rot180(W)\u00b7(spread \u03b4)"
            frames.append(
                {
                    "out": list(out),
                    "taps": [list(t) for t in taps],
                    "value": value,
                    "equation": equation(name, pairs, value, "convgrad.conv_transpose"),
                }
            )
        matches = result.shape == self.x_size
        if matches:  # then it is the input gradient: check it against conv_backward
            x_stand_in = np.zeros((1, 1, *self.x_size))
            grad_x = conv_backward(
                delta[None, None], x_stand_in, w[None, None], stride=s, padding=p
            ).x
            if not np.allclose(grad_x[0, 0], result, rtol=1e-12, atol=1e-12):
                raise AssertionError("conv_transpose differs from conv_backward's dL/dX")
        return {
            "inputs": {
                "x_size": list(self.x_size),
                "w": grid(w),
                "w_rotated": grid(rotated),
                "padding": p,
                "stride": [s, s],
                "output_padding": output_padding,
                "r": list(r),
                "delta": grid(delta),
                "spread": grid(spread_delta),
                "spread_kind": kind.tolist(),
                "z": grid(result),
                "extra_from": [n - output_padding for n in result.shape],
                "matches": matches,
            },
            "frames": frames,
        }
