"""The fast path against the loop reference, and the readers' worked examples (Q1, Q4, Q5)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convgrad
from convgrad import fast_path, reference, relative_error

CASES = [
    # (x_shape, w_shape, options): 1-D, 2-D, 3-D; groups; stride; padding; "same"; dilation
    ((2, 3, 11), (4, 3, 3), dict()),
    ((1, 2, 13), (4, 1, 4), dict(stride=3, padding=2, groups=2)),
    ((2, 2, 7, 6), (3, 2, 3, 2), dict(padding=1)),
    ((1, 4, 8, 9), (4, 1, 3, 3), dict(stride=2, groups=4)),
    ((1, 2, 9, 9), (2, 2, 2, 3), dict(padding="same", dilation=2)),
    ((2, 2, 10, 7), (2, 2, 3, 2), dict(stride=(3, 2), padding=(0, 1), dilation=(2, 1))),
    ((1, 6, 7, 7), (4, 3, 2, 2), dict(padding="valid", groups=2)),
    ((1, 2, 5, 6, 5), (2, 2, 2, 3, 2), dict(padding=(1, 0, 1))),
    ((1, 2, 6, 5, 7), (4, 1, 2, 2, 3), dict(stride=(2, 1, 3), dilation=(1, 2, 1), groups=2)),
    # stride 1 with no more filters than channels: grad_x by the full correlation (gather),
    # including padding wider than the kernel (grad_y is cropped, not padded)
    ((2, 3, 5, 6), (2, 3, 1, 2), dict(padding=(1, 3))),
    ((1, 4, 4, 5, 4), (4, 2, 2, 3, 2), dict(padding="same", dilation=(2, 1, 1), groups=2)),
    ((2, 3, 9), (3, 1, 3), dict(padding=((4, 0),), dilation=2, groups=3)),
]


@pytest.mark.parametrize("x_shape, w_shape, options", CASES)
@pytest.mark.parametrize("bias", [False, True])
def test_fast_path_matches_reference(x_shape, w_shape, options, bias, rng):
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0]) if bias else None
    y = convgrad.conv(x, w, b, **options)
    y_loops = reference.conv(x, w, b, **options)
    assert y.shape == y_loops.shape == convgrad.output_shape(x_shape, w_shape, **options)
    assert relative_error(y, y_loops) <= 1e-12
    grad_y = rng.standard_normal(y.shape)
    fast = convgrad.conv_backward(grad_y, x, w, **options)
    loops = reference.conv_backward(grad_y, x, w, **options)
    for name in ("x", "w", "b"):
        assert relative_error(getattr(fast, name), getattr(loops, name)) <= 1e-12, name


@pytest.mark.parametrize("x_shape, w_shape, options", CASES)
def test_gather_equals_scatter(x_shape, w_shape, options, rng):
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    grad_y = rng.standard_normal(convgrad.output_shape(x_shape, w_shape, **options))
    gathered = reference.grad_x_gather(grad_y, x, w, **options)
    scattered = reference.grad_x_scatter(grad_y, x, w, **options)
    assert relative_error(gathered, scattered) <= 1e-13


def test_backward_returns_named_gradients(rng):
    x, w = rng.standard_normal((1, 1, 4, 4)), rng.standard_normal((2, 1, 2, 2))
    grad_y = rng.standard_normal((1, 2, 3, 3))
    grad_x, grad_w, grad_b = convgrad.conv_backward(grad_y, x, w)
    grads = convgrad.conv_backward(grad_y, x, w)
    assert isinstance(grads, convgrad.Gradients)
    assert grads._fields == ("x", "w", "b")
    np.testing.assert_array_equal(grads.x, grad_x)
    np.testing.assert_array_equal(grads.w, grad_w)
    np.testing.assert_array_equal(grad_b, grad_y.sum(axis=(0, 2, 3)))


# --- Q1: 3x3 input V1..V9, 2x2 filter W1..W4, stride 1, outputs G1..G4 ------------------


def test_q1_three_by_three_input_two_by_two_filter(rng):
    V = rng.standard_normal(10)  # V[1]..V[9], one-based as in the question; V[0] unused
    W = rng.standard_normal(5)  # W[1]..W[4]
    x = V[1:].reshape(1, 1, 3, 3)  # row-major: x[0, 0, r, c] = V[3r + c + 1]
    w = W[1:].reshape(1, 1, 2, 2)
    y = convgrad.conv(x, w)
    assert y.shape == (1, 1, 2, 2)
    G = {
        1: V[1] * W[1] + V[2] * W[2] + V[4] * W[3] + V[5] * W[4],
        2: V[2] * W[1] + V[3] * W[2] + V[5] * W[3] + V[6] * W[4],
        3: V[4] * W[1] + V[5] * W[2] + V[7] * W[3] + V[8] * W[4],
        4: V[5] * W[1] + V[6] * W[2] + V[8] * W[3] + V[9] * W[4],
    }
    # G1..G4 are y[0, 0, 0, 0], y[0, 0, 0, 1], y[0, 0, 1, 0], y[0, 0, 1, 1] zero-based
    np.testing.assert_allclose(y.ravel(), [G[1], G[2], G[3], G[4]], rtol=1e-14)

    dG = rng.standard_normal(5)  # dError/dG_k, k = 1..4
    grad_y = dG[1:].reshape(1, 1, 2, 2)
    grads = convgrad.conv_backward(grad_y, x, w)
    # the shared weight W1 meets V1, V2, V4, V5 (the top-left entry of each window): a sum
    dW1 = dG[1] * V[1] + dG[2] * V[2] + dG[3] * V[4] + dG[4] * V[5]
    dW2 = dG[1] * V[2] + dG[2] * V[3] + dG[3] * V[5] + dG[4] * V[6]
    dW3 = dG[1] * V[4] + dG[2] * V[5] + dG[3] * V[7] + dG[4] * V[8]
    dW4 = dG[1] * V[5] + dG[2] * V[6] + dG[3] * V[8] + dG[4] * V[9]
    np.testing.assert_allclose(grads.w.ravel(), [dW1, dW2, dW3, dW4], rtol=1e-14)
    # V5 sits in all four windows, under W4, W3, W2, W1 in turn
    dV5 = dG[1] * W[4] + dG[2] * W[3] + dG[3] * W[2] + dG[4] * W[1]
    np.testing.assert_allclose(grads.x[0, 0, 1, 1], dV5, rtol=1e-14)
    np.testing.assert_allclose(grads.b, [dG[1:].sum()], rtol=1e-14)


# --- Q4: 3x20x20 input, five 3x3x3 kernels -> 5x18x18 -> back to 3x20x20 -------------------


def test_q4_five_by_eighteen_back_to_three_by_twenty(rng):
    x = rng.standard_normal((1, 3, 20, 20))
    w = rng.standard_normal((5, 3, 3, 3))
    y = convgrad.conv(x, w)
    assert y.shape == (1, 5, 18, 18)
    grad_y = rng.standard_normal(y.shape)
    grads = convgrad.conv_backward(grad_y, x, w)
    assert grads.x.shape == (1, 3, 20, 20)
    assert grads.w.shape == (5, 3, 3, 3)
    # three backward kernels of depth five: swap in/out channels, rotate by 180 degrees
    backward_kernels = w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]
    assert backward_kernels.shape == (3, 5, 3, 3)
    # a full convolution (2 zeros on every side) turns 18x18 into 20x20
    full = reference.conv(grad_y, backward_kernels, padding=2)
    assert full.shape == (1, 3, 20, 20)
    assert relative_error(grads.x, full) <= 1e-13
    assert relative_error(grads.x, reference.grad_x_scatter(grad_y, x, w)) <= 1e-13


# --- Q5: a stride that does not divide the input ---------------------------------------


@pytest.mark.parametrize(
    "size, kernel, stride, padding, unread",
    [
        (10, 3, 3, 0, 1),  # windows at 0, 3, 6 read rows 0..8: row 9 never
        (11, 3, 3, 0, 2),  # rows 9 and 10 never
        (12, 3, 4, 1, 2),  # stride > kernel: gaps between windows too, and x rows 10, 11
        (8, 3, 2, 1, 0),  # the only unread padded row is a padding zero
        (9, 3, 3, 0, 0),  # the stride divides: every row is read
    ],
)
def test_q5_stride_not_dividing_input_leaves_rows_unread(
    size, kernel, stride, padding, unread, rng, torch_conv
):
    x = rng.standard_normal((1, 2, size, size))
    w = rng.standard_normal((3, 2, kernel, kernel))
    options = dict(stride=stride, padding=padding)
    geometry = convgrad.conv_geometry(x.shape, w.shape, **options)
    assert geometry.unread == (unread, unread)
    (out,) = set(geometry.out_size)
    read_rows = {i * stride + k - padding for i in range(out) for k in range(kernel)}
    never_read = sorted(set(range(size)) - read_rows)
    assert geometry.never_read() == (tuple(never_read), tuple(never_read))
    assert never_read[len(never_read) - unread :] == list(range(size - unread, size))
    assert size - unread - 1 in read_rows  # the trailing never-read run is exactly `unread` long
    grad_y = rng.standard_normal(geometry.y_shape)
    grads = convgrad.conv_backward(grad_y, x, w, **options)
    gathered = reference.grad_x_gather(grad_y, x, w, **options)
    for grad_x in (grads.x, gathered):
        # the never-read rows and columns get exactly zero gradient, not merely a small one
        assert np.all(grad_x[:, :, never_read, :] == 0)
        assert np.all(grad_x[:, :, :, never_read] == 0)
        # every row and column that is read gets a gradient (generic data: nothing cancels)
        read = sorted(read_rows & set(range(size)))
        assert np.all(grad_x[:, :, read][:, :, :, read] != 0)
    assert relative_error(grads.x, gathered) <= 1e-13
    _, grad_x_torch, _, _ = torch_conv(x, w, None, grad_y, **options)
    assert relative_error(grads.x, grad_x_torch) <= 1e-12


def test_q5_gather_bounds_near_the_border():
    # the exact zero-based range of windows reading p is ceil((p - d(K-1))/s) .. floor(p/s),
    # clipped to the output; rounding the lower bound down instead would add a window
    # that does not reach p, and leaving it unclipped would index outside grad_y
    x_shape = (1, 1, 7)
    grad_y = np.arange(1.0, 4.0).reshape(1, 1, 3)  # stride 2: out = (7 - 3)//2 + 1 = 3
    w = np.array([[[1.0, 10.0, 100.0]]])
    grad_x = reference.grad_x_gather(grad_y, np.zeros(x_shape), w, stride=2)
    # p = 0: window 0 tap 0; p = 2: window 0 tap 2 + window 1 tap 0; p = 6: window 2 tap 2
    expected = [1 * 1, 1 * 10, 1 * 100 + 2 * 1, 2 * 10, 2 * 100 + 3 * 1, 3 * 10, 3 * 100]
    np.testing.assert_array_equal(grad_x.ravel(), expected)
    fast = convgrad.conv_backward(grad_y, np.zeros(x_shape), w, stride=2).x
    np.testing.assert_array_equal(fast.ravel(), expected)


# budgets (bytes of partial im2col) that cut the first case, unfolded partially, into one
# output row per block, two rows (the last block shorter), two samples per block (the last
# one alone), and the whole batch in one block; the full im2col is cut by samples only
@pytest.mark.parametrize("stacked", ["always", "never"])
@pytest.mark.parametrize("thin_rows", [0, 10**9], ids=["partial-im2col", "full-im2col"])
@pytest.mark.parametrize("budget", [1, 2500, 7000, 10**9])
@pytest.mark.parametrize(
    "x_shape, w_shape, options",
    [
        ((5, 4, 6, 7), (6, 2, 3, 2), dict(stride=(2, 1), padding=1, groups=2)),
        ((3, 2, 9), (3, 2, 2), dict(stride=2, dilation=3, padding=((0, 2),))),
        ((3, 2, 5, 4, 3), (2, 2, 2, 2, 2), dict(stride=(3, 1, 1), dilation=(2, 1, 1))),
    ],
)
def test_blocks_do_not_change_the_result(
    stacked, thin_rows, budget, x_shape, w_shape, options, monkeypatch, rng
):
    # the fast path builds its partial im2col block by block (samples, then rows of the
    # first output dimension): every way of cutting the work gives the same sums
    monkeypatch.setattr(fast_path, "COLUMNS_BUDGET", budget)
    monkeypatch.setattr(fast_path, "THIN_ROWS", thin_rows)  # partial or full im2col
    monkeypatch.setattr(fast_path, "STACK_KERNEL_ROWS", stacked)  # tall products or thin
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    y = convgrad.conv(x, w, b, **options)
    assert relative_error(y, reference.conv(x, w, b, **options)) <= 1e-13
    grad_y = rng.standard_normal(y.shape)
    fast = convgrad.conv_backward(grad_y, x, w, **options)
    loops = reference.conv_backward(grad_y, x, w, **options)
    for ours, expected in zip(fast, loops, strict=True):
        assert relative_error(ours, expected) <= 1e-13


def test_reference_grad_b_needs_only_grad_y(rng):
    grad_y = rng.standard_normal((2, 3, 4, 5))
    expected = grad_y.sum(axis=(0, 2, 3))
    np.testing.assert_allclose(reference.grad_b(grad_y), expected, rtol=1e-14)
    x, w = rng.standard_normal((2, 2, 6, 7)), rng.standard_normal((3, 2, 3, 3))
    np.testing.assert_allclose(reference.grad_b(grad_y, x, w), expected, rtol=1e-14)
    with pytest.raises(ValueError, match="grad_y has shape"):
        reference.grad_b(grad_y, x, w, stride=2)


@st.composite
def tiny_configs(draw):
    """Tiny random convolutions, small enough for the loop reference."""
    ndim = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    channels_per_group, filters_per_group = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    padding = tuple(
        (draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(ndim)
    )  # (before, after) pairs: asymmetric too, which PyTorch's conv cannot take
    in_size = tuple(
        max(1, d * (k - 1) + 1 - sum(p)) + draw(st.integers(0, 3))
        for k, d, p in zip(kernel, dilation, padding, strict=True)
    )
    x_shape = (draw(st.integers(1, 2)), groups * channels_per_group, *in_size)
    w_shape = (groups * filters_per_group, channels_per_group, *kernel)
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x_shape, w_shape, options, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(config=tiny_configs())
def test_fast_path_matches_reference_on_random_configs(config):
    x_shape, w_shape, options, seed = config
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    y = convgrad.conv(x, w, **options)
    assert relative_error(y, reference.conv(x, w, **options)) <= 1e-13
    grad_y = rng.standard_normal(y.shape)
    fast = convgrad.conv_backward(grad_y, x, w, **options)
    gathered = reference.grad_x_gather(grad_y, x, w, **options)
    scattered = reference.grad_x_scatter(grad_y, x, w, **options)
    assert relative_error(gathered, scattered) <= 1e-13
    assert relative_error(fast.x, gathered) <= 1e-13
    assert relative_error(fast.w, reference.grad_w(grad_y, x, w, **options)) <= 1e-13
    assert relative_error(fast.b, reference.grad_b(grad_y)) <= 1e-13


def test_threads_do_not_share_scratch_memory(rng):
    # the fast path keeps its scratch memory from call to call, one set per thread: two
    # threads convolving different inputs at once must each get their own result
    from concurrent.futures import ThreadPoolExecutor

    options = dict(stride=2, padding=1)
    inputs = [
        (rng.standard_normal((4, 8, 24, 24)), rng.standard_normal((6, 8, 3, 3))) for _ in range(4)
    ]
    expected = [
        (
            convgrad.conv(x, w, **options),
            convgrad.conv_backward(np.ones((4, 6, 12, 12)), x, w, **options),
        )
        for x, w in inputs
    ]

    def run(index):
        x, w = inputs[index % 4]
        return index % 4, (
            convgrad.conv(x, w, **options),
            convgrad.conv_backward(np.ones((4, 6, 12, 12)), x, w, **options),
        )

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, range(40)))
    for index, (y, grads) in results:
        y_expected, grads_expected = expected[index]
        assert np.array_equal(y, y_expected)
        for ours, theirs in zip(grads, grads_expected, strict=True):
            assert np.array_equal(ours, theirs)
