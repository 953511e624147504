"""The symbolic forward convolution and the true gradients, by sympy differentiation.

The forward pass is written once, as loops over plain Python objects, so the same
function runs on sympy symbols (to display ``y`` entries), on elements of a sympy
polynomial ring (to differentiate) and on numbers (to compare with ``convgrad.conv``).
It reads ``X`` only inside its range: padding contributes nothing to a sum.

The true gradients are the partial derivatives of ``L = sum(delta * Y)``, taken by
sympy, entry by entry. Nothing about convolution backward passes is used to get
them; that is what makes them the yardstick for the book's formulas.
"""

# ruff: noqa: B905  (every zip below pairs per-dimension tuples of one length)

from __future__ import annotations

import functools
import itertools
import operator
from dataclasses import dataclass

import numpy as np
import sympy
from sympy.polys.rings import ring

from .tensors import Config, SymbolicConv, symbolic_tensors

#: A polynomial in tensor entries: {monomial: integer coefficient}, where a monomial
#: is a sorted tuple of entry keys such as ("W", (0, 1, 2, 2)).
Poly = dict


def _add(terms):
    if terms and isinstance(terms[0], sympy.Basic):
        return sympy.Add(*terms)
    return functools.reduce(operator.add, terms)


def conv_entries(x, w, b, config: Config) -> np.ndarray:
    """``Y[n,f,o] = b[f] + sum_{c,k} W[f,c,k] * X[n, g*C_g + c, s*o + d*k - P]``.

    ``x``, ``w``, ``b`` are object arrays (symbols, ring elements or numbers) of the
    shapes in ``config.shapes``; reads that fall in the padding are left out.
    """
    shapes = config.shapes
    out = np.empty(shapes["delta"], dtype=object)
    pad_before = [before for before, _ in config.padding]
    for n, f in itertools.product(range(config.batch), range(config.filters)):
        first_channel = (f // config.filters_per_group) * config.channels_per_group
        for o in itertools.product(*(range(m) for m in config.out_size)):
            terms = [b[f]]
            for c in range(config.channels_per_group):
                for k in itertools.product(*(range(m) for m in config.kernel)):
                    pos = tuple(
                        s * oi + d * ki - p
                        for oi, ki, s, d, p in zip(o, k, config.stride, config.dilation, pad_before)
                    )
                    if all(0 <= pi < size for pi, size in zip(pos, config.in_size)):
                        terms.append(w[(f, c, *k)] * x[(n, first_channel + c, *pos)])
            out[(n, f, *o)] = _add(terms)
    return out


def symbolic_forward(tensors: SymbolicConv) -> np.ndarray:
    """The output ``Y`` of the configuration as an array of sympy expressions."""
    return conv_entries(tensors.x.entries, tensors.w.entries, tensors.b.entries, tensors.config)


def loss(y: np.ndarray, delta: np.ndarray):
    """``L = sum(delta * Y)``: its gradient with respect to ``Y`` is ``delta``."""
    return _add([d * v for d, v in zip(delta.ravel(), y.ravel())])


@dataclass(frozen=True)
class TrueGradients:
    """Exact ``y``, ``dL/dX``, ``dL/dW``, ``dL/db`` of one configuration, as polynomials.

    Each field maps an entry index (zero-based, NCHW) to a :data:`Poly`.
    """

    config: Config
    y: dict
    grad_x: dict
    grad_w: dict
    grad_b: dict

    def target(self, name: str) -> dict:
        return {"y": self.y, "grad_x": self.grad_x, "grad_w": self.grad_w, "grad_b": self.grad_b}[
            name
        ]


@functools.lru_cache(maxsize=4096)
def true_gradients(config: Config) -> TrueGradients:
    """Differentiate ``L = sum(delta * Y)`` with sympy, once per configuration."""
    tensors = symbolic_tensors(config)
    names = ("X", "W", "b", "delta")
    keys = [(name, index) for name in names for index in tensors.tensor(name).keys()]
    symbols = [tensors.tensor(name).entries[index] for name, index in keys]
    # sympy's sparse polynomial ring: exact integer arithmetic, fast differentiation
    poly_ring, *generators = ring(symbols, sympy.ZZ)
    as_ring = {}
    position = 0
    for name in names:
        shape = tensors.tensor(name).shape
        size = int(np.prod(shape))
        as_ring[name] = np.array(generators[position : position + size], dtype=object).reshape(
            shape
        )
        position += size
    y = conv_entries(as_ring["X"], as_ring["W"], as_ring["b"], config)
    total = loss(y, as_ring["delta"])

    def to_poly(element) -> Poly:
        poly = {}
        for exponents, coeff in element.terms():
            monomial = []
            for where, power in enumerate(exponents):
                if power:
                    monomial.extend([keys[where]] * power)
            poly[tuple(sorted(monomial))] = int(coeff)
        return poly

    def gradient(name):
        offset = names.index(name)
        start = sum(int(np.prod(tensors.tensor(m).shape)) for m in names[:offset])
        out = {}
        for number, index in enumerate(tensors.tensor(name).keys()):
            out[index] = to_poly(total.diff(generators[start + number]))
        return out

    y_polys = {index: to_poly(y[index]) for index in np.ndindex(*y.shape)}
    return TrueGradients(config, y_polys, gradient("X"), gradient("W"), gradient("b"))
