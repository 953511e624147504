"""Central differences and gradcheck against the analytic gradients; im2col/col2im as adjoints."""

import numpy as np
import pytest

import convgrad
from convgrad import (
    col2im,
    default_eps,
    gradcheck,
    im2col,
    numerical_gradient,
    relative_error,
)
from convgrad.comparison import compare


@pytest.mark.parametrize(
    "x_shape, w_shape, options",
    [
        ((1, 2, 7), (3, 2, 3), dict(stride=2, padding=1)),
        ((2, 2, 5, 6), (4, 1, 3, 2), dict(padding="same", dilation=(1, 2), groups=2)),
        ((1, 2, 4, 5, 4), (2, 2, 2, 2, 3), dict(stride=(1, 2, 1), padding=(1, 0, 1))),
    ],
)
def test_gradcheck_passes_conv_backward(x_shape, w_shape, options, rng):
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    grad_y = rng.standard_normal(convgrad.output_shape(x_shape, w_shape, **options))

    def loss(x, w, b):
        # L = <grad_y, y>, so dL/dy = grad_y exactly
        return np.sum(grad_y * convgrad.conv(x, w, b, **options))

    grads = convgrad.conv_backward(grad_y, x, w, **options)
    verdict = gradcheck(loss, dict(x=x, w=w, b=b), grads._asdict(), name="L")
    assert verdict.ok and bool(verdict)
    assert [row.quantity for row in verdict.rows] == ["∂L/∂x", "∂L/∂w", "∂L/∂b"]
    # L is linear in each argument: central differences are exact up to round-off
    assert all(row.max_abs_diff <= 1e-8 for row in verdict.rows), verdict


def test_gradcheck_through_a_nonlinear_loss(rng):
    # L = sum(tanh(conv(x, w))**2): dL/dy = 2 tanh(y) (1 - tanh(y)^2), then conv_backward
    x, w = rng.standard_normal((1, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))

    def loss(x):
        return np.sum(np.tanh(convgrad.conv(x, w, stride=2, padding=1)) ** 2)

    y = convgrad.conv(x, w, stride=2, padding=1)
    t = np.tanh(y)
    grads = convgrad.conv_backward(2 * t * (1 - t**2), x, w, stride=2, padding=1)
    verdict = gradcheck(loss, x, grads.x)
    assert verdict.ok and verdict.rows[0].max_abs_diff <= 1e-8, verdict
    assert "gradcheck of f at x (1, 2, 6, 6)" in str(verdict)


def test_gradcheck_fails_a_wrong_gradient_and_says_by_how_much(rng):
    # a check that cannot fail is worthless: a flipped kernel must be caught
    x, w = rng.standard_normal((1, 1, 5, 5)), rng.standard_normal((1, 1, 3, 3))
    grad_y = rng.standard_normal((1, 1, 3, 3))
    wrong = convgrad.conv_backward(grad_y, x, w[:, :, ::-1, ::-1]).x

    def loss(x_):
        return np.sum(grad_y * convgrad.conv(x_, w))

    verdict = gradcheck(loss, x, wrong)  # returned, not raised: a failure can be studied
    assert not verdict.ok and not verdict
    assert verdict.rows[0].max_abs_diff > 1e4 * verdict.rows[0].allowed
    assert "FAILED: ∂f/∂x differs from central differences" in str(verdict)
    with pytest.raises(AssertionError, match="DIFFERS"):
        gradcheck(loss, x, wrong, raise_exception=True)


def test_gradcheck_is_the_verdicts_comparison(rng):
    # one implementation: gradcheck's table is compare() on numerical_gradient, row for row
    x = rng.standard_normal((3, 4))
    slightly_off = np.cos(x) + 1e-7
    verdict = gradcheck(lambda a: np.sum(np.sin(a)), x, slightly_off, tolerance=1e-8)
    expected = compare(
        verdict.title,
        {"∂f/∂x": slightly_off},
        {"central differences": {"∂f/∂x": numerical_gradient(lambda a: np.sum(np.sin(a)), x)}},
        {"central differences": 1e-8},
    )
    assert verdict == expected and not verdict.ok


def test_numerical_gradient_on_a_known_function(rng):
    x = rng.standard_normal((3, 4))
    numeric = numerical_gradient(lambda a: np.sum(np.sin(a)), x)
    np.testing.assert_allclose(numeric, np.cos(x), rtol=1e-9, atol=1e-10)
    x_before = x.copy()
    numerical_gradient(lambda a: np.sum(a**2), x)
    np.testing.assert_array_equal(x, x_before)  # x is never modified


