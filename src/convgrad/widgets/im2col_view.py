"""Im2col: windows become the columns of a matrix, and col2im adds them back (Chapter 12)."""

from __future__ import annotations

import numpy as np

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
        # the geometry, read back from the shapes im2col produced
        kernel = (kernel, kernel) if np.isscalar(kernel) else tuple(kernel)
        reads = self._reads(x.shape, kernel, options)
        out_size = reads.shape[:2]
        self.x, self.out_size = x, out_size
        inputs = {
            "x": grid(x),
            "kernel": list(kernel),
            "stride": [int(v) for v in np.broadcast_to(stride, 2)],
            "dilation": [int(v) for v in np.broadcast_to(dilation, 2)],
            "out_size": list(out_size),
            "cols": grid(cols),
        }
        frames = []
        for t in range(cols.shape[1]):
            kept = np.zeros_like(cols)
            kept[:, : t + 1] = 1  # columns 0..t go back
            added = col2im((cols * kept)[None], (1, 1, *x.shape), kernel, **options)[0, 0]
            count = col2im(ones_cols * kept, (1, 1, *x.shape), kernel, **options)[0, 0]
            frames.append(self._frame(t, reads, added, count))
        last = frames[-1]
        if not np.allclose(np.array(last["added"]), np.array(last["count"]) * x):
            raise AssertionError("col2im(im2col(x)) must be x times the overlap count")
        super().__init__(inputs=inputs, frames=frames, position=position, **kwargs)

    @staticmethod
    def _reads(shape, kernel, options):
        """reads[i, j, tap] = the (row, col) of x that tap reads in window (i, j)."""
        index = np.arange(shape[0] * shape[1], dtype=float).reshape(1, 1, *shape)
        flat = im2col(index, kernel, **options)[0].astype(int)  # (K_h * K_w, U)
        stride = np.broadcast_to(options["stride"], 2)
        dilation = np.broadcast_to(options["dilation"], 2)
        out = [
            (n - d * (k - 1) - 1) // s + 1
            for n, k, s, d in zip(shape, kernel, stride, dilation, strict=True)
        ]
        rows, cols = np.divmod(flat.T, shape[1])
        return np.stack([rows, cols], axis=-1).reshape(*out, -1, 2)

    def _frame(self, t, reads, added, count) -> dict:
        window = positions(self.out_size)[t]
        read = reads[window]
        first, last = read[0], read[-1]
        most = int(count.max())
        # the pixel of this window covered most often so far: where the adding shows
        shown = tuple(max(read.tolist(), key=lambda pixel: count[tuple(pixel)]))
        equation = (
            f"window ({window[0]},{window[1]}) \u2192 column {t}: rows {first[0]}\u2013{last[0]}, "
            f"columns {first[1]}\u2013{last[1]} of X, read top to bottom. col2im of columns "
            f"0\u2013{t}: each pixel holds X times the windows that covered it "
            f"(up to {most}), e.g. pixel ({shown[0]},{shown[1]}) = "
            f"{int(count[shown])}\u00b7{number(self.x[shown])} = {number(added[shown])}"
        )
        return {
            "window": list(window),
            "reads": [[int(r), int(c)] for r, c in read],
            "added": grid(added),
            "count": grid(count),
            "equation": equation,
        }

    def frame(self, position: int) -> dict:
        """What the widget shows at window `position` (reading order)."""
        return self.frames[position]
