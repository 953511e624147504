"""Geometry and validation of a convolution call: sizes, padding, and clear errors.

Every function in convgrad checks its arguments here, so a malformed call fails
with a ValueError or TypeError that names the shapes and the rule broken.
The output-size formula is derived in Chapter 8 (stride), Chapter 9 (padding)
and Chapter 10 (dilation and groups):

    out_size = (in_size + pad_before + pad_after - dilation * (kernel - 1) - 1) // stride + 1

An input dilation (zeros inserted between neighbouring input samples, Chapters 8 and
11) replaces in_size by its dilated size, input_dilation * (in_size - 1) + 1.
"""

# ruff: noqa: B905  (every zip below pairs per-dimension tuples of one length)

from __future__ import annotations

import numbers
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

ACCEPTED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_SPATIAL_NAMES = {1: "(H,)", 2: "(H, W_in)", 3: "(D, H, W_in)"}  # bare W is the weights


class _Shapes:
    """The sizes both geometries derive the same way from their fields."""

    @property
    def ndim(self) -> int:
        """Number of spatial dimensions (1, 2 or 3)."""
        return len(self.in_size)

    @property
    def x_shape(self) -> tuple[int, ...]:
        return (self.batch, self.in_channels, *self.in_size)

    @property
    def y_shape(self) -> tuple[int, ...]:
        return (self.batch, self.out_channels, *self.out_size)


@dataclass(frozen=True)
class ConvGeometry(_Shapes):
    """Every size of one convolution, one entry per spatial dimension (Chapters 8-11).

    ``padding`` holds (before, after) pairs. ``input_dilation`` is the spacing of x's
    samples once zeros are inserted between them (1: none). ``unread`` counts the
    trailing input rows (columns, ...) of x that no window reads because the stride
    steps past them; their gradient is exactly zero.
    """

    batch: int
    in_channels: int
    out_channels: int
    groups: int
    in_size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    out_size: tuple[int, ...]
    unread: tuple[int, ...]
    input_dilation: tuple[int, ...]

    @property
    def w_shape(self) -> tuple[int, ...]:
        return (self.out_channels, self.in_channels // self.groups, *self.kernel)

    @property
    def dilated_size(self) -> tuple[int, ...]:
        """x's size once input_dilation - 1 zeros sit between neighbouring samples."""
        return tuple(e * (n - 1) + 1 for n, e in zip(self.in_size, self.input_dilation))

    @property
    def padded_size(self) -> tuple[int, ...]:
        return tuple(
            n + before + after for n, (before, after) in zip(self.dilated_size, self.padding)
        )

    @property
    def dilated_kernel(self) -> tuple[int, ...]:
        """Extent of one window: d * (K - 1) + 1 input positions per dimension."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))

    @property
    def past_last_window(self) -> tuple[int, ...]:
        """Padded positions after the end of the last window: (padded - window) mod stride.

        This is the output_padding that conv_transpose needs to map grad_y back to the
        padded input's size (Chapter 11). Unlike ``unread`` it counts padding zeros too.
        """
        return tuple(
            (padded - window) % s
            for padded, window, s in zip(self.padded_size, self.dilated_kernel, self.stride)
        )

    def never_read(self) -> tuple[tuple[int, ...], ...]:
        """Per dimension, every index of x that no window reads (Chapter 8).

        Besides the trailing ``unread`` rows, a stride larger than the dilated kernel
        skips rows between windows, and a dilation skips rows inside them; with an
        input_dilation, only the windows' taps that land on x's own samples read them.
        """
        result = []
        for n, k, s, (before, _), d, out, e in zip(
            self.in_size,
            self.kernel,
            self.stride,
            self.padding,
            self.dilation,
            self.out_size,
            self.input_dilation,
        ):
            read = {i * s + t * d - before for i in range(out) for t in range(k)}
            # sample p of x sits at p * input_dilation once zeros are inserted
            result.append(tuple(p for p in range(n) if p * e not in read))
        return tuple(result)


# --- argument normalization ----------------------------------------------------------


def _is_int(value) -> bool:
    # bool is an int subclass in Python, but stride=True is a mistake, not a 1
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_int(value, name: str, minimum: int) -> int:
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, got {value!r} of type {type(value).__name__}")
    if value < minimum:
        rule = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} must be {rule} (>= {minimum}), got {value}")
    return int(value)


def _per_dim(value, name: str, ndim: int, minimum: int) -> tuple[int, ...]:
    """An int, or one int per spatial dimension, as a tuple of length ndim."""
    if _is_int(value):
        return (_check_int(value, name, minimum),) * ndim
    if isinstance(value, (tuple, list)):
        if len(value) != ndim:
            raise ValueError(
                f"{name}={tuple(value)!r} has {len(value)} entries but the input has "
                f"{ndim} spatial dimension(s) {_SPATIAL_NAMES[ndim]}: give one int or {ndim}"
            )
        return tuple(_check_int(v, f"{name}[{i}]", minimum) for i, v in enumerate(value))
    raise TypeError(
        f"{name} must be an int or a tuple of {ndim} ints, got {value!r} "
        f"of type {type(value).__name__}"
    )


def _padding_pairs(padding, ndim, kernel, stride, dilation) -> tuple[tuple[int, int], ...]:
    """(before, after) zeros per dimension, from an int, a tuple, "valid" or "same"."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * ndim
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(
                    f'padding="same" needs stride 1 in every dimension, got stride={stride}: '
                    "with a larger stride the output cannot keep the input's size"
                )
            # total d*(K-1) zeros; an odd total puts the extra zero at the end, as PyTorch does
            totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in totals)
        raise ValueError(f'padding must be an int, a tuple, "valid" or "same", got {padding!r}')
    if _is_int(padding):
        p = _check_int(padding, "padding", 0)
        return ((p, p),) * ndim
    if isinstance(padding, (tuple, list)):
        if len(padding) != ndim:
            raise ValueError(
                f"padding={tuple(padding)!r} has {len(padding)} entries but the input has "
                f"{ndim} spatial dimension(s) {_SPATIAL_NAMES[ndim]}: give one int or {ndim}"
            )
        pairs = []
        for i, entry in enumerate(padding):
            if isinstance(entry, (tuple, list)):  # an explicit (before, after) pair
                if len(entry) != 2:
                    raise ValueError(
                        f"padding[{i}]={tuple(entry)!r} must be one int or a (before, after) pair"
                    )
                pairs.append(
                    (
                        _check_int(entry[0], f"padding[{i}][0]", 0),
                        _check_int(entry[1], f"padding[{i}][1]", 0),
                    )
                )
            else:
                p = _check_int(entry, f"padding[{i}]", 0)
                pairs.append((p, p))
        return tuple(pairs)
    raise TypeError(
        f'padding must be an int, a tuple of {ndim} ints, "valid" or "same", got {padding!r} '
        f"of type {type(padding).__name__}"
    )


