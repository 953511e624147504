"""The convolution and its gradients as plain loops, straight from the book's formulas.

Zero-based, one line per term, no vectorization: slow, obvious, and the truth the
fast path in ``convgrad.conv`` is tested against. ``i`` runs over output positions,
``k`` over kernel taps, ``p`` over input positions; each is a tuple with one entry
per spatial dimension, so one loop serves 1-D, 2-D and 3-D. Positions are in the
zero-padded input ``xp`` (Chapter 9), where x's sample ``p`` sits at
``p * input_dilation + pad_before`` (zeros between samples, Chapter 8); the window
at output ``i`` reads ``xp`` at ``i * stride + k * dilation`` (Chapters 8 and 10).
Channel ``c`` of filter ``f``'s group ``f // F_g`` is input channel
``(f // F_g) * C_g + c`` (Chapter 10).

The transposed convolution comes last, as the scatter that defines it (Chapter 11).
"""

# ruff: noqa: B905  (every zip below pairs per-dimension tuples of one length)

from __future__ import annotations

from itertools import product

import numpy as np

from .geometry import as_float_array, check_call, check_transpose_call, crop, pad
from .gradients import Gradients


def _positions(sizes):
    """Every index tuple of an array with these sizes, in row-major order."""
    return product(*(range(n) for n in sizes))


def _tap(i, k, stride, dilation):
    """The input position read by output position i through kernel tap k."""
    return tuple(i_ * s + k_ * d for i_, k_, s, d in zip(i, k, stride, dilation))


def conv(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1, input_dilation=1):
    """y[n, f, i] = sum_{c, k} w[f, c, k] * xp[n, g*C_g + c, i*s + k*d] + b[f] (Chapter 11)."""
    x, w, b, _, geo = check_call(
        x,
        w,
        b,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        input_dilation=input_dilation,
    )
    xp = pad(x, geo)
    F_g, C_g = geo.out_channels // geo.groups, geo.in_channels // geo.groups
    y = np.zeros(geo.y_shape, dtype=x.dtype)
    for n, f, i in product(range(geo.batch), range(geo.out_channels), _positions(geo.out_size)):
        g = f // F_g
        for c, k in product(range(C_g), _positions(geo.kernel)):
            y[n, f, *i] += w[f, c, *k] * xp[n, g * C_g + c, *_tap(i, k, geo.stride, geo.dilation)]
        if b is not None:
            y[n, f, *i] += b[f]
    return y


def grad_w(grad_y, x, w, *, stride=1, padding=0, dilation=1, groups=1, input_dilation=1):
    """dL/dw[f, c, k] = sum_{n, i} grad_y[n, f, i] * xp[n, g*C_g + c, i*s + k*d] (Chapter 4)."""
    x, w, _, grad_y, geo = check_call(
        x,
        w,
        None,
        grad_y,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        input_dilation=input_dilation,
    )
    xp = pad(x, geo)
    F_g, C_g = geo.out_channels // geo.groups, geo.in_channels // geo.groups
    grad = np.zeros(w.shape, dtype=w.dtype)
    for f, c, k in product(range(geo.out_channels), range(C_g), _positions(geo.kernel)):
        g = f // F_g
        for n, i in product(range(geo.batch), _positions(geo.out_size)):
            grad[f, c, *k] += (
                grad_y[n, f, *i] * xp[n, g * C_g + c, *_tap(i, k, geo.stride, geo.dilation)]
            )
    return grad


def grad_b(grad_y, x=None, w=None, *, stride=1, padding=0, dilation=1, groups=1, input_dilation=1):
    """dL/db[f] = sum_{n, i} grad_y[n, f, i]: one bias per filter, summed everywhere (Chapter 7).

    Only grad_y is needed; x, w and the options, if given, are checked against it.
    """
    if x is not None or w is not None:
        *_, grad_y, _ = check_call(
            x,
            w,
            None,
            grad_y,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            input_dilation=input_dilation,
        )
    grad_y = as_float_array(grad_y, "grad_y")
    if grad_y.ndim not in (3, 4, 5):
        raise ValueError(f"grad_y has shape {grad_y.shape} but must be (N, F, *out_size)")
    batch, filters, *out_size = grad_y.shape
    grad = np.zeros(filters, dtype=grad_y.dtype)
    for n, f, i in product(range(batch), range(filters), _positions(out_size)):
        grad[f] += grad_y[n, f, *i]
    return grad


