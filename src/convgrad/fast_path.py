"""The fast path: one general N-d convolution, and its three gradients beside it.

The transposed convolution follows, as a view of the same convolution (Chapter 11).

The loops of ``convgrad.reference`` turned into matrix products (Chapter 12). With
im2col(x) the matrix of all windows, one product per kernel row k0 does the work::

    y          = sum over k0 of W[k0] @ rows(x, k0)          (+ b)
    dL/dW[k0]  = grad_y @ rows(x, k0)^T
    dL/db      = grad_y @ 1, summed over the batch
    dL/dx      = col2im(sum over k0 of W[k0]^T @ grad_y)    (a scatter; when cheaper, the
                 gather conv(grad_y, rotated and channel-swapped W), at a stride > 1 one
                 stride-1 correlation per phase of the stride)

rows(x, k0) is the part of im2col(x) that kernel row k0 multiplies. It is never copied:
x is unfolded along every kernel axis except the first ("partial im2col"), and the
input rows that kernel row k0 reads, k0 * dilation + i * stride for every output row i,
are then one contiguous run of that array, which a matrix product reads in place. A
stride s splits the input rows by their remainder mod s first, so that each run is
contiguous. The partial im2col copies x prod(kernel[1:]) times, not prod(kernel) times.
When those rows are thin (few channels), every kernel axis is unfolded instead: the full
im2col, one product per block. When W[k0] is thin (few filters), the forward stacks the
kernel rows that read one phase into one tall product, and takes each row's run of it.

Groups are a reshape: group g's filters see only group g's channels, so every
product carries a group axis G (and a batch axis n) that numpy's matmul loops over.
The work goes in blocks (a few samples, or a few output rows), small enough to stay in
the CPU's cache. Shapes: x ``(N, C, *in_size)``, w ``(F, C_g, *kernel)``, y and grad_y
``(N, F, *out_size)``, with C = G * C_g, F = G * F_g.
"""

# ruff: noqa: B905  (every zip below pairs per-dimension tuples of one length)

from __future__ import annotations

import threading
from dataclasses import replace
from functools import lru_cache
from itertools import product
from math import gcd, prod
from typing import NamedTuple

import numpy as np

from .geometry import ConvGeometry, ConvOptions, TransposeOptions, check_call, crop, pad
from .gradients import Gradients
from .unfold import add_windows, windows

__all__ = ["conv", "conv_backward", "conv_transpose", "conv_transpose_backward", "Gradients"]


def conv(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1, input_dilation=1):
    """y = conv(x, w) + b for 1, 2 or 3 spatial dimensions (Chapter 11; vectorized in Ch. 12).

    x ``(N, C, *spatial)``, w ``(F, C // groups, *kernel)``, b (F,) or None. stride, padding,
    dilation and input_dilation are an int or one int per spatial dimension; padding
    (non-negative) may be "valid", "same" or per-dimension (before, after) pairs.
    input_dilation inserts input_dilation - 1 zeros between neighbouring samples of x
    before the padding (Chapters 8 and 11; JAX's lhs_dilation), so that

        out_size = (input_dilation*(H-1) + 1 + pad_before + pad_after
                    - dilation*(K-1) - 1) // stride + 1

    along each spatial axis of H input positions,
    and "same" keeps the zero-inserted size. float32 and float64 keep their dtype.
    """
    options = ConvOptions(stride, padding, dilation, groups, input_dilation)
    x, w, b, _, geo = check_call(x, w, b, None, options)
    if any(e > 1 for e in geo.input_dilation):
        # the zeros written out, with the padding: then an ordinary convolution of them
        return conv(pad(x, geo), w, b, stride=geo.stride, dilation=geo.dilation, groups=geo.groups)
    x_looped, w_looped, looped = _first_axis_looped(x, w, geo)
    w_rows = _kernel_rows(w_looped, looped)  # (K0, G, F_g, C_g * prod(kernel[1:]))
    y = np.empty(geo.y_shape, dtype=x.dtype)
    y_by_group = y.reshape(geo.batch, geo.groups, -1, prod(geo.out_size))  # a view
    scratch = _Scratch.kept("conv", x.dtype)
    for samples, positions, rows in _row_blocks(x_looped, looped, scratch):
        y_block = y_by_group[samples, :, :, positions]
        if _kernel_rows_stacked(w_rows, rows):
            _stacked_products(w_rows, rows, y_block, scratch)
        else:
            # every filter times every window of its group, one kernel row at a time:
            # y = sum over k0 of W[k0] @ rows(x, k0)
            np.matmul(w_rows[0], rows(0), out=y_block)
            for k0 in range(1, len(w_rows)):
                y_block += np.matmul(w_rows[k0], rows(k0), out=scratch("y", y_block.shape))
        if b is not None:  # one bias per filter, at every position
            y_block += b.reshape(geo.groups, -1, 1)
    return y


