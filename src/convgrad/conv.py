"""The fast path: one general N-d convolution, and its three gradients beside it.

The loops of ``convgrad.reference`` turned into matrix products (Chapter 12).
Groups are a reshape: group g's filters see only group g's channels, so every
product below carries a leading group axis G and numpy's matmul loops over it.
Shapes: x (N, C, *in_size), w (F, C_g, *kernel), y and grad_y (N, F, *out_size),
with C = G * C_g and F = G * F_g.
"""

# ruff: noqa: B905  (every zip below pairs per-dimension tuples of one length)

from __future__ import annotations

from itertools import product
from math import prod

import numpy as np

from .geometry import ConvGeometry, check_call, crop, pad
from .im2col import tap_slices, windows
from .reference import Gradients

__all__ = ["conv", "conv_backward", "Gradients"]


def _columns(x, geometry: ConvGeometry):
    """im2col with the group first and the batch inside: (G, C_g * prod(K), N * prod(out))."""
    view = windows(pad(x, geometry), geometry)  # (N, C, *K, *out), no copy
    nd = geometry.ndim
    channels_first = view.transpose(1, *range(2, 2 + nd), 0, *range(2 + nd, 2 + 2 * nd))
    return channels_first.reshape(geometry.groups, -1, geometry.batch * prod(geometry.out_size))


def _filters_by_group(w, geometry: ConvGeometry):
    """w (F, C_g, *K) as a matrix per group: (G, F_g, C_g * prod(K))."""
    return w.reshape(geometry.groups, geometry.out_channels // geometry.groups, -1)


def _by_group(grad_y, geometry: ConvGeometry):
    """grad_y (N, F, *out) as (G, F_g, N * prod(out)), the layout of _columns."""
    filters_first = grad_y.swapaxes(0, 1)
    return filters_first.reshape(geometry.groups, geometry.out_channels // geometry.groups, -1)


def _rotated_swapped(w, groups):
    """The backward kernel (Chapter 6): in/out channels swapped per group, rotated 180 degrees."""
    filters, channels_per_group, *kernel = w.shape
    per_group = w.reshape(groups, filters // groups, channels_per_group, *kernel)
    swapped = per_group.swapaxes(1, 2).reshape(groups * channels_per_group, -1, *kernel)
    return np.flip(swapped, axis=tuple(range(2, 2 + len(kernel))))


def conv(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1):
    """y = conv(x, w) + b for 1, 2 or 3 spatial dimensions (Chapter 11; vectorized in Ch. 12).

    x (N, C, *spatial), w (F, C // groups, *kernel), b (F,) or None. stride, padding and
    dilation are an int or one int per spatial dimension; padding may be "valid", "same"
    or per-dimension (before, after) pairs. float32 and float64 keep their dtype.
    """
    x, w, b, _, geo = check_call(
        x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    # every window times every filter of its group: one matrix product per group
    y = _filters_by_group(w, geo) @ _columns(x, geo)  # (G, F_g, N * prod(out))
    y = y.reshape(geo.out_channels, geo.batch, *geo.out_size).swapaxes(0, 1)
    if b is not None:
        y = y + b.reshape(-1, *(1,) * geo.ndim)  # one bias per filter, at every position
    return np.ascontiguousarray(y)


def conv_backward(grad_y, x, w, *, stride=1, padding=0, dilation=1, groups=1):
    """The three gradients of conv, Gradients(x, w, b) (Chapters 4-7; vectorized in Ch. 12).

    grad_y is dL/dy, with the shape of conv's output. The bias gradient is always returned.
    """
    x, w, _, grad_y, geo = check_call(
        x, w, None, grad_y, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    spatial_axes = tuple(range(2, 2 + geo.ndim))
    grad_y_by_group = _by_group(grad_y, geo)  # (G, F_g, N * prod(out))

    # dL/db: each bias touches every position of its filter's output
    grad_b = grad_y.sum(axis=(0, *spatial_axes))

    # dL/dw: the same windows as the forward, multiplied by grad_y instead of w
    columns = _columns(x, geo)
    grad_w = (grad_y_by_group @ columns.swapaxes(1, 2)).reshape(w.shape)
    del columns  # the largest array; free it before the input gradient needs memory

    # dL/dx: every window sends grad_y * w back to the inputs it read
    if all(s == 1 for s in geo.stride):
        # stride 1: the full correlation of grad_y with the rotated, channel-swapped kernel
        full = [(d * (k - 1), d * (k - 1)) for k, d in zip(geo.kernel, geo.dilation)]
        kernel_t = _rotated_swapped(w, geo.groups)
        grad_xp = conv(grad_y, kernel_t, padding=full, dilation=geo.dilation, groups=geo.groups)
    else:
        # stride > 1: one product per kernel tap, added onto that tap's strided slice (col2im)
        grad_xp_t = np.zeros((geo.in_channels, geo.batch, *geo.padded_size), dtype=x.dtype)
        w_by_group = w.reshape(geo.groups, geo.out_channels // geo.groups, *w.shape[1:])
        for k in product(*(range(n) for n in geo.kernel)):
            w_tap_t = w_by_group[(slice(None), slice(None), slice(None), *k)].swapaxes(1, 2)
            grad_tap = w_tap_t @ grad_y_by_group  # (G, C_g, N * prod(out))
            grad_tap = grad_tap.reshape(geo.in_channels, geo.batch, *geo.out_size)
            grad_xp_t[(slice(None), slice(None), *tap_slices(k, geo))] += grad_tap
        # rows past the last window (geometry.unread) are never touched: exactly zero
        grad_xp = grad_xp_t.swapaxes(0, 1)
    grad_x = np.ascontiguousarray(crop(grad_xp, geo))
    return Gradients(x=grad_x, w=grad_w, b=grad_b)
