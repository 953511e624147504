"""The backward pass is again a convolution: both identities against conv_backward."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convgrad
from convgrad import grad_w_as_conv, grad_x_as_conv_transpose, relative_error

EXAMPLES = settings(max_examples=200, deadline=None, derandomize=True, database=None)


@st.composite
def conv_configs(draw):
    """A valid small convolution; padding symmetric, (before, after) pairs, or "same"."""
    ndim = draw(st.integers(1, 3))
    max_kernel = {1: 4, 2: 3, 3: 2}[ndim]
    groups = draw(st.integers(1, 3))
    channels_per_group = draw(st.integers(1, 2))
    filters_per_group = draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, max_kernel)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    kind = draw(st.sampled_from(["symmetric", "pairs", "same"]))
    stride = (1,) * ndim if kind == "same" else tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    if kind == "symmetric":  # up to past d*(K-1): conv_transpose's view then crops
        padding = tuple(draw(st.integers(0, 3)) for _ in range(ndim))
        pairs = tuple((p, p) for p in padding)
    elif kind == "pairs":
        pairs = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(ndim))
        padding = pairs
    else:
        padding = "same"
        pairs = ((0, 0),) * ndim  # the input is large enough either way
    in_size = tuple(
        max(1, d * (k - 1) + 1 - before - after) + draw(st.integers(0, 4))
        for k, d, (before, after) in zip(kernel, dilation, pairs, strict=True)
    )
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    x_shape = (draw(st.integers(1, 2)), groups * channels_per_group, *in_size)
    w_shape = (groups * filters_per_group, channels_per_group, *kernel)
    return x_shape, w_shape, options, draw(st.integers(0, 2**32 - 1))


def _arrays(config):
    x_shape, w_shape, options, seed = config
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    grad_y = rng.standard_normal(convgrad.output_shape(x_shape, w_shape, **options))
    return x, w, grad_y, convgrad.conv_backward(grad_y, x, w, **options)


@EXAMPLES
@given(config=conv_configs())
def test_grad_x_is_a_transposed_convolution(config):
    x_shape, w_shape, options, _ = config
    x, w, grad_y, expected = _arrays(config)
    grad_x = grad_x_as_conv_transpose(grad_y, x_shape, w, **options)
    assert grad_x.shape == x_shape
    assert relative_error(grad_x, expected.x) <= 1e-12
    geometry = convgrad.conv_geometry(x_shape, w_shape, **options)
    pairs = geometry.padding
    if all(before == after for before, after in pairs):
        # the identity as the book writes it: r = (n + 2p - d(K-1) - 1) mod s
        p = tuple(before for before, _ in pairs)
        r = tuple(
            (n + 2 * p_ - d * (k - 1) - 1) % s
            for n, p_, d, k, s in zip(
                x_shape[2:], p, geometry.dilation, geometry.kernel, geometry.stride, strict=True
            )
        )
        assert geometry.past_last_window == r
        direct = convgrad.conv_transpose(
            grad_y,
            w,
            stride=geometry.stride,
            padding=p,
            output_padding=r,
            dilation=geometry.dilation,
            groups=geometry.groups,
        )
        assert relative_error(direct, expected.x) <= 1e-12


@EXAMPLES
@given(config=conv_configs())
def test_grad_w_is_a_convolution_with_stride_and_dilation_swapped(config):
    x_shape, w_shape, options, _ = config
    x, w, grad_y, expected = _arrays(config)
    grad_w = grad_w_as_conv(grad_y, x, w_shape, **options)
    assert grad_w.shape == w_shape
    assert relative_error(grad_w, expected.w) <= 1e-12


def test_output_padding_counts_padding_rows_that_unread_leaves_out(rng):
    # n=6, K=3, s=2, p=1: windows read padded rows 0..6 of 0..7; row 7 is padding, so no
    # row of x is unread, but conv_transpose needs output_padding 1 to give 6 rows back
    x_shape, w = (1, 2, 6), rng.standard_normal((3, 2, 3))
    geometry = convgrad.conv_geometry(x_shape, w.shape, stride=2, padding=1)
    assert geometry.out_size == (3,)
    assert geometry.unread == (0,)
    assert geometry.past_last_window == (1,)
    grad_y = rng.standard_normal(geometry.y_shape)
    too_short = convgrad.conv_transpose(grad_y, w, stride=2, padding=1, output_padding=0)
    assert too_short.shape == (1, 2, 5)
    grad_x = grad_x_as_conv_transpose(grad_y, x_shape, w, stride=2, padding=1)
    assert grad_x.shape == x_shape
    expected = convgrad.conv_backward(grad_y, np.zeros(x_shape), w, stride=2, padding=1).x
    assert relative_error(grad_x, expected) <= 1e-13


def test_grad_w_keeps_the_first_kernel_taps(rng):
    # stride 3, K=2 on n=9: windows at 0, 3, 6 never read row 8, through which the conv
    # of x with grad_y reaches a third tap; the forward used 2
    x, grad_y = rng.standard_normal((2, 1, 9)), rng.standard_normal((2, 1, 3))
    w_shape = (1, 1, 2)
    x_regrouped, kernel = x.transpose(1, 0, 2), grad_y.transpose(1, 0, 2)
    taps = convgrad.conv(x_regrouped, kernel, dilation=3)
    assert taps.shape == (1, 1, 3)
    grad_w = grad_w_as_conv(grad_y, x, w_shape, stride=3)
    np.testing.assert_allclose(grad_w, taps[..., :2], rtol=1e-14)
    expected = convgrad.conv_backward(grad_y, x, np.zeros(w_shape), stride=3).w
    assert relative_error(grad_w, expected) <= 1e-13


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_identities_keep_the_dtype(dtype, rng):
    x = rng.standard_normal((2, 4, 7, 6)).astype(dtype)
    w = rng.standard_normal((6, 2, 3, 2)).astype(dtype)
    options = dict(stride=(2, 1), padding=((1, 0), 2), groups=2)
    grad_y = rng.standard_normal(convgrad.output_shape(x.shape, w.shape, **options))
    grad_y = grad_y.astype(dtype)
    grads = convgrad.conv_backward(grad_y, x, w, **options)
    grad_x = grad_x_as_conv_transpose(grad_y, x.shape, w, **options)
    grad_w = grad_w_as_conv(grad_y, x, w.shape, **options)
    assert grad_x.dtype == grad_w.dtype == dtype
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    assert relative_error(grad_x, grads.x) <= tolerance
    assert relative_error(grad_w, grads.w) <= tolerance


def test_backward_kernel_swaps_the_channels_of_each_group_and_rotates(rng):
    w = rng.standard_normal((4, 3, 2, 3))  # 2 groups of 2 filters, 3 channels per group
    back = convgrad.backward_kernel(w, groups=2)
    assert back.shape == (6, 2, 2, 3)
    for g, f, c, k, l in np.ndindex(2, 2, 3, 2, 3):
        assert back[3 * g + c, f, k, l] == w[2 * g + f, c, 1 - k, 2 - l]
    with pytest.raises(ValueError, match="divisible by groups = 3"):
        convgrad.backward_kernel(w, groups=3)
