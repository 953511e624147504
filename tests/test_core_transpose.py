"""conv_transpose and its backward: against PyTorch, against the loops, and as a view of conv.

Relative error is norm-wise: max |ours - torch| / max |torch| (see convgrad.relative_error).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convgrad
from convgrad import reference, relative_error

# derandomized: the same configurations on every run and every machine
EXAMPLES = settings(max_examples=300, deadline=None, derandomize=True, database=None)


@st.composite
def transpose_configs(draw, max_size=4):
    """A valid small transposed convolution: groups, dilation, output_padding, stride, padding."""
    ndim = draw(st.integers(1, 3))
    max_kernel = {1: 4, 2: 3, 3: 2}[ndim]
    groups = draw(st.integers(1, 3))
    in_per_group = 1 if draw(st.booleans()) else draw(st.integers(1, 3))
    out_per_group = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, max_kernel)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    in_size = tuple(draw(st.integers(1, max_size)) for _ in range(ndim))
    # output_padding < max(stride, dilation); padding up to past dilation*(K-1) (a crop),
    # as long as the output keeps at least one position
    output_padding = tuple(
        draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
    )
    padding = tuple(
        draw(st.integers(0, min(3, ((n - 1) * s + d * (k - 1) + r) // 2)))
        for n, s, d, k, r in zip(in_size, stride, dilation, kernel, output_padding, strict=True)
    )
    options = dict(
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
    )
    if draw(st.booleans()):  # scalar arguments where all dimensions agree
        options = {
            name: value[0] if isinstance(value, tuple) and len(set(value)) == 1 else value
            for name, value in options.items()
        }
    return dict(
        x_shape=(draw(st.integers(1, 2)), groups * in_per_group, *in_size),
        w_shape=(groups * in_per_group, out_per_group, *kernel),
        bias=draw(st.booleans()),
        seed=draw(st.integers(0, 2**32 - 1)),
        options=options,
    )


def _arrays(config, dtype=np.float64):
    rng = np.random.default_rng(config["seed"])
    x = rng.standard_normal(config["x_shape"]).astype(dtype)
    w = rng.standard_normal(config["w_shape"]).astype(dtype)
    out_channels = config["w_shape"][1] * config["options"]["groups"]
    b = rng.standard_normal(out_channels).astype(dtype) if config["bias"] else None
    return rng, x, w, b


def _compare_with_torch(config, dtype, tolerance, torch_conv_transpose):
    rng, x, w, b = _arrays(config, dtype)
    options = config["options"]
    y = convgrad.conv_transpose(x, w, b, **options)
    grad_y = rng.standard_normal(y.shape).astype(dtype)
    grads = convgrad.conv_transpose_backward(grad_y, x, w, **options)
    expected = torch_conv_transpose(x, w, b, grad_y, **options)
    for name, ours, theirs in zip(
        ("y", "grad_x", "grad_w", "grad_b"), (y, *grads), expected, strict=True
    ):
        assert ours.shape == theirs.shape, (name, ours.shape, theirs.shape)
        assert ours.dtype == dtype, (name, ours.dtype)
        error = relative_error(ours, theirs)
        assert error <= tolerance, f"{name}: relative error {error:.2e} > {tolerance:.0e}, {config}"


@EXAMPLES
@given(config=transpose_configs())
def test_matches_torch_float64(config, torch_conv_transpose):
    _compare_with_torch(config, np.float64, 1e-10, torch_conv_transpose)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(config=transpose_configs())
def test_matches_torch_float32(config, torch_conv_transpose):
    _compare_with_torch(config, np.float32, 2e-5, torch_conv_transpose)


@settings(max_examples=75, deadline=None, derandomize=True, database=None)
@given(config=transpose_configs(max_size=3))
def test_matches_loops(config):
    rng, x, w, b = _arrays(config)
    options = config["options"]
    y = convgrad.conv_transpose(x, w, b, **options)
    y_loops = reference.conv_transpose(x, w, b, **options)
    assert (
        y.shape
        == y_loops.shape
        == convgrad.conv_transpose_geometry(x.shape, w.shape, **options).y_shape
    )
    assert relative_error(y, y_loops) <= 1e-13
    grad_y = rng.standard_normal(y.shape)
    fast = convgrad.conv_transpose_backward(grad_y, x, w, **options)
    loops = reference.conv_transpose_backward(grad_y, x, w, **options)
    for ours, expected in zip(fast, loops, strict=True):
        assert ours.shape == expected.shape
        assert relative_error(ours, expected) <= 1e-13


@pytest.mark.parametrize(
    "x_shape, w_shape, options",
    [
        ((2, 3, 5), (3, 2, 3), dict(stride=2)),  # padding < d(K-1): the view pads
        ((1, 4, 4, 5), (4, 1, 3, 2), dict(stride=(2, 3), padding=(1, 0), groups=2)),
        ((1, 2, 6), (2, 3, 2), dict(stride=3, padding=2, output_padding=1)),  # 2 > 1: a crop
        ((1, 2, 3, 3, 2), (2, 2, 2, 3, 2), dict(stride=2, dilation=(1, 2, 3), padding=(0, 4, 1))),
    ],
)
def test_is_a_view_of_conv_with_input_dilation(x_shape, w_shape, options, rng):
    # kernel flipped, channel axes swapped within each group, input_dilation = stride,
    # padding d(K-1) - p before and that + output_padding after (negative: crop the output)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    geometry = convgrad.conv_transpose_geometry(x_shape, w_shape, **options)
    g = geometry.groups
    kernel_axes = tuple(range(2, 2 + geometry.ndim))
    view_w = np.flip(
        w.reshape(g, w.shape[0] // g, *w.shape[1:])
        .swapaxes(1, 2)
        .reshape(geometry.out_channels, w.shape[0] // g, *geometry.kernel),
        axis=kernel_axes,
    )
    pairs = geometry.view_padding
    y_view = reference.conv(
        x,
        view_w,
        padding=tuple((max(0, lo), max(0, hi)) for lo, hi in pairs),
        dilation=geometry.dilation,
        groups=g,
        input_dilation=geometry.stride,
    )
    kept = tuple(
        slice(max(0, -lo), size - max(0, -hi))
        for (lo, hi), size in zip(pairs, y_view.shape[2:], strict=True)
    )
    y = convgrad.conv_transpose(x, w, **options)
    assert y.shape == geometry.y_shape
    assert relative_error(y, y_view[(..., *kept)]) <= 1e-13


@pytest.mark.parametrize(
    "x_shape, w_shape, options",
    [
        ((2, 16, 16, 16), (16, 8, 4, 4), dict(stride=2, padding=1)),  # a decoder's upsampling
        ((1, 8, 15, 17), (8, 3, 3, 5), dict(stride=(2, 3), padding=(1, 2), output_padding=1)),
        ((1, 12, 20, 20), (12, 1, 3, 3), dict(padding=4, dilation=2, groups=12)),  # a crop
        ((2, 4, 6, 5, 7), (4, 3, 3, 2, 3), dict(stride=(1, 2, 3), output_padding=(0, 1, 2))),
        ((3, 6, 40), (6, 2, 5), dict(stride=2, dilation=3, output_padding=2, groups=2)),
    ],
)
def test_matches_torch_larger_shapes(x_shape, w_shape, options, torch_conv_transpose, rng):
    # sizes a reader would use, beyond what the hypothesis search explores
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[1] * options.get("groups", 1))
    y = convgrad.conv_transpose(x, w, b, **options)
    grad_y = rng.standard_normal(y.shape)
    grads = convgrad.conv_transpose_backward(grad_y, x, w, **options)
    expected = torch_conv_transpose(x, w, b, grad_y, **options)
    for ours, theirs in zip((y, *grads), expected, strict=True):
        assert relative_error(ours, theirs) <= 1e-10


@pytest.mark.parametrize(
    "options",
    [dict(stride=2, padding=1), dict(stride=3, output_padding=2), dict(groups=2, dilation=2)],
)
def test_input_gradient_is_an_ordinary_conv(options, rng):
    # with output_padding < stride, dL/dx of conv_transpose is conv with the same arguments
    x, w = rng.standard_normal((2, 4, 5, 4)), rng.standard_normal((4, 3, 3, 2))
    y = convgrad.conv_transpose(x, w, **options)
    grad_y = rng.standard_normal(y.shape)
    grads = convgrad.conv_transpose_backward(grad_y, x, w, **options)
    conv_options = {name: value for name, value in options.items() if name != "output_padding"}
    assert relative_error(grads.x, convgrad.conv(grad_y, w, **conv_options)) <= 1e-13


def test_maps_the_conv_output_shape_back(rng):
    # conv: (1, 3, 7, 8) -> (1, 5, 4, 4) at stride 2; conv_transpose with the same w goes
    # back, output_padding choosing between the sizes 7 and 8 that both give 4 outputs
    x, w = rng.standard_normal((1, 3, 7, 8)), rng.standard_normal((5, 3, 3, 3))
    y = convgrad.conv(x, w, stride=2, padding=1)
    assert y.shape == (1, 5, 4, 4)
    back = convgrad.conv_transpose(y, w, stride=2, padding=1, output_padding=(0, 1))
    assert back.shape == x.shape


def test_dtype_kept_and_inputs_unchanged(rng):
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((2, 4, 3, 5)).astype(dtype)
        w = rng.standard_normal((4, 3, 2, 3)).astype(dtype)
        b = rng.standard_normal(6).astype(dtype)
        options = dict(stride=2, padding=(2, 1), output_padding=1, groups=2)
        y = convgrad.conv_transpose(x, w, b, **options)
        grad_y = rng.standard_normal(y.shape).astype(dtype)
        copies = [a.copy() for a in (x, w, b, grad_y)]
        grads = convgrad.conv_transpose_backward(grad_y, x, w, **options)
        assert y.dtype == dtype and all(g.dtype == dtype for g in grads)
        for before, after in zip(copies, (x, w, b, grad_y), strict=True):
            np.testing.assert_array_equal(before, after)
        for result in (y, *grads):
            assert result.flags.c_contiguous
            assert not any(np.shares_memory(result, a) for a in (x, w, b, grad_y))
