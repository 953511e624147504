"""convgrad against PyTorch autograd on hypothesis-generated convolutions.

Relative error is norm-wise: max |ours - torch| / max |torch| (see convgrad.relative_error).
"""

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convgrad
from convgrad import fast_path, relative_error

# derandomized: the same configurations on every run and every machine
EXAMPLES = settings(max_examples=500, deadline=None, derandomize=True, database=None)


@st.composite
def conv_configs(draw):
    """A valid small convolution: shapes, stride, padding, dilation, groups, bias or not."""
    ndim = draw(st.integers(1, 3))
    max_kernel, max_extra = {1: (4, 6), 2: (3, 4), 3: (2, 3)}[ndim]
    groups = draw(st.integers(1, 3))
    depthwise = draw(st.booleans())
    channels_per_group = 1 if depthwise else draw(st.integers(1, 3))
    filters_per_group = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, max_kernel)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    use_same = draw(st.booleans())
    if use_same:
        stride, padding = (1,) * ndim, "same"
        pad_total = (0,) * ndim
    else:
        stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
        padding = tuple(draw(st.integers(0, 2)) for _ in range(ndim))
        pad_total = tuple(2 * p for p in padding)
    # big enough that the (dilated) window fits in the padded input
    in_size = tuple(
        max(1, d * (k - 1) + 1 - p) + draw(st.integers(0, max_extra))
        for k, d, p in zip(kernel, dilation, pad_total, strict=True)
    )
    batch = draw(st.integers(1, 2))
    as_int = draw(st.booleans())  # scalar arguments where all dimensions agree
    if as_int and len(set(stride)) == 1 and padding != "same" and len(set(padding)) == 1:
        stride, padding = stride[0], padding[0]
    return dict(
        x_shape=(batch, groups * channels_per_group, *in_size),
        w_shape=(groups * filters_per_group, channels_per_group, *kernel),
        bias=draw(st.booleans()),
        seed=draw(st.integers(0, 2**32 - 1)),
        options=dict(stride=stride, padding=padding, dilation=dilation, groups=groups),
    )


def _compare(config, dtype, tolerance, torch_conv):
    rng = np.random.default_rng(config["seed"])
    x = rng.standard_normal(config["x_shape"]).astype(dtype)
    w = rng.standard_normal(config["w_shape"]).astype(dtype)
    b = rng.standard_normal(config["w_shape"][0]).astype(dtype) if config["bias"] else None
    options = config["options"]
    y = convgrad.conv(x, w, b, **options)
    grad_y = rng.standard_normal(y.shape).astype(dtype)
    grads = convgrad.conv_backward(grad_y, x, w, **options)
    y_t, grad_x_t, grad_w_t, grad_b_t = torch_conv(x, w, b, grad_y, **options)
    for name, ours, theirs in [
        ("y", y, y_t),
        ("grad_x", grads.x, grad_x_t),
        ("grad_w", grads.w, grad_w_t),
        ("grad_b", grads.b, grad_b_t),
    ]:
        assert ours.shape == theirs.shape, (name, ours.shape, theirs.shape)
        assert ours.dtype == dtype, (name, ours.dtype)
        error = relative_error(ours, theirs)
        assert error <= tolerance, f"{name}: relative error {error:.2e} > {tolerance:.0e}, {config}"


@EXAMPLES
@given(config=conv_configs())
def test_matches_torch_float64(config, torch_conv):
    _compare(config, np.float64, 1e-10, torch_conv)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(config=conv_configs())
def test_matches_torch_float32(config, torch_conv):
    # float32 sums of at most a few hundred products: round-off ~1e-6 of the largest entry
    _compare(config, np.float32, 2e-5, torch_conv)


# The fast path has three choices, each made automatically; the search above mostly
# reaches one side of each (few channels, few filters), so here each side is forced in turn:
# - x unfolded along every kernel axis but the first (the partial im2col), or along all of
#   them when the kernel rows are thin (THIN_ROWS);
# - the forward's products one kernel row k0 at a time, or (thin W: few filters) the kernel
#   rows of each phase stacked into one tall product whose runs are picked out
#   (STACK_KERNEL_ROWS; with the partial im2col, so that there are several kernel rows);
# - dL/dx by a gather (a stride-1 correlation per phase of the stride) or a scatter (col2im).
FORCED_PATHS = {
    "partial-im2col": dict(THIN_ROWS=0),
    "full-im2col": dict(THIN_ROWS=10**9),
    "stacked-kernel-rows": dict(STACK_KERNEL_ROWS="always", THIN_ROWS=0),
    "kernel-row-by-row": dict(STACK_KERNEL_ROWS="never", THIN_ROWS=0),
    "gather": dict(INPUT_GRADIENT="gather"),
    "scatter": dict(INPUT_GRADIENT="scatter"),
}


@pytest.mark.parametrize("forced", FORCED_PATHS.values(), ids=FORCED_PATHS.keys())
@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(config=conv_configs())
def test_every_forced_path_matches_torch(forced, config, torch_conv):
    with mock.patch.multiple(fast_path, **forced):
        _compare(config, np.float64, 1e-10, torch_conv)
        _float32_close_to_float64(config)


@pytest.mark.parametrize(
    "x_shape, w_shape, options",
    [
        ((2, 3, 32, 32), (16, 3, 3, 3), dict(padding=1)),
        ((2, 8, 33, 31), (8, 8, 5, 5), dict(stride=2, padding=2)),
        ((1, 16, 40, 40), (16, 1, 7, 7), dict(padding=3, groups=16)),
        ((2, 6, 20, 21), (4, 3, 4, 2), dict(padding="same", dilation=(2, 3), groups=2)),
        ((1, 4, 9, 10, 11), (6, 2, 3, 3, 3), dict(stride=(1, 2, 3), padding=1, groups=2)),
        ((3, 5, 64), (7, 5, 9), dict(stride=4, dilation=2, padding=4)),
    ],
)
def test_matches_torch_larger_shapes(x_shape, w_shape, options, torch_conv, rng):
    # sizes a reader would use, beyond what the hypothesis search explores
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    y = convgrad.conv(x, w, b, **options)
    grad_y = rng.standard_normal(y.shape)
    grads = convgrad.conv_backward(grad_y, x, w, **options)
    expected = torch_conv(x, w, b, grad_y, **options)
    for ours, theirs in zip((y, *grads), expected, strict=True):
        assert relative_error(ours, theirs) <= 1e-10


def _float32_close_to_float64(config):
    """convgrad in float32 within 1e-4 (relative) of convgrad in float64, same inputs."""
    rng = np.random.default_rng(config["seed"])
    x = rng.standard_normal(config["x_shape"])
    w = rng.standard_normal(config["w_shape"])
    options = config["options"]
    grad_y = rng.standard_normal(convgrad.output_shape(x.shape, w.shape, **options))
    exact = [convgrad.conv(x, w, **options), *convgrad.conv_backward(grad_y, x, w, **options)]
    single = [a.astype(np.float32) for a in (x, w, grad_y)]
    rounded = [
        convgrad.conv(single[0], single[1], **options),
        *convgrad.conv_backward(single[2], single[0], single[1], **options),
    ]
    names = ["y", "grad_x", "grad_w", "grad_b"]
    for name, ours, expected in zip(names, rounded, exact, strict=True):
        assert ours.dtype == np.float32, name
        assert relative_error(ours, expected) <= 1e-4, (name, config)
