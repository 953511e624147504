"""The backward pass of a convolution is again a convolution: both gradients as calls.

``conv_backward`` takes the fastest route to the gradients; the two functions here take
the route the book derives, one call of ``conv_transpose`` or ``conv`` each, so that a
chapter can show the identity and check it against ``conv_backward``:

    dL/dx = conv_transpose(grad_y, w, stride=s, padding=P, output_padding=r,
                           dilation=d, groups=G),   r = (H + 2P - d(K-1) - 1) mod s

    dL/dw = conv(x regrouped, grad_y as the kernel, stride=d, dilation=s,
                 padding=P, groups=G), its first K taps, channel axes swapped back

with the book's letters (book/notation.md): H the input's size along an axis, P the
padding, G the number of groups, r the padded rows past the last window.

In the second one the forward's stride becomes the dilation and its dilation the stride.
"""

# ruff: noqa: B905  (every zip below pairs per-dimension tuples of one length)

from __future__ import annotations

import numpy as np

from .fast_path import conv, conv_transpose
from .geometry import ConvOptions, as_float_array, check_call, conv_geometry, crop

__all__ = ["grad_x_as_conv_transpose", "grad_w_as_conv"]


def grad_x_as_conv_transpose(grad_y, x_shape, w, *, stride=1, padding=0, dilation=1, groups=1):
    """dL/dx of conv as a transposed convolution of grad_y with the same w (Chapter 11).

    grad_y ``(N, F, *out_size)`` is dL/dy of ``conv(x, w, stride=..., ...)`` with x of shape
    x_shape; only x's shape is needed. For a symmetric padding P (an int or one per
    dimension) the result is exactly

        conv_transpose(grad_y, w, stride=s, padding=P, output_padding=r, dilation=d, groups=G)

    with r = (H + 2P - d*(K-1) - 1) mod s per dimension (``ConvGeometry.past_last_window``):
    the padded input rows past the last window, which a stride cannot reach. They are not
    ``ConvGeometry.unread``, which leaves out the rows that fall in the padding.

    For (before, after) pairs and "same", padding is a pad layer followed by a conv with
    no padding (Chapter 9), so dL/dx is that conv_transpose with padding=0, followed by
    the pad layer's gradient: a crop. This is what PyTorch's conv_transpose is for, and
    why it needs output_padding: several input sizes give grad_y's size.
    """
    w = as_float_array(w, "w")
    options = ConvOptions(stride, padding, dilation, groups)
    # a stand-in x of the right shape and dtype (no memory): checks grad_y and the dtypes
    x = _stand_in(conv_geometry(x_shape, w.shape, **options._asdict()).x_shape, w.dtype)
    *_, grad_y, geometry = check_call(x, w, None, grad_y, options)
    transpose_options = dict(
        stride=geometry.stride,
        output_padding=geometry.past_last_window,
        dilation=geometry.dilation,
        groups=geometry.groups,
    )
    if all(before == after for before, after in geometry.padding):
        symmetric = tuple(before for before, _ in geometry.padding)
        return conv_transpose(grad_y, w, padding=symmetric, **transpose_options)
    # the padded input's gradient, then the pad layer's gradient: a crop
    grad_x_padded = conv_transpose(grad_y, w, padding=0, **transpose_options)
    return np.ascontiguousarray(crop(grad_x_padded, geometry))


def grad_w_as_conv(grad_y, x, w_shape, *, stride=1, padding=0, dilation=1, groups=1):
    """dL/dw of conv as a convolution of x with grad_y (Chapters 4, 8 and 10).

    grad_y ``(N, F, *out_size)`` is dL/dy of ``conv(x, w, stride=..., ...)`` with w of shape
    w_shape ``(F, C // G, *K)``; only w's shape is needed. The sum over the batch and the
    output positions, dL/dw[f, c, k] = sum_{n, i} grad_y[n, f, i] * xp[n, c', i*s + k*d]
    (c' the c-th channel of f's group), is a convolution in which

    - x, regrouped to ``(C/G, G*N, *in_size)``, is the input: a group's channels become the
      batch, and the group's N samples its channels;
    - grad_y, batch and channel axes swapped to ``(F, N, *out_size)``, is the kernel;
    - the forward stride s becomes the dilation and the forward dilation d the stride,
      with the forward's padding and groups=G.

    It gives (C/G, F, ...) taps, of which the first K per dimension are kept (the rest
    reach into rows no forward window reads), and the channel axes are swapped back.
    """
    x = as_float_array(x, "x")
    options = ConvOptions(stride, padding, dilation, groups)
    # a stand-in w of the right shape and dtype (no memory): checks grad_y and the dtypes
    w = _stand_in(conv_geometry(x.shape, w_shape, **options._asdict()).w_shape, x.dtype)
    *_, grad_y, geometry = check_call(x, w, None, grad_y, options)
    batch, channels, *in_size = x.shape
    n_groups = geometry.groups  # G
    x_regrouped = (
        x.reshape(batch, n_groups, channels // n_groups, *in_size)
        .transpose(2, 1, 0, *range(3, 3 + geometry.ndim))
        .reshape(channels // n_groups, n_groups * batch, *in_size)
    )
    taps = conv(
        x_regrouped,
        grad_y.swapaxes(0, 1),
        stride=geometry.dilation,
        padding=geometry.padding,
        dilation=geometry.stride,
        groups=n_groups,
    )
    first_taps = taps[(..., *(slice(0, k) for k in geometry.kernel))]
    return np.ascontiguousarray(first_taps.swapaxes(0, 1))


def _stand_in(shape, dtype):
    """Zeros of this shape and dtype that take no memory: for the checks alone."""
    return np.broadcast_to(np.zeros((), dtype=dtype), shape)