def test_float32_is_studied_in_float32_with_its_own_step(rng):
    x = rng.standard_normal((4, 5)).astype(np.float32)
    seen = []

    def f(a):
        seen.append(a.dtype)
        return np.sum(np.sin(a))

    numeric = numerical_gradient(f, x)
    assert numeric.dtype == np.float32 and set(seen) == {np.dtype(np.float32)}
    assert 4e-3 < default_eps(np.float32) < 6e-3 and 5e-6 < default_eps(np.float64) < 7e-6
    error_default = np.max(np.abs(numeric - np.cos(x.astype(np.float64))))
    error_tiny = np.max(np.abs(numerical_gradient(f, x, eps=1e-6) - np.cos(x)))
    # the float64 step in float32 drowns in round-off; the cube-root step does not
    assert error_default < 1e-3 < 3e-2 < error_tiny
    assert gradcheck(f, x, np.cos(x)).rows[0].source == "central differences (float32)"
    assert gradcheck(f, x, np.cos(x)).ok
    assert not gradcheck(f, x, np.cos(x) * 1.1).ok


def test_bad_arguments_are_refused(rng):
    x = rng.standard_normal(3)
    with pytest.raises(ValueError, match="eps must be a positive number"):
        numerical_gradient(np.sum, x, eps=0)
    with pytest.raises(ValueError, match="below the float32 spacing"):
        numerical_gradient(np.sum, np.full(2, 1000, dtype=np.float32), eps=1e-6)
    with pytest.raises(ValueError, match=r"has shape \(2,\) but x has shape \(3,\)"):
        gradcheck(np.sum, x, np.ones(2))
    with pytest.raises(ValueError, match="one gradient per input"):
        gradcheck(lambda a, b: np.sum(a * b), dict(a=x, b=x), dict(a=x))
    with pytest.raises(TypeError, match="dtype int64"):
        numerical_gradient(np.sum, np.arange(3))


def test_relative_error_is_normwise():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1.0, 1e-20], [1.0, 0.0]) < 1e-19
    assert relative_error([2.0, 0.0], [1.0, 0.0]) == 0.5
    with pytest.raises(ValueError, match="shapes"):
        relative_error(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize(
    "x_shape, kernel, options",
    [
        ((2, 3, 9), 3, dict(stride=2, padding=1)),
        ((1, 2, 7, 8), (3, 2), dict(stride=(2, 3), padding=(1, 0), dilation=(1, 2))),
        ((2, 1, 6, 6), 2, dict(padding="same")),
        ((1, 2, 5, 6, 4), (2, 3, 2), dict(stride=2, dilation=(1, 1, 2), padding=1)),
    ],
)
def test_col2im_is_the_adjoint_of_im2col(x_shape, kernel, options, rng):
    x = rng.standard_normal(x_shape)
    cols_of_x = im2col(x, kernel, **options)
    cols = rng.standard_normal(cols_of_x.shape)
    lhs = np.sum(cols_of_x * cols)  # <im2col(x), cols>
    rhs = np.sum(x * col2im(cols, x_shape, kernel, **options))  # <x, col2im(cols)>
    assert abs(lhs - rhs) <= 1e-12 * (abs(lhs) + 1)


def test_col2im_is_not_the_inverse(rng):
    # overlapping windows: col2im(im2col(x)) counts each input once per window reading it
    x = rng.standard_normal((1, 1, 4, 4))
    back = col2im(im2col(x, 3), x.shape, 3)
    counts = col2im(im2col(np.ones_like(x), 3), x.shape, 3)
    np.testing.assert_allclose(back, counts * x, rtol=1e-14)
    assert counts[0, 0, 1, 1] == 4 and counts[0, 0, 0, 0] == 1


def test_im2col_times_weights_is_conv(rng):
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3))
    cols = im2col(x, (3, 3), stride=2, padding=1)
    y = (w.reshape(4, -1) @ cols).reshape(2, 4, 4, 3)
    assert relative_error(y, convgrad.conv(x, w, stride=2, padding=1)) <= 1e-14


def test_im2col_and_col2im_match_torch_unfold_and_fold(rng, torch):
    x = rng.standard_normal((2, 3, 8, 7))
    options = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2))
    cols = im2col(x, (3, 2), **options)
    expected = torch.nn.functional.unfold(torch.tensor(x), (3, 2), **options).numpy()
    np.testing.assert_array_equal(cols, expected)
    c = rng.standard_normal(cols.shape)
    folded = torch.nn.functional.fold(torch.tensor(c), (8, 7), (3, 2), **options).numpy()
    assert relative_error(col2im(c, x.shape, (3, 2), **options), folded) <= 1e-14


def test_gradient_verdict_names_why_pytorch_was_skipped(monkeypatch, rng):
    from convgrad import verdict

    x = rng.standard_normal(3)
    args = (lambda x: float(np.sum(x**2)), {"x": x}, {"x": 2 * x})
    monkeypatch.setattr(verdict, "import_torch", lambda: None)
    # a chapter without PyTorch passes no torch version of f either: the reason is PyTorch
    assert "skipped (PyTorch not installed)" in str(verdict.gradient_verdict(*args))
    monkeypatch.setattr(verdict, "import_torch", lambda: object())
    assert "skipped (no torch version of f given)" in str(verdict.gradient_verdict(*args))
