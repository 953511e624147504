"""The convolution layer in one screen: im2col, three matrix products and col2im.

The quotable form of Chapter 12, for reading rather than speed (``convgrad.conv`` is the
tuned fast path). With ``cols = im2col(x)`` the matrix of every window and ``W2`` the
filters as rows, one group at a time::

    y      = W2 @ cols (+ b)
    grad_w = grad_y @ cols.T          summed over the batch
    grad_x = col2im(W2.T @ grad_y)    col2im is im2col's adjoint: overlaps add up
    grad_b = grad_y summed            over the batch and every position

Shapes: x ``(N, C, *spatial)`` with 1, 2 or 3 spatial dimensions, w ``(F, C/G, *kernel)``,
``cols`` ``(N, G, C/G * prod(kernel), U)`` with U output positions, ``W2`` ``(G, F/G,
C/G * prod(kernel))``; numpy's matmul loops over the batch and the groups.
"""

from __future__ import annotations

from .geometry import check_call
from .gradients import Gradients
from .unfold import col2im, im2col

__all__ = ["im2col_conv", "im2col_conv_backward"]


def _windows(geo):
    """im2col's and col2im's arguments for this geometry (padding as (before, after) pairs)."""
    return dict(kernel=geo.kernel, stride=geo.stride, padding=geo.padding, dilation=geo.dilation)


def _as_matrices(x, w, geo):
    """cols (N, G, C/G * prod(kernel), U) and W2 (G, F/G, C/G * prod(kernel))."""
    cols = im2col(x, **_windows(geo))
    cols = cols.reshape(geo.batch, geo.groups, -1, cols.shape[-1])
    return cols, w.reshape(geo.groups, -1, cols.shape[2])


def im2col_conv(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1):
    """``y = W2 @ im2col(x) + b``: the same result as :func:`convgrad.conv` (Chapter 12).

    Arguments as for :func:`convgrad.conv`: x ``(N, C, *spatial)``, w ``(F, C/groups,
    *kernel)``, b ``(F,)`` or None; stride, padding (an int, one per dimension, ``(before,
    after)`` pairs, ``"valid"`` or ``"same"``), dilation and groups.
    """
    x, w, b, _, geo = check_call(
        x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    cols, w2 = _as_matrices(x, w, geo)
    y = w2 @ cols  # (N, G, F/G, U): every filter times every window of its group
    if b is not None:  # one bias per filter, at every position
        y = y + b.reshape(geo.groups, -1, 1)
    return y.reshape(geo.y_shape)


def im2col_conv_backward(grad_y, x, w, *, stride=1, padding=0, dilation=1, groups=1):
    """The three gradients of :func:`im2col_conv`, as ``Gradients(x, w, b)`` (Chapter 12).

    grad_y is dL/dy, with the output's shape; the other arguments as for im2col_conv.
    """
    x, w, _, grad_y, geo = check_call(
        x, w, None, grad_y, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    cols, w2 = _as_matrices(x, w, geo)
    grad_y2 = grad_y.reshape(geo.batch, geo.groups, -1, cols.shape[-1])  # (N, G, F/G, U)
    grad_w = (grad_y2 @ cols.swapaxes(-1, -2)).sum(axis=0)  # each window weighted by grad_y
    grad_cols = w2.swapaxes(-1, -2) @ grad_y2  # what each window sends back to what it read
    grad_x = col2im(grad_cols.reshape(geo.batch, -1, cols.shape[-1]), x.shape, **_windows(geo))
    grad_b = grad_y2.sum(axis=(0, 3)).reshape(-1)  # each bias is added at every position
    return Gradients(x=grad_x, w=grad_w.reshape(w.shape), b=grad_b)