def conv_backward(grad_y, x, w, *, stride=1, padding=0, dilation=1, groups=1, input_dilation=1):
    """The three gradients of conv, Gradients(x, w, b) (Chapters 4-7; vectorized in Ch. 12).

    grad_y is dL/dy, with the shape of conv's output; the options are conv's. The bias
    gradient is always returned.
    """
    options = ConvOptions(stride, padding, dilation, groups, input_dilation)
    x, w, _, grad_y, geo = check_call(x, w, None, grad_y, options)
    if any(e > 1 for e in geo.input_dilation):
        # the gradient of inserting zeros and padding keeps x's own samples (Chapter 8)
        grads = conv_backward(
            grad_y, pad(x, geo), w, stride=geo.stride, dilation=geo.dilation, groups=geo.groups
        )
        return grads._replace(x=np.ascontiguousarray(crop(grads.x, geo)))
    x_looped, w_looped, looped = _first_axis_looped(x, w, geo)
    w_rows = _kernel_rows(w_looped, looped)  # (K0, G, F_g, C_g * prod(kernel[1:]))
    grad_y_by_group = grad_y.reshape(geo.batch, geo.groups, -1, prod(geo.out_size))

    # dL/db = grad_y @ 1: each bias is added at every position of its filter's output
    ones = np.ones(grad_y_by_group.shape[-1], dtype=x.dtype)
    grad_b = (grad_y_by_group @ ones).sum(axis=0).reshape(-1)

    gather = _input_gradient_by_gather(geo)
    grad_w_rows_t = np.zeros(w_rows.swapaxes(2, 3).shape, dtype=x.dtype)  # (K0, G, C_g*.., F_g)
    grad_xp = None if gather else np.zeros((*x.shape[:2], *looped.padded_size), dtype=x.dtype)
    scratch = _Scratch.kept("conv_backward", x.dtype)
    for samples, positions, rows in _row_blocks(x_looped, looped, scratch):
        grad_y_block = grad_y_by_group[samples, :, :, positions]
        for k0 in range(len(w_rows)):
            # dL/dW[k0] = grad_y @ rows(x, k0)^T: the windows weighted by grad_y, summed over n.
            # Computed transposed, rows(x, k0) @ grad_y^T: the BLAS is faster so on our shapes.
            grad_w_block = scratch("grad_w", (*rows(k0).shape[:3], grad_y_block.shape[2]))
            grad_w_rows_t[k0] += np.matmul(
                rows(k0), grad_y_block.swapaxes(2, 3), out=grad_w_block
            ).sum(axis=0)
        if not gather:
            # dL/dx = col2im(W^T @ grad_y): each window sends grad_y * w to what it read
            grad_rows = rows  # x's rows are no longer needed: their memory takes their gradient
            for k0 in range(len(w_rows)):
                w_k0_t = w_rows[k0].swapaxes(1, 2)
                if grad_rows.first_in_phase(k0):  # the first product overwrites its phase
                    np.matmul(w_k0_t, grad_y_block, out=grad_rows.zero_phase_except(k0))
                else:  # later ones add to it
                    product = scratch("grad_x", grad_rows(k0).shape)
                    grad_rows(k0)[...] += np.matmul(w_k0_t, grad_y_block, out=product)
            grad_rows.add_to(grad_xp)
    if gather:
        grad_x = _grad_x_by_full_correlation(grad_y, w, geo)
    else:
        # rows past the last window (geometry.unread) were never touched: exactly zero
        grad_x = np.ascontiguousarray(crop(grad_xp, looped)).reshape(x.shape)
    grad_w_rows = grad_w_rows_t.swapaxes(2, 3)  # (K0, G, F_g, C_g * prod(kernel[1:]))
    grad_w = grad_w_rows.reshape(len(w_rows), *w.shape[:2], -1).transpose(1, 2, 0, 3)
    return Gradients(x=grad_x, w=grad_w.reshape(w.shape), b=grad_b)


