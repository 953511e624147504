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
    StrideGradient,
    TrainingWatch,
    TransposedConv,
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


VOLUMES = [  # (C, H, W_in), (F, C, K_h, K_w): more filters than channels, fewer, as many
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


@pytest.mark.parametrize("shape", [(8, 8, 3, 3), (9, 7, 2, 3), (5, 6, 1, 2)], ids=str)
def test_stride_gradient_frames_equal_convgrad(shape):
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 4, size=shape[:2]).astype(float)
    w = rng.integers(-2, 3, size=shape[2:]).astype(float)
    widget = StrideGradient(x, w, strides=(1, 2, 3, 4), stride=3)
    assert [case["stride"] for case in widget.cases] == [1, 2, 3, 4]
    for case in widget.cases:
        s = case["stride"]
        delta = np.array(case["inputs"]["delta"])
        assert delta.shape == reference.conv(x[None, None], w[None, None], stride=s).shape[2:]
        grad_x = reference.grad_x_gather(delta[None, None], x[None, None], w[None, None], stride=s)
        np.testing.assert_allclose(case["grad_x"], grad_x[0, 0], atol=1e-12)
        # the spread grid: zeros inserted by numpy, K - 1 around, r more at the end
        full = np.array(case["delta_full"])
        spread = np.zeros((s * (delta.shape[0] - 1) + 1, s * (delta.shape[1] - 1) + 1))
        spread[::s, ::s] = delta
        extra = [(n - k) % s for n, k in zip(x.shape, w.shape, strict=True)]
        pads = [(k - 1, k - 1 + r) for k, r in zip(w.shape, extra, strict=True)]
        np.testing.assert_array_equal(full, np.pad(spread, pads))
        kinds = np.array(case["delta_kind"])
        assert np.all(full[kinds != "delta"] == 0) and np.all(full[kinds == "delta"] != 0)
        geometry = convgrad.conv_geometry((1, 1, *x.shape), (1, 1, *w.shape), stride=s)
        assert [tuple(rows) for rows in case["never_read"]] == list(geometry.never_read())
        rotated = np.array(case["w_rotated"])
        for index, frame in enumerate(case["frames"]):
            r, c = divmod(index, x.shape[1])
            assert frame["pixel"] == [r, c]
            assert frame["value"] == pytest.approx(grad_x[0, 0, r, c], abs=1e-12)
            gather = sum(
                v * full[tuple(t)] for v, t in zip(rotated.flat, frame["taps"], strict=True)
            )
            assert gather == pytest.approx(frame["value"], abs=1e-12)
            never = r in case["never_read"][0] or c in case["never_read"][1]
            assert bool(frame["note"]) == never
            if never:
                assert frame["value"] == 0


def test_stride_gradient_refuses_a_stride_it_has_no_frames_for():
    widget = StrideGradient(np.zeros((6, 6)), np.ones((2, 2)), strides=(1, 2))
    with pytest.raises(Exception, match="stride 3 is not one of"):
        widget.stride = 3
    with pytest.raises(ValueError, match="increasing"):
        StrideGradient(np.zeros((6, 6)), np.ones((2, 2)), strides=(2, 1))


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
    with pytest.raises(ValueError, match=r"\(C, H, W_in\)"):
        ChannelGradient(np.zeros((4, 4)), w4, np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="outside"):
        ChannelGradient(x3, w4, np.zeros((2, 3, 3)), channel=3)
    with pytest.raises(ValueError, match=r"shape \(1, 4, 4\)"):
        Im2col(np.zeros((1, 4, 4)), 2)
    with pytest.raises(ValueError, match="outside the 9 windows"):
        Im2col(x, 2, position=9)


# --- TrainingWatch (Chapter 14) -----------------------------------------------------------


