"""The checker's yardstick: symbolic tensors, the symbolic forward pass, sympy's gradients."""

import numpy as np
import pytest
import sympy

import convgrad
from convgrad.symbolic import (
    Config,
    conv_entries,
    q1_example,
    symbolic_forward,
    symbolic_tensors,
    true_gradients,
)
from convgrad.symbolic.forward import loss

CONFIGS = [
    Config.make((3, 3), (2, 2)),
    Config.make((5, 4), (3, 2), channels=2, filters=3, batch=2, stride=(2, 1), padding=1),
    Config.make((6,), (3,), channels=4, filters=2, groups=2, dilation=2, padding=((2, 1),)),
    Config.make((5, 5), (2, 3), channels=3, filters=3, groups=3, stride=2, dilation=(1, 2)),
]


def test_entries_are_named_as_in_the_book_and_strict():
    tensors = symbolic_tensors(CONFIGS[1])
    assert str(tensors.x[1, 0, 2, 3]) == "x_{1,0,2,3}"
    assert sympy.latex(tensors.delta[0, 2, 1, 1]) == r"\delta_{0,2,1,1}"
    with pytest.raises(IndexError, match="does not exist"):
        tensors.w[0, 0, 3, 0]
    with pytest.raises(IndexError):
        tensors.x[0, 0, -1, 0]  # no wrap-around, unlike numpy


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.describe())
def test_out_size_agrees_with_convgrad(config):
    shapes = config.shapes
    assert convgrad.output_shape(shapes["X"], shapes["W"], **config.conv_kwargs) == tuple(
        shapes["delta"]
    )


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.describe())
def test_forward_on_numbers_equals_convgrad(config):
    rng = np.random.default_rng(1)
    x, w, b = (rng.normal(size=config.shapes[n]) for n in ("X", "W", "b"))
    ours = conv_entries(x.astype(object), w.astype(object), b.astype(object), config)
    theirs = convgrad.conv(x, w, b, **config.conv_kwargs)
    np.testing.assert_allclose(ours.astype(float), theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("config", CONFIGS[:3], ids=lambda c: c.describe())
def test_ring_gradients_equal_plain_sympy_diff(config):
    # the truth is taken in sympy's polynomial ring for speed; plain sympy.diff agrees
    tensors = symbolic_tensors(config)
    total = sympy.expand(loss(symbolic_forward(tensors), tensors.delta.entries))
    truth = true_gradients(config)
    names = {"X": truth.grad_x, "W": truth.grad_w, "b": truth.grad_b}
    for name, grads in names.items():
        tensor = tensors.tensor(name)
        for index in tensor.keys():
            derivative = sympy.diff(total, tensor[index])
            expected = sympy.Add(
                *[
                    coeff * sympy.Mul(*[symbolic_tensors(config).tensor(t)[i] for t, i in mono])
                    for mono, coeff in grads[index].items()
                ]
            )
            assert sympy.expand(derivative - expected) == 0, (name, index)


def test_true_gradients_are_bilinear_and_complete():
    config = CONFIGS[1]
    truth = true_gradients(config)
    # every term of dL/dX is (delta entry) * (W entry), of dL/dW is (delta) * (X)
    for poly in truth.grad_x.values():
        assert all(sorted(t for t, _ in m) == ["W", "delta"] for m in poly)
    for poly in truth.grad_w.values():
        assert all(sorted(t for t, _ in m) == ["X", "delta"] for m in poly)
    # sum over all of dL/db: every delta entry once
    n_delta = int(np.prod(config.shapes["delta"]))
    assert sum(len(p) for p in truth.grad_b.values()) == n_delta


def test_q1_outputs_are_the_readers():
    example = q1_example()
    v = sympy.symbols("V_1:10")
    w = sympy.symbols("W_1:5")
    g1 = v[0] * w[0] + v[1] * w[1] + v[3] * w[2] + v[4] * w[3]
    g4 = v[4] * w[0] + v[5] * w[1] + v[7] * w[2] + v[8] * w[3]
    assert sympy.expand(example.outputs[0].rhs - g1) == 0
    assert sympy.expand(example.outputs[3].rhs - g4) == 0
    # the shared weight W1 meets V1, V2, V4, V5: one pixel per window
    assert example.windows[w[0]] == (v[0], v[1], v[3], v[4])
    assert r"G_{1} &= V_{1} W_{1} + V_{2} W_{2} + V_{4} W_{3} + V_{5} W_{4}" in example.latex()
