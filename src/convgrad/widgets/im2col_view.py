"""Im2col: windows become the columns of a matrix, and col2im adds them back (Chapter 12)."""

from __future__ import annotations

import numpy as np

from ..geometry import conv_geometry
from ..unfold import col2im, im2col
from ._common import FramesWidget, Index, as_grid, esm, grid, number, positions


class Im2col(FramesWidget):
    """Step through the windows of `x`: each one becomes a column of im2col(x), and col2im
    adds the columns back onto the image, summing where windows overlap.

    `x` (H, W_in) is one channel; `kernel` an int or (K_h, K_w); stride and dilation as in
    :func:`convgrad.im2col` (no padding). At window t the figure shows column t of the
    im2col matrix, and col2im of the columns 0..t with, per pixel, how many of those
    windows covered it. After the last window, col2im(im2col(x)) is x times that count.
    """

    _esm = esm("im2col_view")
    position = Index("windows")

    def __init__(self, x, kernel, *, stride=1, dilation=1, position=0, **kwargs):
        x = as_grid(x, "x")
        options = dict(stride=stride, dilation=dilation)
        cols = im2col(x[None, None], kernel, **options)[0]  # (K_h * K_w, U)
        ones_cols = im2col(np.ones((1, 1, *x.shape)), kernel, **options)
        kernel = tuple(int(k) for k in np.broadcast_to(kernel, 2))
        geometry = conv_geometry((1, 1, *x.shape), (1, 1, *kernel), **options)
        self.x, self.out_size = x, geometry.out_size
        # the pixels each window reads, tap by tap: im2col of the pixels' flat indices
        index = np.arange(x.size, dtype=float).reshape(1, 1, *x.shape)
        reads = im2col(index, kernel, **options)[0].T.astype(int)
        inputs = {
            "x": grid(x),
            "kernel": list(kernel),
            "stride": list(geometry.stride),
            "dilation": list(geometry.dilation),
            "out_size": list(geometry.out_size),
            "cols": grid(cols),
        }
        frames = []
        for t, read in enumerate(reads):
            kept = np.zeros_like(cols)
            kept[:, : t + 1] = 1  # columns 0..t go back
            added = col2im((cols * kept)[None], (1, 1, *x.shape), kernel, **options)[0, 0]
            count = col2im(ones_cols * kept, (1, 1, *x.shape), kernel, **options)[0, 0]
            pixels = [divmod(int(i), x.shape[1]) for i in read]
            frames.append(self._frame(t, pixels, added, count))
        last = frames[-1]
        if not np.allclose(np.array(last["added"]), np.array(last["count"]) * x):
            raise AssertionError("col2im(im2col(x)) must be x times the overlap count")
        super().__init__(inputs=inputs, frames=frames, position=position, **kwargs)

    def _frame(self, t, read, added, count) -> dict:
        window = positions(self.out_size)[t]
        first, last = read[0], read[-1]
        most = int(count.max())
        # the pixel of this window covered most often so far: where the adding shows
        shown = max(read, key=lambda pixel: count[pixel])
        equation = (
            f"window ({window[0]},{window[1]}) \u2192 column {t}: rows {first[0]}\u2013{last[0]}, "
            f"columns {first[1]}\u2013{last[1]} of X, read top to bottom. col2im of columns "
            f"0\u2013{t}: each pixel holds X times the windows that covered it "
            f"(up to {most}), e.g. pixel ({shown[0]},{shown[1]}) = "
            f"{int(count[shown])}\u00b7{number(self.x[shown])} = {number(added[shown])}"
        )
        return {
            "window": list(window),
            "reads": [list(pixel) for pixel in read],
            "added": grid(added),
            "count": grid(count),
            "equation": equation,
        }

    def frame(self, position: int) -> dict:
        """What the widget shows at window `position` (reading order)."""
        return self.frames[position]
