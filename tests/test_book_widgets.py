"""The widgets' Python side: what each one shows is convgrad's number (issue 3).

The browser tests check the drawing; these check every position of every widget
over many geometries against convgrad.reference, without a browser.
"""

import numpy as np
import pytest

import convgrad
from convgrad import reference
from convgrad.widgets import (
    ChannelGradient,
    Im2col,
    InputGradient,
    SlidingWindow,
    WeightGradient,
)

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


VOLUMES = [  # (C, H, W), (F, C, K_h, K_w): more filters than channels, fewer, as many
    ((3, 4, 4), (2, 3, 2, 2)),
    ((2, 5, 4), (4, 2, 3, 2)),
    ((3, 4, 5), (3, 3, 1, 3)),
]


@pytest.mark.parametrize("x_shape, w_shape", VOLUMES, ids=str)
def test_channel_gradient_sums_the_filters_to_dl_dx(x_shape, w_shape):
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 4, size=x_shape).astype(float)
    w = rng.integers(-2, 3, size=w_shape).astype(float)
    y_shape = reference.conv(x[None], w).shape[1:]
    delta = rng.integers(-2, 3, size=y_shape).astype(float)
    grad_x = reference.grad_x_gather(delta[None], x[None], w)[0]
    widget = ChannelGradient(x, w, delta)
    filters, channels, kh, kw = w_shape
    assert len(widget.frames) == channels
    w_back = np.array(widget.inputs["w_back"])
    assert w_back.shape == (channels, filters, kh, kw)  # the channel axes swapped
    for c, f, k, l in np.ndindex(*w_back.shape):
        assert w_back[c, f, k, l] == w[f, c, kh - 1 - k, kw - 1 - l]
    padded = np.array(widget.inputs["delta_padded"])
    inside = padded[:, kh - 1 : kh - 1 + y_shape[1], kw - 1 : kw - 1 + y_shape[2]]
    np.testing.assert_array_equal(inside, delta)  # delta, with K - 1 zeros around it
    assert np.count_nonzero(padded) == np.count_nonzero(delta)
    np.testing.assert_allclose(np.array(widget.inputs["grad_x"]), grad_x, atol=1e-12)
    for c in range(channels):
        frame = widget.frame(c)
        assert frame == widget.frames[c]
        partials = np.array(frame["partials"])
        assert partials.shape == (filters, *x_shape[1:])
        for f in range(filters):
            # filter f's share, by the one-channel loop reference on padded delta[f]
            share = reference.conv(padded[f][None, None], w_back[c, f][None, None])[0, 0]
            np.testing.assert_allclose(partials[f], share, atol=1e-12)
        np.testing.assert_allclose(partials.sum(axis=0), grad_x[c], atol=1e-12)
        assert f"\u2202L/\u2202X[{c}]" in frame["equation"]


@pytest.mark.parametrize(
    "shape, kernel, settings",
    [((5, 5), (3, 3), {}), ((5, 5), 3, dict(stride=2)), ((6, 7), (2, 3), dict(dilation=(2, 1)))],
    ids=str,
)
def test_im2col_shows_columns_and_col2im_adds_them_back(shape, kernel, settings):
    x = np.random.default_rng(5).integers(-3, 4, size=shape).astype(float)
    widget = Im2col(x, kernel, **settings)
    cols = convgrad.im2col(x[None, None], kernel, **settings)[0]
    np.testing.assert_array_equal(np.array(widget.inputs["cols"]), cols)
    windows = cols.shape[1]
    assert len(widget.frames) == windows == np.prod(widget.inputs["out_size"])
    for t in range(windows):
        frame = widget.frame(t)
        # the pixels window t reads, in column order, hold column t
        read = [x[r, c] for r, c in frame["reads"]]
        np.testing.assert_array_equal(read, cols[:, t])
        # col2im of the columns 0..t by the loop: every column added onto its window
        added, count = np.zeros(shape), np.zeros(shape)
        for u in range(t + 1):
            for (r, c), value in zip(widget.frame(u)["reads"], cols[:, u], strict=True):
                added[r, c] += value
                count[r, c] += 1
        np.testing.assert_allclose(np.array(frame["added"]), added, atol=1e-12)
        np.testing.assert_array_equal(np.array(frame["count"]), count)
    last = widget.frames[-1]
    ones = np.ones((1, 1, *shape))
    overlap = convgrad.col2im(
        convgrad.im2col(ones, kernel, **settings), ones.shape, kernel, **settings
    )[0, 0]
    np.testing.assert_array_equal(np.array(last["count"]), overlap)
    np.testing.assert_allclose(np.array(last["added"]), overlap * x, atol=1e-12)


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
    x3, w4 = np.zeros((3, 4, 4)), np.zeros((2, 3, 2, 2))
    with pytest.raises(ValueError, match=r"depth 2 must equal the input's channels"):
        ChannelGradient(x3, np.zeros((2, 2, 2, 2)), np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"delta = dL/dY has shape \(3, 3, 3\).*\(2, 3, 3\)"):
        ChannelGradient(x3, w4, np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        ChannelGradient(np.zeros((4, 4)), w4, np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="outside"):
        ChannelGradient(x3, w4, np.zeros((2, 3, 3)), channel=3)
    with pytest.raises(ValueError, match=r"shape \(1, 4, 4\)"):
        Im2col(np.zeros((1, 4, 4)), 2)
    with pytest.raises(ValueError, match="outside the 9 windows"):
        Im2col(x, 2, position=9)
