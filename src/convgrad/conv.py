"""The fast path: one general N-d convolution, and its three gradients beside it.

The loops of ``convgrad.reference`` turned into matrix products (Chapter 12):

    y      = W @ im2col(x)              (+ b)
    dL/dW  = grad_y @ im2col(x)^T
    dL/db  = grad_y summed over batch and positions
    dL/dx  = col2im(W^T @ grad_y)       (a scatter; at stride 1, when cheaper, the gather
                                         conv(grad_y, rotated and channel-swapped W))

Groups are a reshape: group g's filters see only group g's channels, so every
product carries a group axis G (and a batch axis n) that numpy's matmul loops over.
The columns are built a block at a time (a few samples, or a few output rows),
small enough to stay in the CPU's cache. Shapes: x (N, C, *in_size),
w (F, C_g, *kernel), y and grad_y (N, F, *out_size), with C = G * C_g, F = G * F_g.
"""

# ruff: noqa: B905  (every zip below pairs per-dimension tuples of one length)

from __future__ import annotations

from math import prod

import numpy as np

from .geometry import ConvGeometry, check_call, crop, pad
from .im2col import add_windows, windows
from .reference import Gradients

__all__ = ["conv", "conv_backward", "Gradients"]


def conv(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1):
    """y = conv(x, w) + b for 1, 2 or 3 spatial dimensions (Chapter 11; vectorized in Ch. 12).

    x (N, C, *spatial), w (F, C // groups, *kernel), b (F,) or None. stride, padding and
    dilation are an int or one int per spatial dimension; padding may be "valid", "same"
    or per-dimension (before, after) pairs. float32 and float64 keep their dtype.
    """
    x, w, b, _, geo = check_call(
        x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    G = geo.groups
    w_matrix = w.reshape(G, w.shape[0] // G, -1)  # (G, F_g, C_g * prod(kernel))
    y = np.empty(geo.y_shape, dtype=x.dtype)
    y_by_group = y.reshape(geo.batch, G, -1, prod(geo.out_size))  # a view: products write y
    for samples, positions, columns in _column_blocks(x, geo):
        # every filter times every window of its group: y = W @ im2col(x)
        np.matmul(w_matrix, columns, out=y_by_group[samples, :, :, positions])
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
    G = geo.groups
    w_matrix = w.reshape(G, w.shape[0] // G, -1)  # (G, F_g, C_g * prod(kernel))
    grad_y_by_group = grad_y.reshape(geo.batch, G, -1, prod(geo.out_size))

    # dL/db: each bias is added at every position of its filter's output
    grad_b = grad_y.sum(axis=(0, *range(2, 2 + geo.ndim)))

    # dL/dx by a gather (Chapters 5-6) or a scatter (Chapters 8, 12): at stride 1 the gather
    # is one more convolution, and cheaper when grad_y has no more channels than x
    gather = all(s == 1 for s in geo.stride) and geo.out_channels <= geo.in_channels
    grad_w = np.zeros(w_matrix.shape, dtype=x.dtype)
    grad_xp = None if gather else np.zeros((*x.shape[:2], *geo.padded_size), dtype=x.dtype)
    for samples, positions, columns in _column_blocks(x, geo):
        grad_y_block = grad_y_by_group[samples, :, :, positions]
        # dL/dW = grad_y @ im2col(x)^T: the forward's windows weighted by grad_y, summed over n
        grad_w += np.sum(grad_y_block @ columns.swapaxes(2, 3), axis=0)
        if not gather:
            # dL/dx = col2im(W^T @ grad_y): each window sends grad_y * w back to what it read
            # (written over the block's columns, no longer needed, unless they are a view of x)
            spare = columns if columns.flags.writeable else None
            grad_columns = np.matmul(w_matrix.swapaxes(1, 2), grad_y_block, out=spare)
            _col2im_block(grad_xp, grad_columns, samples, positions, geo)
    if gather:
        grad_x = _grad_x_by_full_correlation(grad_y, w, geo)
    else:
        # rows past the last window (geometry.unread) were never touched: exactly zero
        grad_x = np.ascontiguousarray(crop(grad_xp, geo))
    return Gradients(x=grad_x, w=grad_w.reshape(w.shape), b=grad_b)


# --- helpers: columns in blocks, and the backward kernel ---------------------------


# columns are built block by block, so that each block stays in the CPU's cache
COLUMNS_BUDGET = 2 * 2**20  # bytes of columns per block


def _blocks(geometry: ConvGeometry, itemsize: int):
    """(samples, rows) slices whose columns fit in COLUMNS_BUDGET.

    Small inputs get several samples per block; large ones a few rows (of the first
    output dimension) of one sample.
    """
    out_rows = geometry.out_size[0]
    per_row = geometry.in_channels * prod(geometry.kernel) * prod(geometry.out_size[1:]) * itemsize
    rows_per_block = max(1, min(out_rows, COLUMNS_BUDGET // per_row))
    samples_per_block = max(1, COLUMNS_BUDGET // (per_row * rows_per_block))
    if rows_per_block < out_rows:
        samples_per_block = 1
    for first_sample in range(0, geometry.batch, samples_per_block):
        for first_row in range(0, out_rows, rows_per_block):
            yield (
                slice(first_sample, first_sample + samples_per_block),
                slice(first_row, min(out_rows, first_row + rows_per_block)),
            )


def _column_blocks(x, geometry: ConvGeometry):
    """im2col in blocks: (samples, positions, columns) with columns (n, G, C_g * prod(K), p).

    positions slices the flattened output positions that the block's columns produce.
    """
    windows_of_x = windows(pad(x, geometry), geometry)  # (N, C, *kernel, *out_size), a view
    per_row = prod(geometry.out_size[1:])  # output positions per row of the first dimension
    kernel_axes = (slice(None),) * geometry.ndim
    for samples, rows in _blocks(geometry, x.itemsize):
        block = windows_of_x[(samples, slice(None), *kernel_axes, rows)]
        columns = block.reshape(len(block), geometry.groups, -1, (rows.stop - rows.start) * per_row)
        yield samples, slice(rows.start * per_row, rows.stop * per_row), columns


def _col2im_block(grad_xp, grad_columns, samples, positions, geometry: ConvGeometry):
    """Add one block's column gradients (n, G, C_g * prod(K), p) back onto grad_xp."""
    per_row = prod(geometry.out_size[1:])
    first_row, rows = positions.start // per_row, (positions.stop - positions.start) // per_row
    blocks = grad_columns.reshape(
        len(grad_columns), -1, *geometry.kernel, rows, *geometry.out_size[1:]
    )
    # the block's first window starts at padded row first_row * stride
    add_windows(grad_xp[samples, :, first_row * geometry.stride[0] :], blocks, geometry)


def _rotated_swapped(w, groups: int):
    """The backward kernel (Chapter 6): in and out channels swapped per group, rotated 180 deg."""
    filters, channels_per_group, *kernel = w.shape
    by_group = w.reshape(groups, filters // groups, channels_per_group, *kernel)
    swapped = by_group.swapaxes(1, 2).reshape(groups * channels_per_group, -1, *kernel)
    return np.flip(swapped, axis=tuple(range(2, 2 + len(kernel))))


def _grad_x_by_full_correlation(grad_y, w, geometry: ConvGeometry):
    """At stride 1, dL/dx = conv(grad_y, rotated and channel-swapped w) (Chapters 5 and 6).

    grad_y gets d*(K-1) zeros on each side (the "full" convolution) minus x's own padding,
    so the result has exactly x's size; where x's padding is wider than that, grad_y is
    cropped instead (those outputs only ever saw padding zeros).
    """
    full = [d * (k - 1) for k, d in zip(geometry.kernel, geometry.dilation)]
    low = [f - before for f, (before, _) in zip(full, geometry.padding)]
    high = [f - after for f, (_, after) in zip(full, geometry.padding)]
    kept = tuple(
        slice(max(0, -lo), size - max(0, -hi)) for lo, hi, size in zip(low, high, geometry.out_size)
    )
    padding = tuple((max(0, lo), max(0, hi)) for lo, hi in zip(low, high))
    kernel = _rotated_swapped(w, geometry.groups)
    return conv(
        grad_y[(..., *kept)],
        kernel,
        padding=padding,
        dilation=geometry.dilation,
        groups=geometry.groups,
    )
