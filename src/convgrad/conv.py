"""The fast path: one general N-d convolution, and its three gradients beside it.

The loops of ``convgrad.reference`` turned into matrix products (Chapter 12).
Groups are a reshape: group g's filters see only group g's channels, so every
product below carries a group axis G (and a batch axis N) that numpy's matmul loops over.
Shapes: x (N, C, *in_size), w (F, C_g, *kernel), y and grad_y (N, F, *out_size),
with C = G * C_g and F = G * F_g.
"""

# ruff: noqa: B905  (every zip below pairs per-dimension tuples of one length)

from __future__ import annotations

from math import prod

import numpy as np

from .geometry import ConvGeometry, check_call, crop, pad
from .im2col import add_windows, windows
from .reference import Gradients

__all__ = ["conv", "conv_backward", "Gradients"]


# columns are built for a few samples at a time, so memory stays low on big batches
COLUMNS_BUDGET = 16 * 2**20  # bytes; about half of a typical L3 cache


def _batches(geometry: ConvGeometry, itemsize: int) -> list[slice]:
    """Slices of the batch whose columns fit in COLUMNS_BUDGET (at least one sample each)."""
    per_sample = geometry.in_channels * prod(geometry.kernel) * prod(geometry.out_size) * itemsize
    step = max(1, COLUMNS_BUDGET // per_sample)
    return [slice(start, start + step) for start in range(0, geometry.batch, step)]


def _columns(x, geometry: ConvGeometry):
    """im2col by group: (n, G, C_g * prod(kernel), prod(out_size)), one column per window."""
    view = windows(pad(x, geometry), geometry)  # (n, C, *kernel, *out_size), no copy yet
    return view.reshape(len(x), geometry.groups, -1, prod(geometry.out_size))


def conv(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1):
    """y = conv(x, w) + b for 1, 2 or 3 spatial dimensions (Chapter 11; vectorized in Ch. 12).

    x (N, C, *spatial), w (F, C // groups, *kernel), b (F,) or None. stride, padding and
    dilation are an int or one int per spatial dimension; padding may be "valid", "same"
    or per-dimension (before, after) pairs. float32 and float64 keep their dtype.
    """
    x, w, b, _, geo = check_call(
        x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    G, O = geo.groups, prod(geo.out_size)
    w_matrix = w.reshape(G, w.shape[0] // G, -1)  # (G, F_g, C_g * prod(kernel))
    y = np.empty(geo.y_shape, dtype=x.dtype)
    y_by_group = y.reshape(geo.batch, G, -1, O)  # a view: the products write into y
    for batch in _batches(geo, x.itemsize):
        # every filter times every window of its group: y = W @ im2col(x)
        np.matmul(w_matrix, _columns(x[batch], geo), out=y_by_group[batch])
    if b is not None:
        y += b.reshape(-1, *(1,) * geo.ndim)  # one bias per filter, at every position
    return y


def conv_backward(grad_y, x, w, *, stride=1, padding=0, dilation=1, groups=1):
    """The three gradients of conv, Gradients(x, w, b) (Chapters 4-7; vectorized in Ch. 12).

    grad_y is dL/dy, with the shape of conv's output. The bias gradient is always returned.
    """
    x, w, _, grad_y, geo = check_call(
        x, w, None, grad_y, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    G, O = geo.groups, prod(geo.out_size)
    w_matrix = w.reshape(G, w.shape[0] // G, -1)  # (G, F_g, C_g * prod(kernel))
    grad_y_by_group = grad_y.reshape(geo.batch, G, -1, O)  # (N, G, F_g, prod(out_size))

    # dL/db: each bias is added at every position of its filter's output
    grad_b = grad_y.sum(axis=(0, *range(2, 2 + geo.ndim)))

    grad_w = np.zeros(w_matrix.shape, dtype=x.dtype)
    grad_xp = np.zeros((geo.batch, geo.in_channels, *geo.padded_size), dtype=x.dtype)
    for batch in _batches(geo, x.itemsize):
        # dL/dW = grad_y @ im2col(x)^T: the forward's windows weighted by grad_y, summed over n
        grad_w += np.sum(grad_y_by_group[batch] @ _columns(x[batch], geo).swapaxes(2, 3), axis=0)
        # dL/dx = col2im(W^T @ grad_y): each window sends grad_y * w back to the inputs it read
        grad_columns = w_matrix.swapaxes(1, 2) @ grad_y_by_group[batch]
        n = len(grad_columns)
        add_windows(grad_xp[batch], grad_columns.reshape(n, -1, *geo.kernel, *geo.out_size), geo)
    # rows past the last window (geometry.unread) were never touched: exactly zero
    grad_x = np.ascontiguousarray(crop(grad_xp, geo))
    return Gradients(x=grad_x, w=grad_w.reshape(w.shape), b=grad_b)
