"""The widgets' Python side: what each one shows is convgrad's number (issue 3).

The browser tests check the drawing; these check every position of every widget
over many geometries against convgrad.reference, without a browser.
"""

import numpy as np
import pytest

import convgrad
from convgrad import reference
from convgrad.widgets import InputGradient, SlidingWindow, TransposedConv, WeightGradient

GEOMETRIES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(1, 2), padding=((0, 1), (2, 0))),
    dict(dilation=2, padding=2),
    dict(dilation=(2, 1), stride=(2, 1)),
    dict(padding="same"),
    dict(stride=3),
]


def example(geometry, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(6, 7)).astype(float)
    w = rng.integers(-2, 3, size=(3, 2)).astype(float)
    y = reference.conv(x[None, None], w[None, None], **geometry)
    delta = rng.integers(-2, 3, size=y.shape).astype(float)
    return x, w, delta, y


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
def test_sliding_window_shows_the_forward_output(geometry):
    x, w, _, y = example(geometry)
    widget = SlidingWindow(x, w, **geometry)
    assert len(widget.frames) == y[0, 0].size
    padded = np.array(widget.inputs["x_padded"])
    for position, expected in enumerate(y[0, 0].flat):
        frame = widget.frame(position)
        assert frame == widget.frames[position]
        assert frame["value"] == pytest.approx(expected, abs=1e-12)
        # the window: one tap per weight, read from the padded input
        assert len(frame["taps"]) == w.size
        products = [wk * padded[tuple(t)] for wk, t in zip(w.flat, frame["taps"], strict=True)]
        assert sum(products) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
def test_weight_gradient_shows_dl_dw(geometry):
    x, w, delta, _ = example(geometry)
    grad_w = reference.grad_w(delta, x[None, None], w[None, None], **geometry)[0, 0]
    widget = WeightGradient(x, w, delta[0, 0], **geometry)
    padded = np.array(widget.inputs["x_padded"])
    for index, expected in enumerate(grad_w.flat):
        frame = widget.frame(index)
        assert frame["value"] == pytest.approx(expected, abs=1e-12)
        assert len(frame["pairs"]) == delta.size  # one product per output position
        total = sum(
            delta[0, 0][tuple(p["out"])] * padded[tuple(p["input"])] for p in frame["pairs"]
        )
        assert total == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
def test_input_gradient_scatter_and_gather_agree_with_the_reference(geometry):
    x, w, delta, _ = example(geometry)
    args = (delta, x[None, None], w[None, None])
    by_scatter = reference.grad_x_scatter(*args, **geometry)[0, 0]
    by_gather = reference.grad_x_gather(*args, **geometry)[0, 0]
    widget = InputGradient(x, w, delta[0, 0], **geometry)
    full = np.array(widget.inputs["delta_full"])
    rotated = np.array(widget.inputs["w_rotated"])
    np.testing.assert_array_equal(rotated, w[::-1, ::-1])
    for index in range(x.size):
        frame = widget.frame(index)
        assert frame["value"] == pytest.approx(by_scatter.flat[index], abs=1e-12)
        assert frame["value"] == pytest.approx(by_gather.flat[index], abs=1e-12)
        scatter = sum(delta[0, 0][tuple(h["out"])] * w[tuple(h["k"])] for h in frame["scatter"])
        gather = sum(
            r * full[tuple(t)] for r, t in zip(rotated.flat, frame["gather_taps"], strict=True)
        )
        assert scatter == pytest.approx(frame["value"], abs=1e-12)
        assert gather == pytest.approx(frame["value"], abs=1e-12)


@pytest.mark.parametrize(
    "x_size, kernel, padding",
    [((6, 6), (3, 3), 1), ((7, 7), (2, 2), 0), ((8, 8), (4, 4), 2), ((7, 6), (3, 2), 1)],
)
def test_transposed_conv_shows_conv_transpose_and_the_input_gradient(x_size, kernel, padding):
    w = np.random.default_rng(1).integers(-2, 3, size=kernel).astype(float)
    widget = TransposedConv(x_size, w, padding=padding)
    strides = sorted({state["inputs"]["stride"][0] for state in widget.settings})
    assert strides == [1, 2, 3] and len(widget.settings) == 1 + 2 + 3
    x = np.random.default_rng(2).normal(size=(1, 1, *x_size))
    for state in widget.settings:
        inputs, frames = state["inputs"], state["frames"]
        s, output_padding = inputs["stride"][0], inputs["output_padding"]
        delta = np.array(inputs["delta"])[None, None]
        options = dict(stride=s, padding=padding)
        z = convgrad.conv_transpose(delta, w[None, None], output_padding=output_padding, **options)
        geometry = convgrad.conv_geometry(x.shape, (1, 1, *kernel), **options)
        assert geometry.out_size == delta.shape[2:]
        r = geometry.past_last_window
        assert inputs["r"] == list(r)
        # only output_padding = r gives the forward input's size, and then it is dL/dX
        assert inputs["matches"] == (r == (output_padding, output_padding))
        assert inputs["matches"] == (z.shape[2:] == x_size)
        if inputs["matches"]:
            grad_x = reference.conv_backward(delta, x, w[None, None], **options).x
            np.testing.assert_allclose(z, grad_x, atol=1e-12)
        np.testing.assert_array_equal(np.array(inputs["z"]), z[0, 0])
        spread = np.array(inputs["spread"])
        rotated = np.array(inputs["w_rotated"])
        assert len(frames) == z[0, 0].size
        for index, frame in enumerate(frames):
            assert frame["value"] == pytest.approx(z[0, 0].flat[index], abs=1e-12)
            taps = [spread[tuple(t)] for t in frame["taps"]]
            assert np.dot(rotated.ravel(), taps) == pytest.approx(frame["value"], abs=1e-12)
        # the zeros output_padding adds are the last rows and columns of the spread delta
        kinds = np.array(inputs["spread_kind"])
        extra = kinds == "extra"
        assert extra.sum() == spread.size - (spread.shape[0] - output_padding) * (
            spread.shape[1] - output_padding
        )
        assert np.all(spread[extra] == 0) and np.all(spread[kinds == "inserted"] == 0)
        assert np.count_nonzero(kinds == "delta") == delta.size


def test_transposed_conv_refuses_what_it_cannot_draw():
    with pytest.raises(ValueError, match="padding 3 must lie in 0..K-1"):
        TransposedConv((6, 6), np.ones((3, 3)), padding=3)
    with pytest.raises(ValueError, match="stride 4 is not one of"):
        TransposedConv((6, 6), np.ones((3, 3)), stride=4)
    with pytest.raises(ValueError, match=r"r = \(0, 1\).*one output_padding for both axes"):
        TransposedConv((7, 5), np.ones((3, 2)))


def test_equations_write_out_the_numbers():
    x = np.array([[1.0, -2.0], [3.0, 4.0]])
    w = np.array([[2.0]])
    frame = SlidingWindow(x, w).frame(1)
    assert frame["equation"] == "Y[0,1] = 2\u00b7(\u22122) = \u22124"


def test_bad_inputs_are_refused_with_the_shapes():
    x, w = np.zeros((4, 4)), np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"shape \(1, 4, 4\)"):
        SlidingWindow(np.zeros((1, 4, 4)), w)
    with pytest.raises(ValueError, match=r"delta = dL/dY has shape \(2, 2\).*\(3, 3\)"):
        WeightGradient(x, w, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="outside"):
        InputGradient(x, w, np.zeros((3, 3)), pixel=16)