# --- the transposed convolution: a view of conv, and its gradients ---------------------


def conv_transpose(x, w, b=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """The transposed convolution, exactly PyTorch's conv_transpose1d/2d/3d (Chapter 11).

    x ``(N, C_in, *spatial)``; w ``(C_in, C_out // groups, *kernel)``, the weight of the conv it
    transposes (that conv maps C_out channels to C_in); b (C_out,) or None. stride,
    padding (non-negative), output_padding and dilation are an int or one per spatial
    dimension, with output_padding < max(stride, dilation), and

        out_size = (H - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1

    It is a view of conv: the kernel flipped and its channel axes swapped within each group,
    input_dilation=stride, and padding dilation*(K-1) - padding before and that plus
    output_padding after (TransposeGeometry.view_padding). Where that padding is negative
    (padding > dilation*(K-1)) conv pads nothing there and the view crops its output
    instead: at stride 1, c input positions fewer at one end are c outputs fewer there.
    """
    options = TransposeOptions(stride, padding, output_padding, dilation, groups)
    x, w, b, _, geo = check_call(x, w, b, None, options)
    view_padding = geo.view_padding
    y = conv(
        x,
        backward_kernel(w, geo.groups),
        b,
        padding=tuple((max(0, before), max(0, after)) for before, after in view_padding),
        dilation=geo.dilation,
        groups=geo.groups,
        input_dilation=geo.stride,
    )
    kept = tuple(
        slice(max(0, -before), size - max(0, -after))
        for (before, after), size in zip(view_padding, y.shape[2:])
    )
    return np.ascontiguousarray(y[(..., *kept)])


def conv_transpose_backward(
    grad_y, x, w, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1
):
    """The three gradients of conv_transpose, Gradients(x, w, b) (Chapter 11).

    conv_transpose is the adjoint of conv(., w) with the same options, so its input
    gradient is an ordinary convolution: dL/dx = conv(grad_y, w, stride, padding,
    dilation, groups). That conv reaches output_padding // stride positions past x's end
    (only when output_padding >= stride, which a dilation > stride allows): they are
    dropped. dL/dw is conv's weight gradient with x and grad_y in each other's place, and
    dL/db is grad_y summed over the batch and every position.
    """
    options = TransposeOptions(stride, padding, output_padding, dilation, groups)
    x, w, _, grad_y, geo = check_call(x, w, None, grad_y, options)
    conv_options = dict(
        stride=geo.stride, padding=geo.padding, dilation=geo.dilation, groups=geo.groups
    )
    grad_x_reach = conv(grad_y, w, **conv_options)
    x_samples = (..., *(slice(0, n) for n in geo.in_size))
    # in conv(grad_y, w), x is the upstream gradient (extended by zeros to its output)
    x_reach = np.zeros_like(grad_x_reach)
    x_reach[x_samples] = x
    grad_w = conv_backward(grad_y=x_reach, x=grad_y, w=w, **conv_options).w
    grad_b = grad_y.sum(axis=(0, *range(2, grad_y.ndim)))
    return Gradients(x=np.ascontiguousarray(grad_x_reach[x_samples]), w=grad_w, b=grad_b)


# --- helpers: the partial im2col in blocks, and the backward kernel -------------------


# the work goes block by block, so that each block's partial im2col stays in the cache
COLUMNS_BUDGET = 4 * 2**20  # bytes of partial im2col per block


# below this many columns per kernel row, the matrices are too thin for the BLAS to be quick
THIN_ROWS = 32

# how dL/dx is computed: "gather", "scatter", or "auto" (_input_gradient_by_gather decides)
INPUT_GRADIENT = "auto"

# below this many filters per group, W[k0] is too thin: the kernel rows are stacked
THIN_FILTERS = 32

# whether the forward stacks its kernel rows: "always", "never", or "auto" (see below)
STACK_KERNEL_ROWS = "auto"


def _kernel_rows_stacked(w_rows, rows) -> bool:
    """One tall product per phase (_stacked_products) rather than one thin one per kernel row?

    Worth it for thin filter banks (few filters per group), where one product per kernel
    row keeps the BLAS from its speed; not for wide ones. Stacked, the product also covers
    the rows only other kernel rows read: only worth it when those are few, and its result
    must not outgrow the block's own matrix.
    """
    if STACK_KERNEL_ROWS != "auto":
        return STACK_KERNEL_ROWS == "always"
    kernel_rows, _, filters, height = w_rows.shape
    phases = rows.kernel_rows_by_phase()
    tallest = max(len(k0s) for k0s in phases.values())
    read = sum(phase.shape[-1] for phase in rows.phases.values())  # columns multiplied
    needed = len(phases) * rows.out_rows * prod(rows.geometry.out_size[1:])
    return (
        kernel_rows > 1
        and filters < THIN_FILTERS
        and tallest * filters <= height
        and read <= 1.25 * needed
    )


def _stacked_products(w_rows, rows, y_block, scratch):
    """y_block = sum over k0 of W[k0] @ rows(x, k0), with one tall product per phase.

    The kernel rows that read one phase are stacked into one matrix, which multiplies the
    whole phase: z = [W[k0]; W[k0']; ...] @ phase. Kernel row k0's share is then the run of
    its own rows of z that rows(x, k0) would have selected.
    """
    filters, first = w_rows.shape[2], True
    for phase, k0s in rows.kernel_rows_by_phase().items():
        stacked = w_rows[k0s].swapaxes(0, 1).reshape(w_rows.shape[1], -1, w_rows.shape[3])
        columns = rows.phases[phase]
        z = np.matmul(
            stacked,
            columns,
            out=scratch("z", (*columns.shape[:2], *stacked.shape[1:2], columns.shape[-1])),
        )
        for i, k0 in enumerate(k0s):
            share = rows.cut_run(z[:, :, i * filters : (i + 1) * filters], k0)
            if first:
                np.copyto(y_block, share)
                first = False
            else:
                y_block += share


def _input_gradient_by_gather(geometry: ConvGeometry) -> bool:
    """dL/dx by a gather (Chapters 5-6) or a scatter (Chapters 8, 12)?

    The gather is one more convolution per phase, its products' inner dimension F * K**2
    (F * taps of the phase); the scatter's W^T @ grad_y has inner dimension F only, then
    adds its columns back (col2im). Measured: the gather wins when grad_y has no more
    channels than x (by 10-30%), at every stride; with more (F > C) the scatter does.
    """
    if INPUT_GRADIENT != "auto":
        return INPUT_GRADIENT == "gather"
    return geometry.out_channels <= geometry.in_channels


def _first_axis_looped(x, w, geometry: ConvGeometry):
    """x, w and geometry with the kernel axis that the products loop over first.

    That is the first spatial axis, unless its kernel rows would give thin matrices
    (few channels): then a leading axis of length 1 is looped over, so that every real
    kernel axis is unfolded (the full im2col, one product per block).
    """
    if geometry.in_channels // geometry.groups * prod(geometry.kernel[1:]) >= THIN_ROWS:
        return x, w, geometry
    return x[:, :, None], w[:, :, None], _with_leading_axis(geometry)


@lru_cache(maxsize=256)  # the same few geometries come back in every call
def _with_leading_axis(geometry: ConvGeometry) -> ConvGeometry:
    """The same convolution with a leading spatial axis of length 1 (kernel 1, stride 1)."""
    return replace(
        geometry,
        in_size=(1, *geometry.in_size),
        kernel=(1, *geometry.kernel),
        stride=(1, *geometry.stride),
        padding=((0, 0), *geometry.padding),
        dilation=(1, *geometry.dilation),
        out_size=(1, *geometry.out_size),
        unread=(0, *geometry.unread),
        input_dilation=(1, *geometry.input_dilation),
    )


def _kernel_rows(w, geometry: ConvGeometry):
    """w as one matrix per kernel row k0: (K0, G, F_g, C_g * prod(kernel[1:]))."""
    by_row = w.transpose(2, 0, 1, *range(3, w.ndim))  # (K0, F, C_g, *kernel[1:])
    return np.ascontiguousarray(by_row).reshape(len(by_row), geometry.groups, -1, by_row[0, 0].size)


class _BlockRows:
    """One block of the partial im2col: x unfolded along kernel[1:], one array per phase.

    ``phases[r]`` holds the block's padded input rows r, r + s, r + 2s, ... (s the stride of
    the first dimension), each unfolded along the other dimensions' kernel taps, as a
    matrix (n, G, C_g * prod(kernel[1:]), rows * positions per row).
    """

    def __init__(self, phases, samples, first_row, out_rows, geometry: ConvGeometry):
        self.phases, self.samples, self.first_row = phases, samples, first_row
        self.out_rows, self.geometry = out_rows, geometry

    def phase_of(self, k0):
        """The phase whose rows kernel row k0 reads: k0 * d mod s."""
        return k0 * self.geometry.dilation[0] % self.geometry.stride[0]

    def run_start(self, k0):
        """Where kernel row k0's run starts in its phase: padded row k0 * d + i * s is
        row k0 * d // s + i of phase k0 * d mod s."""
        return k0 * self.geometry.dilation[0] // self.geometry.stride[0]

    def __call__(self, k0):
        """The columns kernel row k0 multiplies: a contiguous run of one phase (no copy)."""
        return self.cut_run(self.phases[self.phase_of(k0)], k0)

    def cut_run(self, array, k0):
        """array's columns at kernel row k0's run, array laid out like k0's phase (a view)."""
        first = self.run_start(k0)
        per_row = prod(self.geometry.out_size[1:])  # output positions per row
        return array[..., first * per_row : (first + self.out_rows) * per_row]

    def kernel_rows_by_phase(self):
        """{phase: the kernel rows k0 that read it}."""
        by_phase = {}
        for k0 in range(self.geometry.kernel[0]):
            by_phase.setdefault(self.phase_of(k0), []).append(k0)
        return by_phase

    def first_in_phase(self, k0):
        """Whether k0 is the lowest kernel row that reads its phase."""
        return all(self.phase_of(k) != self.phase_of(k0) for k in range(k0))

    def zero_phase_except(self, k0):
        """Set k0's phase to zero outside the run of kernel row k0; return that run."""
        first, per_row = self.run_start(k0), prod(self.geometry.out_size[1:])
        rows = self.phases[self.phase_of(k0)]
        rows[..., : first * per_row] = 0
        rows[..., (first + self.out_rows) * per_row :] = 0
        return self(k0)

    def add_to(self, grad_xp):
        """The adjoint of the unfolding (col2im along kernel[1:]): add onto grad_xp in place."""
        geometry, s = self.geometry, self.geometry.stride[0]
        for r, rows in self.phases.items():
            target = grad_xp[self.samples, :, self.first_row + r :: s]
            unfolded = rows.reshape(
                len(rows), geometry.in_channels, 1, *geometry.kernel[1:], -1, *geometry.out_size[1:]
            )
            add_windows(
                target, unfolded, _row_geometry(geometry, unfolded.shape[2 + geometry.ndim])
            )


@lru_cache(maxsize=256)  # the same few geometries come back in every call
def _row_geometry(geometry: ConvGeometry, rows: int) -> ConvGeometry:
    """The partial im2col as a convolution of its own: kernel 1, stride 1 in the first dim."""
    return replace(
        geometry,
        kernel=(1, *geometry.kernel[1:]),
        stride=(1, *geometry.stride[1:]),
        dilation=(1, *geometry.dilation[1:]),
        out_size=(rows, *geometry.out_size[1:]),
    )


def _blocks(geometry: ConvGeometry, itemsize: int):
    """(samples, rows) slices whose partial im2col fits in COLUMNS_BUDGET.

    Small inputs get several samples per block; large ones a few rows (of the first
    output dimension) of one sample.
    """
    out_rows = geometry.out_size[0]
    per_row = geometry.in_channels * prod(geometry.kernel[1:]) * geometry.stride[0]
    per_row *= prod(geometry.out_size[1:]) * itemsize  # bytes of partial im2col per output row
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


# bytes of scratch memory kept from one call to the next, per thread, function and dtype
SCRATCH_KEPT = 64 * 2**20

_KEPT = threading.local()  # each thread's _Scratch objects: two threads never share one


def _release_scratch() -> None:
    """Let go of this thread's kept scratch memory (the benchmark does, to measure peaks)."""
    vars(_KEPT).clear()


class _Scratch:
    """Memory reused from block to block, and from call to call.

    Fresh large arrays cost a page fault per page at their first write, in every call;
    memory kept from the last call is already mapped. A small layer, whose products are
    quick, gains most.
    """

    def __init__(self, dtype):
        self.dtype, self.memory = dtype, {}

    @classmethod
    def kept(cls, owner: str, dtype):
        """The scratch memory kept for owner in this thread (conv_backward calls conv, so
        each function has its own), emptied first if it has grown past SCRATCH_KEPT."""
        key = (owner, np.dtype(dtype))
        scratch = vars(_KEPT).setdefault(key, cls(dtype))
        if sum(array.nbytes for array in scratch.memory.values()) > SCRATCH_KEPT:
            scratch.memory.clear()
        return scratch

    def __call__(self, name, shape):
        """An array of this shape (contents undefined), in the memory kept under name."""
        size = prod(shape)
        if name not in self.memory or self.memory[name].size < size:
            self.memory[name] = np.empty(size, dtype=self.dtype)
        return self.memory[name][:size].reshape(shape)


def _pad_into(scratch: _Scratch, x, geometry: ConvGeometry):
    """pad(x, geometry) in scratch memory: a fresh padded copy of x costs page faults."""
    if all(p == (0, 0) for p in geometry.padding):
        return x
    xp = scratch("padded", (*x.shape[:2], *geometry.padded_size))
    xp.fill(0)
    crop(xp, geometry)[...] = x  # crop is a view of x's place inside its padded copy
    return xp


def _row_blocks(x, geometry: ConvGeometry, scratch: _Scratch):
    """The partial im2col in blocks: (samples, positions, rows), rows a _BlockRows.

    positions slices the flattened output positions that the block produces.
    """
    padded_samples, xp = None, None
    s, d, k = geometry.stride[0], geometry.dilation[0], geometry.kernel[0]
    per_row = prod(geometry.out_size[1:])
    read_phases = sorted({k0 * d % s for k0 in range(k)})  # a stride may skip some
    for samples, rows in _blocks(geometry, x.itemsize):
        if samples != padded_samples:  # the block's samples padded, in reused memory
            padded_samples, xp = samples, _pad_into(scratch, x[samples], geometry)
        # output rows i read padded rows i * s + k0 * d: the block reads first .. last - 1
        first, last = rows.start * s, (rows.stop - 1) * s + (k - 1) * d + 1
        phases = {}
        for r in read_phases:
            x_phase = xp[:, :, first + r : last : s]
            view = windows(x_phase, _row_geometry(geometry, x_phase.shape[2]))
            # the copy: one matrix per sample and group, in memory reused by every block
            rows_r = scratch(("rows", r), view.shape)
            np.copyto(rows_r, view)
            phases[r] = rows_r.reshape(len(view), geometry.groups, -1, x_phase.shape[2] * per_row)
        positions = slice(rows.start * per_row, rows.stop * per_row)
        yield (
            samples,
            positions,
            _BlockRows(phases, samples, first, rows.stop - rows.start, geometry),
        )


def backward_kernel(w, groups: int = 1):
    """The backward kernel (Chapter 6): in and out channels swapped per group, rotated 180 deg.

    At stride 1, dL/dx = conv(grad_y padded with K - 1 zeros, backward_kernel(w)); the same
    kernel makes conv_transpose a conv (Chapter 11).
    """
    w = np.asarray(w)
    if w.ndim < 3 or w.shape[0] % groups:
        want = f"(F, C/groups, *kernel) with F divisible by groups = {groups}"
        raise ValueError(f"w has shape {w.shape}: a weight tensor has {want}")
    filters, channels_per_group, *kernel = w.shape
    by_group = w.reshape(groups, filters // groups, channels_per_group, *kernel)
    swapped = by_group.swapaxes(1, 2).reshape(groups * channels_per_group, -1, *kernel)
    return np.flip(swapped, axis=tuple(range(2, 2 + len(kernel))))


def _grad_x_by_full_correlation(grad_y, w, geometry: ConvGeometry):
    """dL/dx = conv(zero-inserted grad_y, rotated and channel-swapped w) (Chapters 5, 6, 8).

    Written out, the inserted zeros would cost stride**ndim times the products. Split by
    phase instead: the padded-input positions u, u + s, u + 2s, ... receive only the kernel
    taps k with k * d = u (mod s), so each phase is an ordinary stride-1 full correlation
    of grad_y with a sub-kernel (taps k0, k0 + s/gcd(s, d), ..., dilation d/gcd(s, d)).
    Every product keeps its inner dimension F * (taps of the phase): wide, no zeros.
    At stride 1 there is one phase, the whole kernel.
    """
    phases = [_phases_of_dimension(geometry, axis) for axis in range(geometry.ndim)]
    if all(len(p) == 1 and p[0].covers for p in phases):  # stride 1: conv writes grad_x itself
        return _phase_correlation(grad_y, w, geometry, [p[0] for p in phases])
    grad_x = np.zeros(geometry.x_shape, dtype=grad_y.dtype)  # phases without taps stay zero
    for phase in product(*phases):
        grad_x[(..., *(p.x_positions for p in phase))] = _phase_correlation(
            grad_y, w, geometry, phase
        )
    return grad_x


class _Phase(NamedTuple):
    """One phase of one dimension: its kernel taps, and the slices of grad_y and x it links."""

    taps: slice  # the kernel taps k with k * d = r (mod s)
    dilation: int  # their spacing in grad_y's rows: d / gcd(s, d)
    padding: tuple[int, int]  # zeros around the grad_y rows, for the "full" correlation
    grad_y_rows: slice  # the grad_y rows that reach x's rows of this phase
    x_positions: slice  # x's rows of this phase that some tap reaches
    covers: bool  # whether x_positions is every row of x


@lru_cache(maxsize=256)  # the same few geometries come back in every call
def _phases_of_dimension(geometry: ConvGeometry, axis: int) -> tuple[_Phase, ...]:
    """The phases of one spatial dimension that receive a gradient (see the caller)."""
    n, k, s, d = (
        geometry.in_size[axis],
        geometry.kernel[axis],
        geometry.stride[axis],
        geometry.dilation[axis],
    )
    before, out = geometry.padding[axis][0], geometry.out_size[axis]
    step = s // gcd(s, d)  # taps of one phase are step apart, their rows d // gcd apart
    result = []
    for r in range(s):
        first_tap = next((t for t in range(min(k, step)) if t * d % s == r), None)
        x_first = (r - before) % s  # x's row p sits at padded row p + before
        if first_tap is None or x_first >= n:
            continue
        count = len(range(first_tap, k, step))
        dilation, span = d // gcd(s, d), d // gcd(s, d) * (count - 1)
        # padded row r + s * m gets grad_y[m - t] * w[k] for every tap, t = (k * d - r) / s;
        # the full correlation's output j is m - t_min and spans o + span rows
        t_min = (first_tap * d - r) // s
        m_first = (x_first + before - r) // s
        a = m_first - t_min  # x's first row of this phase, as the full correlation's output
        b = a + len(range(x_first, n, s))
        a_kept, b_kept = max(a, 0), min(b, out + span)  # rows past these are never read
        if b_kept <= a_kept:
            continue
        low, high = span - a_kept, b_kept - out  # negative: crop grad_y instead of padding
        result.append(
            _Phase(
                taps=slice(first_tap, k, step),
                dilation=dilation,
                padding=(max(0, low), max(0, high)),
                grad_y_rows=slice(max(0, -low), out - max(0, -high)),
                x_positions=slice(
                    x_first + s * (a_kept - a), x_first + s * (b_kept - a - 1) + 1, s
                ),
                covers=s == 1 and a_kept == a and b_kept == b,
            )
        )
    return tuple(result)


def _phase_correlation(grad_y, w, geometry: ConvGeometry, phase):
    """The stride-1 correlation of one phase (one _Phase per dimension)."""
    return conv(
        grad_y[(..., *(p.grad_y_rows for p in phase))],
        backward_kernel(w[(..., *(p.taps for p in phase))], geometry.groups),
        padding=tuple(p.padding for p in phase),
        dilation=tuple(p.dilation for p in phase),
        groups=geometry.groups,
    )
