"""input_dilation: zeros between neighbouring input samples, before the padding (lhs_dilation).

The fast path and the loops against each other and against a convolution of x with the
zeros written out by hand.
"""

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convgrad
from convgrad import fast_path, reference, relative_error


def zeros_inserted(x, input_dilation):
    """x with input_dilation - 1 zeros between neighbouring samples of every spatial axis."""
    spacing = tuple(input_dilation)
    sizes = tuple(e * (n - 1) + 1 for e, n in zip(spacing, x.shape[2:], strict=True))
    x_dilated = np.zeros((*x.shape[:2], *sizes), dtype=x.dtype)
    x_dilated[(..., *(slice(None, None, e) for e in spacing))] = x
    return x_dilated


@st.composite
def dilated_configs(draw):
    """Tiny convolutions with an input dilation, small enough for the loops."""
    ndim = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    channels_per_group, filters_per_group = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    input_dilation = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    padding = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(ndim))
    # smallest n whose zero-inserted, padded size holds one window, plus a little
    in_size = tuple(
        max(1, -(-(d * (k - 1) - sum(p)) // e) + 1) + draw(st.integers(0, 2))
        for k, d, p, e in zip(kernel, dilation, padding, input_dilation, strict=True)
    )
    x_shape = (draw(st.integers(1, 2)), groups * channels_per_group, *in_size)
    w_shape = (groups * filters_per_group, channels_per_group, *kernel)
    options = dict(
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        input_dilation=input_dilation,
    )
    return x_shape, w_shape, options, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(config=dilated_configs())
def test_input_dilation_matches_loops_and_written_out_zeros(config):
    x_shape, w_shape, options, seed = config
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), None
    if seed % 2:
        b = rng.standard_normal(w_shape[0])
    y = convgrad.conv(x, w, b, **options)
    assert y.shape == convgrad.output_shape(x_shape, w_shape, **options)
    assert relative_error(y, reference.conv(x, w, b, **options)) <= 1e-13
    # the same convolution of x with its zeros written out, and no input dilation
    plain = {**options, "input_dilation": 1}
    x_dilated = zeros_inserted(x, options["input_dilation"])
    assert relative_error(y, reference.conv(x_dilated, w, b, **plain)) <= 1e-13
    grad_y = rng.standard_normal(y.shape)
    fast = convgrad.conv_backward(grad_y, x, w, **options)
    loops = reference.conv_backward(grad_y, x, w, **options)
    scattered = reference.grad_x_scatter(grad_y, x, w, **options)
    assert relative_error(scattered, loops.x) <= 1e-13
    for ours, expected in zip(fast, loops, strict=True):
        assert ours.shape == expected.shape
        assert relative_error(ours, expected) <= 1e-13
    # dL/dx keeps the written-out zeros' gradient at x's own samples only
    dilated = reference.conv_backward(grad_y, x_dilated, w, **plain)
    samples = (..., *(slice(None, None, e) for e in options["input_dilation"]))
    assert relative_error(fast.x, dilated.x[samples]) <= 1e-13
    assert relative_error(fast.w, dilated.w) <= 1e-13


@pytest.mark.parametrize(
    "size, kernel, stride, padding, dilation, input_dilation, out_size",
    [
        (4, 3, 1, 0, 1, 2, 5),  # 2*(4-1)+1 = 7 positions, 7 - 3 + 1 = 5
        (4, 3, 2, 2, 1, 2, 5),  # the transposed convolution of stride 2 (Chapter 11)
        (5, 2, 3, (1, 0), 2, 3, 4),  # 13 + 1 + 0 - 2 - 1 = 11, 11 // 3 + 1 = 4
        (1, 1, 1, 0, 1, 5, 1),  # one sample: nothing to insert between
    ],
)
def test_output_size_with_input_dilation(
    size, kernel, stride, padding, dilation, input_dilation, out_size
):
    before, after = padding if isinstance(padding, tuple) else (padding, padding)
    dilated = input_dilation * (size - 1) + 1
    assert (dilated + before + after - dilation * (kernel - 1) - 1) // stride + 1 == out_size
    padding = (padding,) if isinstance(padding, tuple) else padding
    options = dict(stride=stride, padding=padding, dilation=dilation, input_dilation=input_dilation)
    assert convgrad.output_shape((2, 3, size), (4, 3, kernel), **options) == (2, 4, out_size)
    geometry = convgrad.conv_geometry((2, 3, size), (4, 3, kernel), **options)
    assert geometry.dilated_size == (dilated,)
    assert geometry.padded_size == (dilated + before + after,)


def test_same_padding_keeps_the_zero_inserted_size(rng):
    x, w = rng.standard_normal((1, 2, 5, 4)), rng.standard_normal((3, 2, 3, 2))
    y = convgrad.conv(x, w, padding="same", input_dilation=(2, 3))
    assert y.shape == (1, 3, 9, 10)
    assert relative_error(y, reference.conv(x, w, padding="same", input_dilation=(2, 3))) < 1e-13


def test_never_read_samples_with_input_dilation(rng):
    # x's samples sit at 0, 3, 6, 9 once zeros are inserted; windows of stride 2, kernel 1
    # read the even positions: samples 0 and 2 (positions 0 and 6) are read, 1 and 3 not
    geometry = convgrad.conv_geometry((1, 1, 4), (1, 1, 1), stride=2, input_dilation=3)
    assert geometry.out_size == (5,)
    assert geometry.never_read() == ((1, 3),)
    assert geometry.unread == (1,)
    grad_y = rng.standard_normal(geometry.y_shape)
    grad_x = convgrad.conv_backward(
        grad_y, np.ones((1, 1, 4)), np.ones((1, 1, 1)), stride=2, input_dilation=3
    ).x
    assert np.all(grad_x[..., [1, 3]] == 0) and np.all(grad_x[..., [0, 2]] != 0)


def test_input_dilation_one_is_the_plain_convolution(rng):
    x, w = rng.standard_normal((2, 4, 6, 7)), rng.standard_normal((6, 2, 3, 2))
    options = dict(stride=(2, 1), padding=1, groups=2)
    y = convgrad.conv(x, w, **options)
    np.testing.assert_array_equal(y, convgrad.conv(x, w, input_dilation=1, **options))
    np.testing.assert_array_equal(y, convgrad.conv(x, w, input_dilation=(1, 1), **options))


# the fast path computes dL/dx by a gather (one stride-1 correlation per phase of the
# stride) or a scatter (col2im), chosen by channel counts: each forced in turn
@pytest.mark.parametrize("way", ["gather", "scatter"])
@settings(max_examples=75, deadline=None, derandomize=True, database=None)
@given(config=dilated_configs())
def test_both_input_gradients_match_loops(way, config):
    x_shape, w_shape, options, seed = config
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    grad_y = rng.standard_normal(convgrad.output_shape(x_shape, w_shape, **options))
    with mock.patch.object(fast_path, "INPUT_GRADIENT", way):
        fast = convgrad.conv_backward(grad_y, x, w, **options)
    loops = reference.conv_backward(grad_y, x, w, **options)
    for ours, expected in zip(fast, loops, strict=True):
        assert relative_error(ours, expected) <= 1e-13
