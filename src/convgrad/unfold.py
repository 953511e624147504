"""Unfolding: a convolution's windows as the columns of a matrix, and back.

``windows`` is the unfolded input as a strided view (no copy), ``add_windows`` its adjoint;
the fast path (``fast_path.py``) builds on both. ``im2col`` and ``col2im`` are the same as
matrices, as Chapter 12 derives them. ``im2col`` copies every window of the padded input into
one column, so the convolution becomes a single matrix product. ``col2im`` is its
*adjoint* (transpose), not its inverse: where windows overlap it adds their
values, which is exactly what the input's gradient needs (Chapter 5).
The layout matches ``torch.nn.functional.unfold``/``fold``: (N, C * prod(kernel), U), with
U = prod(out_size) the number of windows.
"""

# ruff: noqa: B905  (every zip below pairs per-dimension tuples of one length)

from __future__ import annotations

from itertools import product
from math import prod

import numpy as np

from .geometry import ConvGeometry, _per_dim, as_float_array, conv_geometry, crop, pad


def _geometry(x_shape, kernel, stride, padding, dilation) -> ConvGeometry:
    """The geometry of one filter of size `kernel` sliding over an input of shape x_shape."""
    x_shape = tuple(x_shape)
    if len(x_shape) not in (3, 4, 5):
        raise ValueError(
            f"x has shape {x_shape} ({len(x_shape)} axes) but must be (N, C, H), "
            "(N, C, H, W_in) or (N, C, D, H, W_in)"
        )
    kernel = _per_dim(kernel, "kernel", len(x_shape) - 2, 1)
    w_shape = (1, x_shape[1], *kernel)
    return conv_geometry(x_shape, w_shape, stride=stride, padding=padding, dilation=dilation)


def windows(xp: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """A read-only strided view (N, C, *kernel, *out_size) of the padded input xp.

    ``windows(xp)[n, c, k, i] = xp[n, c, i * stride + k * dilation]``: no copy yet.
    """
    batch_stride, channel_stride, *spatial_strides = xp.strides
    shape = (*xp.shape[:2], *geometry.kernel, *geometry.out_size)
    strides = (
        batch_stride,
        channel_stride,
        *(step * d for step, d in zip(spatial_strides, geometry.dilation)),
        *(step * s for step, s in zip(spatial_strides, geometry.stride)),
    )
    return np.lib.stride_tricks.as_strided(xp, shape, strides, writeable=False)


def tap_slices(k, geometry: ConvGeometry, out_size=None) -> tuple[slice, ...]:
    """The padded-input positions i * stride + k * dilation read by kernel tap k, for all i.

    out_size defaults to the geometry's; a smaller one describes a block of output rows.
    """
    out_size = geometry.out_size if out_size is None else out_size
    return tuple(
        slice(k_ * d, k_ * d + (out - 1) * s + 1, s)
        for k_, d, s, out in zip(k, geometry.dilation, geometry.stride, out_size)
    )


def add_windows(grad_xp: np.ndarray, blocks: np.ndarray, geometry: ConvGeometry) -> None:
    """The adjoint of windows: add blocks (N, C, *kernel, *out) onto grad_xp in place.

    Tap k of every window lands on one strided slice of the padded input, so the
    scatter is one slice-add per kernel tap; where windows overlap, values add up.
    ``out`` may be a block of output rows, with grad_xp starting at its first window.
    """
    out_size = blocks.shape[2 + geometry.ndim :]
    for k in product(*(range(n) for n in geometry.kernel)):
        taps = tap_slices(k, geometry, out_size)
        grad_xp[(..., *taps)] += blocks[(slice(None), slice(None), *k)]


def im2col(x, kernel, *, stride=1, padding=0, dilation=1):
    """Columns (N, C * prod(kernel), prod(out_size)): one column per window (Chapter 12)."""
    x = as_float_array(x, "x")
    geometry = _geometry(x.shape, kernel, stride, padding, dilation)
    batch, channels = x.shape[:2]
    view = windows(pad(x, geometry), geometry)
    return view.reshape(batch, channels * prod(geometry.kernel), prod(geometry.out_size))


def col2im(cols, x_shape, kernel, *, stride=1, padding=0, dilation=1):
    """The adjoint of im2col (Chapter 12): add every column back onto the window it came from.

    <im2col(x), cols> = <x, col2im(cols)> for all x and cols; overlapping windows add up.
    """
    cols = as_float_array(cols, "cols")
    geometry = _geometry(x_shape, kernel, stride, padding, dilation)
    batch, channels = geometry.batch, geometry.in_channels
    expected = (batch, channels * prod(geometry.kernel), prod(geometry.out_size))
    if cols.shape != expected:
        raise ValueError(
            f"cols has shape {cols.shape} but im2col of x.shape={geometry.x_shape} with "
            f"kernel {geometry.kernel} gives {expected}: (N, C * prod(kernel), prod(out_size))"
        )
    grad_xp = np.zeros((batch, channels, *geometry.padded_size), dtype=cols.dtype)
    add_windows(
        grad_xp, cols.reshape(batch, channels, *geometry.kernel, *geometry.out_size), geometry
    )
    return crop(grad_xp, geometry)
