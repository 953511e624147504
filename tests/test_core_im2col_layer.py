"""The one-screen im2col layer (Chapter 12) against the loops and the fast path."""

import ast
import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convgrad
from convgrad import im2col_conv, im2col_conv_backward, im2col_layer, reference, relative_error


@st.composite
def layer_configs(draw):
    """A small convolution: 1-3 spatial dims, stride, padding of every kind, dilation, groups."""
    ndim = draw(st.integers(1, 3))
    max_kernel, max_extra = {1: (4, 5), 2: (3, 3), 3: (2, 2)}[ndim]
    groups = draw(st.integers(1, 3))
    channels_per_group, filters_per_group = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, max_kernel)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    kind = draw(st.sampled_from(["int", "per-dim", "pairs", "same", "valid"]))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    if kind == "same":
        stride, padding, pad_total = (1,) * ndim, "same", (0,) * ndim
    elif kind == "valid":
        padding, pad_total = "valid", (0,) * ndim
    elif kind == "pairs":
        padding = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(ndim))
        pad_total = tuple(before + after for before, after in padding)
    else:
        padding = tuple(draw(st.integers(0, 2)) for _ in range(ndim))
        if kind == "int":
            padding = (padding[0],) * ndim
        pad_total = tuple(2 * p for p in padding)
    if kind == "int" and len(set(stride)) == 1:
        stride, padding = stride[0], padding[0]
    # big enough that the (dilated) window fits in the padded input
    in_size = tuple(
        max(1, d * (k - 1) + 1 - p) + draw(st.integers(0, max_extra))
        for k, d, p in zip(kernel, dilation, pad_total, strict=True)
    )
    return dict(
        x_shape=(draw(st.integers(1, 2)), groups * channels_per_group, *in_size),
        w_shape=(groups * filters_per_group, channels_per_group, *kernel),
        bias=draw(st.booleans()),
        seed=draw(st.integers(0, 2**32 - 1)),
        options=dict(stride=stride, padding=padding, dilation=dilation, groups=groups),
    )


def _arrays(config, dtype=np.float64):
    rng = np.random.default_rng(config["seed"])
    x = rng.standard_normal(config["x_shape"]).astype(dtype)
    w = rng.standard_normal(config["w_shape"]).astype(dtype)
    b = rng.standard_normal(config["w_shape"][0]).astype(dtype) if config["bias"] else None
    y_shape = convgrad.output_shape(x.shape, w.shape, **config["options"])
    return x, w, b, rng.standard_normal(y_shape).astype(dtype)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(config=layer_configs())
def test_matches_the_loops_and_the_fast_path(config):
    x, w, b, grad_y = _arrays(config)
    options = config["options"]
    y = im2col_conv(x, w, b, **options)
    grads = im2col_conv_backward(grad_y, x, w, **options)
    for source, y_other, grads_other in [
        (
            "loops",
            reference.conv(x, w, b, **options),
            reference.conv_backward(grad_y, x, w, **options),
        ),
        (
            "fast path",
            convgrad.conv(x, w, b, **options),
            convgrad.conv_backward(grad_y, x, w, **options),
        ),
    ]:
        for name, ours, theirs in [("y", y, y_other), *zip("xwb", grads, grads_other, strict=True)]:
            assert ours.shape == theirs.shape, (source, name, ours.shape, theirs.shape)
            error = relative_error(ours, theirs)
            assert error <= 1e-12, f"{name} vs {source}: relative error {error:.1e}, {config}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_and_inputs_untouched(dtype):
    config = dict(
        x_shape=(2, 4, 7, 6),
        w_shape=(6, 2, 3, 2),
        bias=True,
        seed=8,
        options=dict(stride=2, padding=((1, 0), (2, 1)), dilation=(1, 2), groups=2),
    )
    x, w, b, grad_y = _arrays(config, dtype)
    copies = [a.copy() for a in (x, w, b, grad_y)]
    y = im2col_conv(x, w, b, **config["options"])
    grads = im2col_conv_backward(grad_y, x, w, **config["options"])
    assert {y.dtype, *(g.dtype for g in grads)} == {np.dtype(dtype)}
    for before, after in zip(copies, (x, w, b, grad_y), strict=True):
        np.testing.assert_array_equal(before, after)
    if dtype == np.float32:
        y64 = convgrad.conv(*(a.astype(np.float64) for a in (x, w, b)), **config["options"])
        assert relative_error(y, y64) <= 1e-5


def test_bad_input_is_refused_as_by_conv():
    x, w = np.zeros((1, 4, 5, 5)), np.zeros((2, 3, 3, 3))
    with pytest.raises(ValueError, match="w.shape\\[1\\] must be C // groups"):
        im2col_conv(x, w)
    with pytest.raises(ValueError, match="grad_y must have the output's shape"):
        im2col_conv_backward(np.zeros((1, 2, 4, 4)), x, np.zeros((2, 4, 3, 3)))


def test_the_layer_fits_on_one_screen():
    # the point of this tier is that a reader can quote it: code without docstrings stays short
    tree = ast.parse(inspect.getsource(im2col_layer))
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    code_lines = sum(
        node.end_lineno - node.lineno + 1 - _docstring_lines(node) for node in functions
    )
    assert len(functions) >= 2 and code_lines <= 35, f"{code_lines} lines of code in the layer"


def _docstring_lines(function):
    first = function.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return first.end_lineno - first.lineno + 1
    return 0
