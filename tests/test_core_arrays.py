"""Array handling: dtypes kept, inputs never modified, any memory layout accepted."""

import numpy as np
import pytest

import convgrad
from convgrad import col2im, im2col, reference, relative_error

# (filters, options): x has 4 channels; with filters <= channels at stride 1 the input
# gradient is computed as a gather (full correlation), otherwise as a scatter (col2im)
OPTIONS = [
    (6, dict()),
    (4, dict(padding=1)),
    (6, dict(stride=2, padding=1)),
    (6, dict(padding="same", dilation=2, groups=2)),
    (2, dict(padding=(2, 1), groups=2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("filters, options", OPTIONS)
def test_dtype_is_kept(dtype, filters, options, rng):
    x = rng.standard_normal((2, 4, 7, 8)).astype(dtype)
    w = rng.standard_normal((filters, 4 // options.get("groups", 1), 3, 3)).astype(dtype)
    b = rng.standard_normal(filters).astype(dtype)
    y = convgrad.conv(x, w, b, **options)
    grads = convgrad.conv_backward(np.ones_like(y), x, w, **options)
    assert y.dtype == dtype
    assert grads.x.dtype == grads.w.dtype == grads.b.dtype == dtype
    assert reference.conv(x, w, b, **options).dtype == dtype
    assert im2col(x, 3).dtype == dtype
    assert col2im(im2col(x, 3), x.shape, 3).dtype == dtype
    if dtype == np.float32:
        # float32 results agree with float64 ones to float32 round-off
        y64 = convgrad.conv(
            x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), **options
        )
        assert relative_error(y, y64) <= 1e-5


@pytest.mark.parametrize("filters, options", OPTIONS)
def test_inputs_are_never_modified(filters, options, rng):
    x = rng.standard_normal((2, 4, 7, 8))
    w = rng.standard_normal((filters, 4 // options.get("groups", 1), 3, 3))
    b = rng.standard_normal(filters)
    grad_y = rng.standard_normal(convgrad.output_shape(x.shape, w.shape, **options))
    copies = [a.copy() for a in (x, w, b, grad_y)]
    y = convgrad.conv(x, w, b, **options)
    grads = convgrad.conv_backward(grad_y, x, w, **options)
    reference.conv_backward(grad_y, x, w, **options)
    for before, after in zip(copies, (x, w, b, grad_y), strict=True):
        np.testing.assert_array_equal(before, after)
    # results own their memory: writing to them cannot reach the inputs
    for result in (y, *grads):
        assert not any(np.shares_memory(result, a) for a in (x, w, b, grad_y))


def _views(a):
    """The same values in unusual layouts: transposed copy seen through .T, slices, reversals."""
    return {
        "fortran": np.asfortranarray(a),
        "strided": np.repeat(a, 2, axis=-1)[..., ::2],
        "reversed": a[..., ::-1].copy()[..., ::-1],
        "batch_reversed": a[::-1].copy()[::-1],
    }


@pytest.mark.parametrize("layout", ["fortran", "strided", "reversed", "batch_reversed"])
@pytest.mark.parametrize("filters, options", OPTIONS)
def test_non_contiguous_and_negatively_strided_views(layout, filters, options, rng):
    x = rng.standard_normal((2, 4, 7, 8))
    w = rng.standard_normal((filters, 4 // options.get("groups", 1), 3, 3))
    b = rng.standard_normal(filters)
    y = convgrad.conv(x, w, b, **options)
    grad_y = rng.standard_normal(y.shape)
    grads = convgrad.conv_backward(grad_y, x, w, **options)
    x_v, w_v, b_v, grad_y_v = (_views(a)[layout] for a in (x, w, b[None], grad_y))
    b_v = b_v[0]
    assert not (x_v.flags.c_contiguous and w_v.flags.c_contiguous)
    if layout == "reversed":
        assert x_v.strides[-1] < 0 and w_v.strides[-1] < 0 and grad_y_v.strides[-1] < 0
    np.testing.assert_array_equal(x_v, x)
    assert relative_error(convgrad.conv(x_v, w_v, b_v, **options), y) <= 1e-14
    grads_v = convgrad.conv_backward(grad_y_v, x_v, w_v, **options)
    for ours, expected in zip(grads_v, grads, strict=True):
        assert relative_error(ours, expected) <= 1e-14


def test_array_likes_of_floats_are_accepted():
    # nested lists of floats become float64 arrays; ints are refused (see test_core_errors)
    y = convgrad.conv([[[1.0, 2.0, 3.0]]], [[[1.0, -1.0]]])
    np.testing.assert_array_equal(y, [[[-1.0, -1.0]]])


def test_one_by_one_kernel_leaves_x_alone(rng):
    # a 1x1 kernel's columns are a view of x itself: the backward must not write into them
    x, w = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((7, 3, 1, 1))
    x_before = x.copy()
    grad_y = rng.standard_normal((2, 7, 5, 4))
    grads = convgrad.conv_backward(grad_y, x, w)
    np.testing.assert_array_equal(x, x_before)
    expected = np.einsum("nfhw,fc->nchw", grad_y, w[:, :, 0, 0])
    assert relative_error(grads.x, expected) <= 1e-14