def grad_x_scatter(grad_y, x, w, *, stride=1, padding=0, dilation=1, groups=1, input_dilation=1):
    """Scatter form (Chapter 5): every output sends grad_y * w back to each input it read.

    dL/dxp[n, g*C_g + c, i*s + k*d] += grad_y[n, f, i] * w[f, c, k], then crop the padding
    (and keep x's own samples only, when zeros were inserted between them).
    """
    x, w, _, grad_y, geo = check_call(
        x,
        w,
        None,
        grad_y,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        input_dilation=input_dilation,
    )
    F_g, C_g = geo.out_channels // geo.groups, geo.in_channels // geo.groups
    grad_xp = np.zeros((geo.batch, geo.in_channels, *geo.padded_size), dtype=x.dtype)
    for n, f, i in product(range(geo.batch), range(geo.out_channels), _positions(geo.out_size)):
        g = f // F_g
        for c, k in product(range(C_g), _positions(geo.kernel)):
            grad_xp[n, g * C_g + c, *_tap(i, k, geo.stride, geo.dilation)] += (
                grad_y[n, f, *i] * w[f, c, *k]
            )
    return crop(grad_xp, geo)


def _outputs_reading(p, geo):
    """Per dimension, the output positions i whose window covers padded position p (Chapter 8).

    Window i covers i*s .. i*s + d*(K-1), so i runs from ceil((p - d*(K-1)) / s) to
    floor(p / s), clipped to the output 0 .. out_size - 1.
    """
    ranges = []
    for p_, s, d, K, out in zip(p, geo.stride, geo.dilation, geo.kernel, geo.out_size):
        i_lo = max(0, -((d * (K - 1) - p_) // s))  # ceil division
        i_hi = min(out - 1, p_ // s)
        ranges.append(range(i_lo, i_hi + 1))
    return product(*ranges)


def grad_x_gather(grad_y, x, w, *, stride=1, padding=0, dilation=1, groups=1, input_dilation=1):
    """Gather form (Chapter 8): each input position collects from the windows that read it.

    dL/dx[n, g*C_g + c, p] = sum_{f in group g} sum_{i reading p} grad_y[n, f, i] * w[f, c, k]
    with k = (p*e + pad_before - i*s) / d, e the input dilation, which must be a whole number
    (dilation skips the rest).
    """
    x, w, _, grad_y, geo = check_call(
        x,
        w,
        None,
        grad_y,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        input_dilation=input_dilation,
    )
    F_g, C_g = geo.out_channels // geo.groups, geo.in_channels // geo.groups
    grad = np.zeros(x.shape, dtype=x.dtype)
    for n, channel, p in product(range(geo.batch), range(geo.in_channels), _positions(geo.in_size)):
        g, c = divmod(channel, C_g)
        pp = tuple(  # position in xp
            p_ * e + before for p_, (before, _), e in zip(p, geo.padding, geo.input_dilation)
        )
        for i in _outputs_reading(pp, geo):
            offset = tuple(pp_ - i_ * s for pp_, i_, s in zip(pp, i, geo.stride))
            if any(o % d for o, d in zip(offset, geo.dilation)):
                continue  # p falls between two dilated taps of this window
            k = tuple(o // d for o, d in zip(offset, geo.dilation))
            for f in range(g * F_g, (g + 1) * F_g):
                grad[n, channel, *p] += grad_y[n, f, *i] * w[f, c, *k]
    return grad


def conv_backward(grad_y, x, w, *, stride=1, padding=0, dilation=1, groups=1, input_dilation=1):
    """All three gradients by the loops above: Gradients(x, w, b) (Chapters 4, 5, 7)."""
    options = dict(
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        input_dilation=input_dilation,
    )
    return Gradients(
        x=grad_x_gather(grad_y, x, w, **options),
        w=grad_w(grad_y, x, w, **options),
        b=grad_b(grad_y, x, w, **options),
    )


# --- the transposed convolution (Chapter 11) -------------------------------------------


def conv_transpose(x, w, b=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Scatter form: each input sample sends itself times the kernel to the outputs.

    yp[n, g*O_g + o, j*s + k*d] += x[n, g*I_g + c, j] * w[g*I_g + c, o, k], then
    y = yp[padding : padding + out_size] + b: PyTorch's padding crops the full output.
    w is ``(C_in, C_out // groups, *kernel)``, I_g = C_in // groups, O_g = C_out // groups.
    """
    x, w, b, _, geo = check_transpose_call(
        x,
        w,
        b,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
    )
    I_g, O_g = geo.in_channels // geo.groups, geo.out_channels // geo.groups
    yp = np.zeros((geo.batch, geo.out_channels, *_full_size(geo)), dtype=x.dtype)
    for n, channel, j in product(range(geo.batch), range(geo.in_channels), _positions(geo.in_size)):
        g = channel // I_g
        for o, k in product(range(O_g), _positions(geo.kernel)):
            yp[n, g * O_g + o, *_tap(j, k, geo.stride, geo.dilation)] += (
                x[n, channel, *j] * w[channel, o, *k]
            )
    y = yp[(..., *_cropped(geo))]
    if b is not None:
        y += b.reshape(-1, *(1,) * geo.ndim)
    return y


def conv_transpose_backward(
    grad_y, x, w, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1
):
    """Gradients(x, w, b) of conv_transpose: each input sample gathers what it sent.

    With grad_yp the full output's gradient (grad_y, and zero where padding cropped):
    dL/dx[n, g*I_g + c, j] = sum_{o, k} grad_yp[n, g*O_g + o, j*s + k*d] * w[g*I_g + c, o, k]
    dL/dw[g*I_g + c, o, k] = sum_{n, j} x[n, g*I_g + c, j] * grad_yp[n, g*O_g + o, j*s + k*d]
    dL/db[f] = sum_{n, q} grad_y[n, f, q]
    """
    x, w, _, grad_y, geo = check_transpose_call(
        x,
        w,
        None,
        grad_y,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
    )
    I_g, O_g = geo.in_channels // geo.groups, geo.out_channels // geo.groups
    grad_yp = np.zeros((geo.batch, geo.out_channels, *_full_size(geo)), dtype=x.dtype)
    grad_yp[(..., *_cropped(geo))] = grad_y
    grad_x = np.zeros(x.shape, dtype=x.dtype)
    grad_w = np.zeros(w.shape, dtype=w.dtype)
    for n, channel, j in product(range(geo.batch), range(geo.in_channels), _positions(geo.in_size)):
        g = channel // I_g
        for o, k in product(range(O_g), _positions(geo.kernel)):
            upstream = grad_yp[n, g * O_g + o, *_tap(j, k, geo.stride, geo.dilation)]
            grad_x[n, channel, *j] += upstream * w[channel, o, *k]
            grad_w[channel, o, *k] += x[n, channel, *j] * upstream
    return Gradients(x=grad_x, w=grad_w, b=grad_b(grad_y))


def _full_size(geo):
    """The transposed convolution's output before padding crops it.

    (H-1)*s + d*(K-1) + 1 + output_padding per axis, H the axis's input size.
    """
    return tuple(
        (n - 1) * s + d * (k - 1) + 1 + r
        for n, s, d, k, r in zip(
            geo.in_size, geo.stride, geo.dilation, geo.kernel, geo.output_padding
        )
    )


def _cropped(geo):
    """Where y sits in the full output: padding positions dropped at each end."""
    return tuple(slice(p, p + out) for p, out in zip(geo.padding, geo.out_size))