def _shape(shape, name: str) -> tuple[int, ...]:
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of ints, got {shape!r}") from None
    if not all(_is_int(n) for n in dims):
        raise TypeError(f"{name} must be a tuple of ints, got {shape!r}")
    return tuple(int(n) for n in dims)


# --- the geometry ----------------------------------------------------------------------


def conv_geometry(
    x_shape, w_shape, *, stride=1, padding=0, dilation=1, groups=1, input_dilation=1
) -> ConvGeometry:
    """Check a convolution's shapes and arguments and return all of its sizes.

    x_shape is ``(N, C, *spatial)`` with 1, 2 or 3 spatial dimensions, w_shape is
    ``(F, C // groups, *kernel)``. Raises ValueError or TypeError naming the rule
    broken. The output-size formula is derived in Chapters 8 and 9; input_dilation
    (zeros between samples, before the padding) in Chapters 8 and 11.
    """
    x_shape = _shape(x_shape, "x.shape")
    w_shape = _shape(w_shape, "w.shape")
    if len(x_shape) not in (3, 4, 5):
        raise ValueError(
            f"x has shape {x_shape} ({len(x_shape)} axes) but must be (N, C, H), "
            "(N, C, H, W_in) or (N, C, D, H, W_in): batch, channels, then 1 to 3 spatial dimensions"
        )
    ndim = len(x_shape) - 2
    if len(w_shape) != len(x_shape):
        raise ValueError(
            f"w has shape {w_shape} ({len(w_shape)} axes) but x has shape {x_shape}: "
            f"w must be (F, C // groups, *kernel) with {ndim} kernel size(s), "
            f"i.e. {len(x_shape)} axes like x"
        )
    if 0 in x_shape:
        raise ValueError(f"x has shape {x_shape}: every axis must have length >= 1")
    if 0 in w_shape:
        raise ValueError(f"w has shape {w_shape}: every axis must have length >= 1")
    groups = _check_int(groups, "groups", 1)
    batch, in_channels, *in_size = x_shape
    out_channels, channels_per_group, *kernel = w_shape
    if in_channels % groups:
        raise ValueError(
            f"groups={groups} does not divide the {in_channels} channels of x "
            f"(x.shape={x_shape}): C must be a multiple of groups"
        )
    if out_channels % groups:
        raise ValueError(
            f"groups={groups} does not divide the {out_channels} filters of w "
            f"(w.shape={w_shape}): F must be a multiple of groups"
        )
    if channels_per_group != in_channels // groups:
        raise ValueError(
            f"w has {channels_per_group} input channels per group but x has {in_channels} "
            f"channels (groups={groups}): w.shape[1] must be C // groups = "
            f"{in_channels // groups} (x.shape={x_shape}, w.shape={w_shape})"
        )
    stride = _per_dim(stride, "stride", ndim, 1)
    dilation = _per_dim(dilation, "dilation", ndim, 1)
    input_dilation = _per_dim(input_dilation, "input_dilation", ndim, 1)
    padding = _padding_pairs(padding, ndim, kernel, stride, dilation)

    out_size, unread = [], []
    for axis, (n, k, s, (before, after), d, e) in enumerate(
        zip(in_size, kernel, stride, padding, dilation, input_dilation)
    ):
        dilated, window = e * (n - 1) + 1, d * (k - 1) + 1
        padded = dilated + before + after
        if window > padded:
            size = f"{n}" if e == 1 else f"input_dilation*(H-1)+1 = {e}*({n}-1)+1"
            raise ValueError(
                f"the kernel is larger than the padded input in spatial dimension {axis}: "
                f"a window spans dilation*(K-1)+1 = {d}*({k}-1)+1 = {window} positions but the "
                f"input has {size}+{before}+{after} = {padded} after padding, so the output "
                f"would be empty (x.shape={x_shape}, w.shape={w_shape})"
            )
        out = (padded - window) // s + 1
        out_size.append(out)
        # the last window ends at padded position last_read; x's sample p sits at p*e + before
        last_read = (out - 1) * s + window - 1
        last_sample_read = min(n - 1, (last_read - before) // e)
        unread.append(n - 1 - max(-1, last_sample_read))
    return ConvGeometry(
        batch=batch,
        in_channels=in_channels,
        out_channels=out_channels,
        groups=groups,
        in_size=tuple(in_size),
        kernel=tuple(kernel),
        stride=stride,
        padding=padding,
        dilation=dilation,
        out_size=tuple(out_size),
        unread=tuple(unread),
        input_dilation=input_dilation,
    )


def output_shape(x_shape, w_shape, *, stride=1, padding=0, dilation=1, groups=1, input_dilation=1):
    """Shape ``(N, F, *out_size)`` of conv(x, w); see conv_geometry (Chapters 3 and 8)."""
    geometry = conv_geometry(
        x_shape,
        w_shape,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        input_dilation=input_dilation,
    )
    return geometry.y_shape


# --- arrays ---------------------------------------------------------------------------


def as_float_array(value, name: str) -> np.ndarray:
    """value as a numpy array, refusing anything but real float32/float64 data."""
    array = np.asarray(value)
    if array.dtype not in ACCEPTED_DTYPES:
        raise TypeError(
            f"{name} has dtype {array.dtype} but convgrad accepts real floating arrays of "
            f"dtype float32 or float64 only (convert with {name}.astype(np.float64))"
        )
    return array


def check_call(x, w, b=None, grad_y=None, *, stride, padding, dilation, groups, input_dilation=1):
    """Validate one forward or backward call; return (x, w, b, grad_y, geometry).

    All arrays must share one dtype (float32 or float64): mixing them is refused
    rather than silently promoted, so the result's dtype is never a surprise.
    """
    x = as_float_array(x, "x")
    w = as_float_array(w, "w")
    options = (stride, padding, dilation, groups, input_dilation)
    if _plain(options):  # a layer calls with the same arguments every time: checked once
        geometry = _cached_conv_geometry(x.shape, w.shape, *options)
    else:
        geometry = conv_geometry(
            x.shape,
            w.shape,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            input_dilation=input_dilation,
        )
    b, grad_y = _check_bias_and_grad_y(x, w, b, grad_y, geometry, "filter")
    return x, w, b, grad_y, geometry


def _plain(value) -> bool:
    """Built of exact ints, strs and tuples only: hashable, and True (== 1) never hits 1."""
    if type(value) is tuple:
        return all(_plain(v) for v in value)
    return type(value) in (int, str)


@lru_cache(maxsize=256)
def _cached_conv_geometry(x_shape, w_shape, stride, padding, dilation, groups, input_dilation):
    """conv_geometry of plain arguments (see _plain); errors are raised, never cached."""
    return conv_geometry(
        x_shape,
        w_shape,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        input_dilation=input_dilation,
    )


def _options(geometry) -> str:
    """The call's options as an error message names them."""
    names = ["stride", "padding", "output_padding", "dilation", "groups", "input_dilation"]
    values = {name: getattr(geometry, name, None) for name in names}
    if values["input_dilation"] is not None and all(e == 1 for e in values["input_dilation"]):
        values["input_dilation"] = None  # the usual case: not worth a mention
    return ", ".join(f"{name}={value}" for name, value in values.items() if value is not None)


def _check_bias_and_grad_y(x, w, b, grad_y, geometry, channel_name: str):
    """b of shape (out_channels,), grad_y of the output's shape, one dtype for all arrays."""
    arrays = {"x": x, "w": w}
    if b is not None:
        b = as_float_array(b, "b")
        if b.shape != (geometry.out_channels,):
            raise ValueError(
                f"b has shape {b.shape} but w has {geometry.out_channels} {channel_name}s "
                f"(w.shape={w.shape}, groups={geometry.groups}): the bias must have shape "
                f"({geometry.out_channels},), one value per {channel_name}"
            )
        arrays["b"] = b
    if grad_y is not None:
        grad_y = as_float_array(grad_y, "grad_y")
        if grad_y.shape != geometry.y_shape:
            raise ValueError(
                f"grad_y has shape {grad_y.shape} but the forward output has shape "
                f"{geometry.y_shape} (x.shape={x.shape}, w.shape={w.shape}, "
                f"{_options(geometry)}): "
                "grad_y must have the output's shape"
            )
        arrays["grad_y"] = grad_y
    dtypes = {name: a.dtype for name, a in arrays.items()}
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{name} is {dtype}" for name, dtype in dtypes.items())
        raise TypeError(
            f"mixed dtypes ({listed}): pass all arrays as float32 or all as float64, "
            "convgrad does not promote silently"
        )
    return b, grad_y


# --- the transposed convolution -------------------------------------------------------


@dataclass(frozen=True)
class TransposeGeometry(_Shapes):
    """Every size of one transposed convolution (PyTorch's conv_transpose), per dimension.

    w is ``(C_in, C_out // groups, *kernel)``: the weight of the convolution it transposes,
    which maps C_out channels to C_in. ``padding`` is one int per dimension, as in
    PyTorch. Chapter 11 derives the output size

        out_size = (H - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1

    with H the input's size along that axis.
    """

    batch: int
    in_channels: int
    out_channels: int
    groups: int
    in_size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    out_size: tuple[int, ...]

    @property
    def w_shape(self) -> tuple[int, ...]:
        return (self.in_channels, self.out_channels // self.groups, *self.kernel)

    @property
    def view_padding(self) -> tuple[tuple[int, int], ...]:
        """(before, after) padding of the conv that conv_transpose is a view of (Chapter 11).

        dilation * (K - 1) - padding before, and output_padding more after: the "full"
        padding, less PyTorch's padding. Negative (a crop) when padding > dilation * (K - 1).
        """
        return tuple(
            (d * (k - 1) - p, d * (k - 1) - p + r)
            for k, d, p, r in zip(self.kernel, self.dilation, self.padding, self.output_padding)
        )


def conv_transpose_geometry(
    x_shape, w_shape, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1
) -> TransposeGeometry:
    """Check a transposed convolution's shapes and arguments and return all of its sizes.

    x_shape is ``(N, C_in, *spatial)`` with 1, 2 or 3 spatial dimensions, w_shape is
    ``(C_in, C_out // groups, *kernel)``, as in PyTorch's conv_transpose1d/2d/3d. padding is
    an int or one non-negative int per dimension, and output_padding must be smaller than
    max(stride, dilation) in every dimension. Raises ValueError or TypeError naming the
    rule broken (Chapter 11).
    """
    x_shape = _shape(x_shape, "x.shape")
    w_shape = _shape(w_shape, "w.shape")
    if len(x_shape) not in (3, 4, 5):
        raise ValueError(
            f"x has shape {x_shape} ({len(x_shape)} axes) but must be (N, C_in, H), "
            "(N, C_in, H, W_in) or (N, C_in, D, H, W_in): batch, channels, then 1 to 3 spatial "
            "dimensions"
        )
    ndim = len(x_shape) - 2
    if len(w_shape) != len(x_shape):
        raise ValueError(
            f"w has shape {w_shape} ({len(w_shape)} axes) but x has shape {x_shape}: "
            f"conv_transpose's w must be (C_in, C_out // groups, *kernel) with {ndim} kernel "
            f"size(s), i.e. {len(x_shape)} axes like x"
        )
    if 0 in x_shape:
        raise ValueError(f"x has shape {x_shape}: every axis must have length >= 1")
    if 0 in w_shape:
        raise ValueError(f"w has shape {w_shape}: every axis must have length >= 1")
    groups = _check_int(groups, "groups", 1)
    batch, in_channels, *in_size = x_shape
    w_in_channels, out_channels_per_group, *kernel = w_shape
    if w_in_channels != in_channels:
        raise ValueError(
            f"w has {w_in_channels} input channels but x has {in_channels} "
            f"(x.shape={x_shape}, w.shape={w_shape}): conv_transpose's w is laid out "
            "(C_in, C_out // groups, *kernel), the weight of the conv it transposes, so "
            f"w.shape[0] must be x's C_in = {in_channels}"
        )
    if in_channels % groups:
        raise ValueError(
            f"groups={groups} does not divide the {in_channels} channels of x "
            f"(x.shape={x_shape}): C_in must be a multiple of groups"
        )
    stride = _per_dim(stride, "stride", ndim, 1)
    dilation = _per_dim(dilation, "dilation", ndim, 1)
    if isinstance(padding, str):
        raise TypeError(
            f"conv_transpose's padding must be an int or a tuple of {ndim} ints, as in "
            f'PyTorch, got {padding!r} (for "same" or (before, after) padding, crop the '
            "output instead)"
        )
    padding = _per_dim(padding, "padding", ndim, 0)
    output_padding = _per_dim(output_padding, "output_padding", ndim, 0)
    out_size = []
    for axis, (n, k, s, p, r, d) in enumerate(
        zip(in_size, kernel, stride, padding, output_padding, dilation)
    ):
        if r >= max(s, d):
            raise ValueError(
                f"output_padding={r} in spatial dimension {axis} must be smaller than "
                f"max(stride, dilation) = max({s}, {d}) = {max(s, d)}: it picks one of the "
                "input sizes that the convolution being transposed maps onto one output size"
            )
        out = (n - 1) * s - 2 * p + d * (k - 1) + r + 1
        if out < 1:
            raise ValueError(
                f"the padding is too large in spatial dimension {axis}: (H-1)*stride "
                f"- 2*padding + dilation*(K-1) + output_padding + 1 = ({n}-1)*{s} - 2*{p} "
                f"+ {d}*({k}-1) + {r} + 1 = {out}, so the output would be empty "
                f"(x.shape={x_shape}, w.shape={w_shape})"
            )
        out_size.append(out)
    return TransposeGeometry(
        batch=batch,
        in_channels=in_channels,
        out_channels=groups * out_channels_per_group,
        groups=groups,
        in_size=tuple(in_size),
        kernel=tuple(kernel),
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        out_size=tuple(out_size),
    )


def check_transpose_call(
    x, w, b=None, grad_y=None, *, stride, padding, output_padding, dilation, groups
):
    """Validate one conv_transpose call or its backward; return (x, w, b, grad_y, geometry)."""
    x = as_float_array(x, "x")
    w = as_float_array(w, "w")
    geometry = conv_transpose_geometry(
        x.shape,
        w.shape,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
    )
    b, grad_y = _check_bias_and_grad_y(x, w, b, grad_y, geometry, "output channel")
    return x, w, b, grad_y, geometry


def pad(x: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """x with the geometry's zeros around each spatial dimension (Chapter 9), and between
    neighbouring samples when input_dilation > 1 (Chapter 8)."""
    if geometry.padded_size == geometry.in_size:
        return x
    xp = np.zeros((*x.shape[:2], *geometry.padded_size), dtype=x.dtype)
    xp[(..., *_interior(geometry))] = x
    return xp


def crop(grad_padded: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """The gradient of pad: drop the padded border again, and the inserted zeros (Chapter 9)."""
    return grad_padded[(..., *_interior(geometry))]


def _interior(geometry: ConvGeometry) -> tuple[slice, ...]:
    """Where x's samples sit inside its padded (and input-dilated) copy."""
    return tuple(
        slice(before, before + size, e)
        for size, (before, _), e in zip(
            geometry.dilated_size, geometry.padding, geometry.input_dilation
        )
    )
