"""Central differences against the analytic gradients, and im2col/col2im as adjoints."""

import numpy as np
import pytest

import convgrad
from convgrad import col2im, gradcheck, gradient_error, im2col, relative_error


@pytest.mark.parametrize(
    "x_shape, w_shape, options",
    [
        ((1, 2, 7), (3, 2, 3), dict(stride=2, padding=1)),
        ((2, 2, 5, 6), (4, 1, 3, 2), dict(padding="same", dilation=(1, 2), groups=2)),
        ((1, 2, 4, 5, 4), (2, 2, 2, 2, 3), dict(stride=(1, 2, 1), padding=(1, 0, 1))),
    ],
)
def test_central_differences_match_conv_backward(x_shape, w_shape, options, rng):
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    grad_y = rng.standard_normal(convgrad.output_shape(x_shape, w_shape, **options))

    def loss(x, w, b):
        # L = <grad_y, y>, so dL/dy = grad_y exactly
        return np.sum(grad_y * convgrad.conv(x, w, b, **options))

    grads = convgrad.conv_backward(grad_y, x, w, **options)
    # L is linear in each argument: central differences are exact up to round-off
    assert gradient_error(lambda x_: loss(x_, w, b), x, grads.x) <= 1e-8
    assert gradient_error(lambda w_: loss(x, w_, b), w, grads.w) <= 1e-8
    assert gradient_error(lambda b_: loss(x, w, b_), b, grads.b) <= 1e-8


def test_central_differences_through_a_nonlinear_loss(rng):
    # L = sum(tanh(conv(x, w))**2): dL/dy = 2 tanh(y) (1 - tanh(y)^2), then conv_backward
    x, w = rng.standard_normal((1, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))

    def loss(x):
        return np.sum(np.tanh(convgrad.conv(x, w, stride=2, padding=1)) ** 2)

    y = convgrad.conv(x, w, stride=2, padding=1)
    t = np.tanh(y)
    grad_y = 2 * t * (1 - t**2)
    grads = convgrad.conv_backward(grad_y, x, w, stride=2, padding=1)
    assert gradient_error(loss, x, grads.x, eps=1e-5) <= 1e-7


def test_gradcheck_on_a_known_function(rng):
    x = rng.standard_normal((3, 4))
    numeric = gradcheck(lambda a: np.sum(np.sin(a)), x)
    np.testing.assert_allclose(numeric, np.cos(x), rtol=1e-8, atol=1e-10)
    x_before = x.copy()
    gradcheck(lambda a: np.sum(a**2), x)
    np.testing.assert_array_equal(x, x_before)  # x is never modified


def test_gradient_error_sees_a_wrong_gradient(rng):
    # a check that cannot fail is worthless: a flipped kernel must be caught
    x, w = rng.standard_normal((1, 1, 5, 5)), rng.standard_normal((1, 1, 3, 3))
    grad_y = rng.standard_normal((1, 1, 3, 3))
    wrong = convgrad.conv_backward(grad_y, x, w[:, :, ::-1, ::-1]).x
    error = gradient_error(lambda x_: np.sum(grad_y * convgrad.conv(x_, w)), x, wrong)
    assert error > 0.1


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
