"""The checker's yardstick: symbolic tensors, the symbolic forward pass, sympy's gradients."""

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import convgrad
from convgrad import symbolic
from convgrad.symbolic import (
    Config,
    conv_entries,
    loss,
    symbolic_forward,
    symbolic_tensors,
    true_gradients,
)
from convgrad.symbolic.tensors import GEOMETRY_FIELDS

CONFIGS = [
    Config.make((3, 3), (2, 2)),
    Config.make((5, 4), (3, 2), channels=2, filters=3, batch=2, stride=(2, 1), padding=1),
    Config.make((6,), (3,), channels=4, filters=2, groups=2, dilation=2, padding=((2, 1),)),
    Config.make((5, 5), (2, 3), channels=3, filters=3, groups=3, stride=2, dilation=(1, 2)),
]


def test_entries_are_named_as_in_the_book():
    tensors = symbolic_tensors(CONFIGS[1])
    assert str(tensors.x[1, 0, 2, 3]) == "x_{1,0,2,3}"
    assert sympy.latex(tensors.delta[0, 2, 1, 1]) == r"\delta_{0,2,1,1}"
    assert tensors.w.shape == (3, 2, 3, 2) and tensors.b.shape == (3,)


@st.composite
def geometries(draw):
    """Any valid convolution in 1-3 dimensions, stride, padding (also uneven), dilation."""
    ndim, groups = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    axes = []
    for _ in range(ndim):
        kernel, dilation, stride = (draw(st.integers(1, 4)) for _ in range(3))
        before, after = draw(st.integers(0, 3)), draw(st.integers(0, 3))
        span = dilation * (kernel - 1) + 1
        size = draw(st.integers(max(1, span - before - after), 16))
        axes.append((size, kernel, stride, (before, after), dilation))
    size, kernel, stride, padding, dilation = zip(*axes, strict=True)
    counts = dict(batch=draw(st.integers(1, 3)), groups=groups)
    counts.update(
        channels=groups * draw(st.integers(1, 3)), filters=groups * draw(st.integers(1, 3))
    )
    return Config.make(size, kernel, stride=stride, padding=padding, dilation=dilation, **counts)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(geometries())
def test_config_and_conv_geometry_agree_field_by_field(config):
    # the checker works sizes out itself on purpose; the table says which field is which
    shapes = config.shapes
    geometry = convgrad.conv_geometry(shapes["X"], shapes["W"], **config.conv_kwargs)
    for ours, theirs in GEOMETRY_FIELDS.items():
        assert getattr(config, ours) == getattr(geometry, theirs), (ours, theirs)
    assert len(GEOMETRY_FIELDS) == 11  # the nine shared sizes, the output size, unread rows


def test_unread_rows_are_the_ones_no_window_reads():
    # 6 rows, kernel 3, stride 2: windows start at 0 and 2 and read rows 0..4; row 5 is unread
    assert Config.make(6, 3, stride=2).unread == (1,)
    assert Config.make((7, 5), (3, 3), stride=(2, 2), padding=((0, 0), (1, 1))).unread == (0, 0)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_out_size_agrees_with_convgrad(config):
    shapes = config.shapes
    assert convgrad.output_shape(shapes["X"], shapes["W"], **config.conv_kwargs) == tuple(
        shapes["delta"]
    )


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_forward_on_numbers_equals_convgrad(config):
    rng = np.random.default_rng(1)
    x, w, b = (rng.normal(size=config.shapes[n]) for n in ("X", "W", "b"))
    ours = conv_entries(x.astype(object), w.astype(object), b.astype(object), config)
    theirs = convgrad.conv(x, w, b, **config.conv_kwargs)
    np.testing.assert_allclose(ours.astype(float), theirs, rtol=1e-12, atol=1e-12)


def test_correlate_writes_out_the_books_conv_of_two_grids():
    x, w = sympy.symbols("x:12"), sympy.symbols("w:4")
    y = symbolic.correlate(np.reshape(x, (3, 4)), np.reshape(w, (2, 2)))
    assert y.shape == (2, 3)
    assert y[1, 2] == w[0] * x[6] + w[1] * x[7] + w[2] * x[10] + w[3] * x[11]
    rng = np.random.default_rng(2)
    numbers, kernel = rng.normal(size=(5, 4)), rng.normal(size=(3, 2))
    theirs = convgrad.conv(numbers[None, None], kernel[None, None])[0, 0]
    ours = symbolic.correlate(numbers, kernel).astype(float)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("config", CONFIGS[:3], ids=str)
def test_ring_gradients_equal_plain_sympy_diff(config):
    # the truth is taken in sympy's polynomial ring for speed; plain sympy.diff agrees
    tensors = symbolic_tensors(config)
    total = sympy.expand(loss(symbolic_forward(tensors), tensors.delta))
    truth = true_gradients(config)
    arrays = {"X": tensors.x, "W": tensors.w, "b": tensors.b, "delta": tensors.delta}
    for name in ("X", "W", "b"):
        for index in np.ndindex(arrays[name].shape):
            derivative = sympy.diff(total, arrays[name][index])
            expected = sympy.Add(
                *[
                    coeff * sympy.Mul(*[arrays[t][i] for t, i in mono])
                    for mono, coeff in truth[f"grad_{name.lower()}"][index].items()
                ]
            )
            assert sympy.expand(derivative - expected) == 0, (name, index)


def test_true_gradients_are_bilinear_and_complete():
    config = CONFIGS[1]
    truth = true_gradients(config)
    # every term of dL/dX is (delta entry) * (W entry), of dL/dW is (delta) * (X)
    for poly in truth["grad_x"].values():
        assert all(sorted(t for t, _ in m) == ["W", "delta"] for m in poly)
    for poly in truth["grad_w"].values():
        assert all(sorted(t for t, _ in m) == ["X", "delta"] for m in poly)
    # sum over all of dL/db: every delta entry once
    n_delta = int(np.prod(config.shapes["delta"]))
    assert sum(len(p) for p in truth["grad_b"].values()) == n_delta