def fitted_filters(steps=7, seed=0):
    """Three 3x3 filters fitted by gradient descent to a target layer, recorded every step.

    L = 1/2 |conv(x, w) - target|^2 over a batch of four 6x6 inputs; the gradients come from
    convgrad, as in the chapter.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, 1, 6, 6))
    target = convgrad.conv(x, rng.normal(size=(3, 1, 3, 3)), padding=1)
    w = rng.normal(size=(3, 1, 3, 3))
    record = dict(losses=[], filters=[], filter_grads=[], input_grads=[])
    for _ in range(steps):
        residual = convgrad.conv(x, w, padding=1) - target
        grads = convgrad.conv_backward(residual, x, w, padding=1)
        record["losses"].append(0.5 * np.sum(residual**2))
        record["filters"].append(w)
        record["filter_grads"].append(grads.w)
        record["input_grads"].append(grads.x[0, 0])  # the first input's dL/dX
        w = w - 0.002 * grads.w
    return x, target, record


def test_training_watch_frames_equal_a_recomputation_by_the_loops():
    x, target, record = fitted_filters()
    shown = [0, 1, 3, 6]
    widget = TrainingWatch(
        steps=shown,
        losses=record["losses"],
        filters=[record["filters"][s] for s in shown],
        filter_grads=[record["filter_grads"][s] for s in shown],
        input_grads=[record["input_grads"][s] for s in shown],
        sample=x[0, 0],
    )
    assert len(widget.frames) == len(shown)
    assert widget.inputs["losses"] == pytest.approx(record["losses"], rel=1e-3)
    np.testing.assert_array_equal(widget.inputs["sample"], x[0, 0])
    approx = dict(rel=1e-3, abs=1e-12)  # the frames keep 4 significant digits
    for index, step in enumerate(shown):
        frame = widget.frame(index)
        assert frame == widget.frames[index]
        w = record["filters"][step]
        residual = reference.conv(x, w, padding=1) - target
        grad_w = reference.grad_w(residual, x, w, padding=1)
        grad_x = reference.grad_x_gather(residual, x, w, padding=1)[0, 0]
        assert frame["step"] == step
        assert frame["loss"] == pytest.approx(0.5 * np.sum(residual**2), **approx)
        assert np.array(frame["filters"]) == pytest.approx(w[:, 0], **approx)
        assert np.array(frame["grads"]) == pytest.approx(grad_w[:, 0], **approx)
        assert np.array(frame["grad_x"]) == pytest.approx(grad_x, **approx)
        assert frame["grad_w_scale"] == pytest.approx(np.abs(grad_w).max(), **approx)
        assert frame["grad_x_scale"] == pytest.approx(np.abs(grad_x).max(), **approx)
        assert f"step {step}:" in frame["text"]
    all_filters = np.array(record["filters"])[shown]
    assert widget.inputs["filter_scale"] == pytest.approx(np.abs(all_filters).max(), rel=1e-3)


def test_training_watch_refuses_bad_records_naming_the_shapes():
    x, _, record = fitted_filters(steps=3)
    good = dict(
        steps=[0, 2],
        losses=record["losses"],
        filters=[record["filters"][s] for s in (0, 2)],
        filter_grads=[record["filter_grads"][s] for s in (0, 2)],
        input_grads=[record["input_grads"][s] for s in (0, 2)],
        sample=x[0, 0],
    )
    TrainingWatch(**good)
    with pytest.raises(ValueError, match=r"increasing whole numbers in 0\.\.2"):
        TrainingWatch(**(good | dict(steps=[2, 0])))
    with pytest.raises(ValueError, match=r"increasing whole numbers"):
        TrainingWatch(**(good | dict(steps=[0, 3])))
    with pytest.raises(ValueError, match=r"one input channel"):
        TrainingWatch(**(good | dict(filters=np.zeros((2, 3, 2, 3, 3)))))
    with pytest.raises(ValueError, match=r"filter_grads has shape \(2, 3, 2, 2\)"):
        TrainingWatch(**(good | dict(filter_grads=np.zeros((2, 3, 2, 2)))))
    with pytest.raises(ValueError, match=r"input_grads has shape \(2, 5, 6\)"):
        TrainingWatch(**(good | dict(input_grads=np.zeros((2, 5, 6)))))
    with pytest.raises(ValueError, match="outside"):
        TrainingWatch(**good, position=2)
