"""The yardstick: configurations, symbolic tensors, and sympy's true gradients.

A :class:`Config` fixes every size of one convolution. It works out the output size and
the unread rows itself, on purpose: the checker must not borrow the code it checks
(``convgrad.geometry``); ``GEOMETRY_FIELDS`` is the correspondence, held by a test.
``symbolic_tensors`` names every entry as in the book, ``x_{0,1,2,3}`` (zero-based, NCHW).
The forward pass is written once, as loops over plain Python objects (symbols, ring
elements, numbers); it reads ``X`` only inside its range. The true gradients are sympy's
partial derivatives of ``L = sum(delta * Y)``: nothing about backward passes is used.
They need sympy alone (the checker also runs in the browser, Chapter 13); the public
tensors are numpy object arrays, so those functions import numpy when called.
"""

# ruff: noqa: B905  (every zip below pairs per-axis tuples of one length)

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import sympy
from sympy.polys.rings import ring

if TYPE_CHECKING:
    import numpy as np

#: Config's name -> ConvGeometry's name, for the same size of one convolution
GEOMETRY_FIELDS = {
    "batch": "batch",
    "channels": "in_channels",
    "filters": "out_channels",
    "groups": "groups",
    "in_size": "in_size",
    "kernel": "kernel",
    "stride": "stride",
    "padding": "padding",  # (before, after) per spatial axis in both
    "dilation": "dilation",
    "out_size": "out_size",
    "unread": "unread",
}
#: the axes of each tensor by the book's letters, then the spatial axes (not for b)
AXES = {"X": ("n", "c"), "W": ("f", "c"), "b": ("f",), "delta": ("n", "f")}
SPATIAL_AXES = {1: ("l",), 2: ("h", "w"), 3: ("d", "h", "w")}
#: a size by name -> its value in a configuration (of the first two spatial axes: h, w)
SIZES = {
    "batch": lambda c: c.batch,
    "channels": lambda c: c.channels,
    "filters": lambda c: c.filters,
    "in_h": lambda c: c.in_size[0],
    "in_w": lambda c: c.in_size[1],
    "kernel_h": lambda c: c.kernel[0],
    "kernel_w": lambda c: c.kernel[1],
    "out_h": lambda c: c.out_size[0],
    "out_w": lambda c: c.out_size[1],
    "stride": lambda c: c.stride[0],
    "padding": lambda c: c.padding[0][0],
    "dilation": lambda c: c.dilation[0],
}


def size_params(names: dict[str, str]) -> dict:
    """A formula's ``params`` from its symbols' names -> the sizes of ``SIZES`` they stand
    for, e.g. ``{"K_h": "kernel_h"}``: each symbol -> its value in a configuration."""
    return {sympy.Symbol(symbol): SIZES[size] for symbol, size in names.items()}


def _per_dim(value, ndim: int) -> tuple:
    return (value,) * ndim if isinstance(value, int) else tuple(value)


@dataclass(frozen=True)
class Config:
    """Every size of one convolution; ``padding`` is one (before, after) pair per axis."""

    batch: int
    channels: int
    filters: int
    groups: int
    in_size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]

    @classmethod
    def make(cls, in_size, kernel, *, stride=1, padding=0, dilation=1, **counts):
        """A configuration; ``stride``, ``padding``, ``dilation``: an int for every axis or
        one per axis; a padding is an int or a (before, after) pair. ``counts``: ``batch``,
        ``channels``, ``filters``, ``groups``, each 1 unless given."""
        ndim = len(_per_dim(in_size, 1))
        pads = tuple(_per_dim(p, 2) for p in _per_dim(padding, ndim))
        counts = dict(batch=1, channels=1, filters=1, groups=1) | counts
        sizes = dict(in_size=_per_dim(in_size, 1), kernel=_per_dim(kernel, ndim))
        per_axis = dict(stride=_per_dim(stride, ndim), dilation=_per_dim(dilation, ndim))
        return cls(**counts, **sizes, **per_axis, padding=pads)

    @property
    def ndim(self) -> int:
        return len(self.in_size)

    def _axes(self):
        return zip(self.in_size, self.kernel, self.stride, self.padding, self.dilation)

    @property
    def out_size(self) -> tuple[int, ...]:
        """``(H + P + P+ - d (K - 1) - 1) // s + 1`` per axis of H positions (Chapters 8-10)."""
        return tuple((n + p + q - d * (k - 1) - 1) // s + 1 for n, k, s, (p, q), d in self._axes())

    @property
    def unread(self) -> tuple[int, ...]:
        """Per axis, the input rows after the last one the last window reads (Chapter 8).

        At most H: when every window lies in the leading padding, all H rows are unread.
        """
        return tuple(
            min(n, max(0, n - 1 - (s * (o - 1) + d * (k - 1) - p)))
            for (n, k, s, (p, _), d), o in zip(self._axes(), self.out_size)
        )

    @property
    def channels_per_group(self) -> int:
        return self.channels // self.groups

    @property
    def filters_per_group(self) -> int:
        return self.filters // self.groups

    @property
    def is_valid(self) -> bool:
        """True when the sizes describe a convolution with at least one output."""
        divides = self.channels % self.groups == 0 and self.filters % self.groups == 0
        return divides and all(o >= 1 for o in self.out_size)

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {
            "X": (self.batch, self.channels, *self.in_size),
            "W": (self.filters, self.channels_per_group, *self.kernel),
            "b": (self.filters,),
            "delta": (self.batch, self.filters, *self.out_size),
        }

    def axes(self, tensor: str) -> tuple[str, ...]:
        """The axis names of ``X``, ``W``, ``b`` or ``delta``, e.g. ``n c h w``."""
        return AXES[tensor] + (SPATIAL_AXES[self.ndim] if tensor != "b" else ())

    def positions(self, tensor: str, axes) -> tuple[int, ...]:
        """Where the named axes sit in the tensor (the one place that works it out)."""
        return tuple(self.axes(tensor).index(a) for a in axes)

    @property
    def conv_kwargs(self) -> dict:
        """The same geometry as keyword arguments of ``convgrad.conv``."""
        return {name: getattr(self, name) for name in ("stride", "padding", "dilation", "groups")}


class SymbolicConv(NamedTuple):
    """The four tensors of one configuration as numpy arrays of sympy symbols."""

    config: Config
    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    delta: np.ndarray


def _indices(shape) -> itertools.product:
    """Every index of an array of ``shape``, in numpy's (row-major) order."""
    return itertools.product(*map(range, shape))


def _entries(config: Config) -> dict[str, dict]:
    """Per tensor (``X``, ``W``, ``b``, ``delta``): index -> its symbol, e.g. ``x_{0,1,2,3}``."""
    letters = dict(zip(config.shapes, ("x", "w", "b", r"\delta")))
    return {
        name: {
            index: sympy.Symbol(f"{letters[name]}_{{{','.join(map(str, index))}}}")
            for index in _indices(shape)
        }
        for name, shape in config.shapes.items()
    }


def _as_array(entries: dict, shape) -> np.ndarray:
    import numpy as np

    array = np.empty(shape, dtype=object)
    for index, value in entries.items():
        array[index] = value
    return array


def symbolic_tensors(config: Config) -> SymbolicConv:
    """The input, weights, bias and upstream gradient of ``config`` as symbols."""
    entries = _entries(config)
    return SymbolicConv(config, *(_as_array(entries[n], s) for n, s in config.shapes.items()))


def _add(terms):
    return sympy.Add(*terms) if isinstance(terms[0], sympy.Basic) else sum(terms[1:], terms[0])


def _conv_entries(x, w, b, config: Config) -> dict:
    """``conv_entries`` as a dict, output index -> value, in numpy's order; ``x``, ``w``,
    ``b``: anything indexed by index tuples (numpy arrays, or dicts of them)."""
    out = {}
    geometry = list(zip(config.stride, config.dilation, [p for p, _ in config.padding]))
    taps = list(itertools.product(range(config.channels_per_group), *map(range, config.kernel)))
    for n, f in itertools.product(range(config.batch), range(config.filters)):
        first_channel = (f // config.filters_per_group) * config.channels_per_group
        for o in _indices(config.out_size):
            terms = [b[(f,)]]
            for c, *k in taps:
                at = [s * oi + d * ki - p for oi, ki, (s, d, p) in zip(o, k, geometry)]
                if all(0 <= a < size for a, size in zip(at, config.in_size)):
                    terms.append(w[(f, c, *k)] * x[(n, first_channel + c, *at)])
            out[(n, f, *o)] = _add(terms)
    return out


def conv_entries(x, w, b, config: Config) -> np.ndarray:
    """``Y[n,f,i] = b[f] + sum_{c,k} W[f,c,k] * X[n, g*C_g + c, s*i + d*k - P]``.

    ``x``, ``w``, ``b`` are object arrays (symbols, ring elements or numbers) of the
    shapes in ``config.shapes``; reads that fall in the padding are left out.
    """
    return _as_array(_conv_entries(x, w, b, config), config.shapes["delta"])


def correlate(x, w) -> np.ndarray:
    """The book's conv of one 2-D (or N-d) array by another, on symbols (Chapters 3, 5):
    ``Y[i, j] = sum over k, l of W[k, l] * X[i + k, j + l]``, where ``W`` fits inside ``X``."""
    import numpy as np

    x, w = np.asarray(x, dtype=object), np.asarray(w, dtype=object)
    config = Config.make(x.shape, w.shape)
    return conv_entries(x[None, None], w[None, None], {(0,): sympy.S.Zero}, config)[0, 0]


def symbolic_forward(tensors: SymbolicConv) -> np.ndarray:
    """The output ``Y`` of the configuration as an array of sympy expressions."""
    return conv_entries(tensors.x, tensors.w, tensors.b, tensors.config)


def loss(y: np.ndarray, delta: np.ndarray):
    """``L = sum(delta * Y)``: its gradient with respect to ``Y`` is ``delta``."""
    return _add([d * v for d, v in zip(delta.ravel(), y.ravel())])


@functools.lru_cache(maxsize=4096)
def true_gradients(config: Config) -> dict[str, dict]:
    """``y``, ``grad_x``, ``grad_w``, ``grad_b``: entry index -> polynomial (as in ``evaluate``).

    sympy differentiates ``L = sum(delta * Y)``, once per configuration.
    """
    tensors = _entries(config)
    keys = [(name, index) for name, entries in tensors.items() for index in entries]
    # sympy's sparse polynomial ring: exact integer arithmetic, fast differentiation
    _, *generators = ring([tensors[name][index] for name, index in keys], sympy.ZZ)
    as_ring = {name: {} for name in tensors}
    for (name, index), generator in zip(keys, generators):
        as_ring[name][index] = generator
    y = _conv_entries(as_ring["X"], as_ring["W"], as_ring["b"], config)
    total = _add([as_ring["delta"][index] * value for index, value in y.items()])

    def to_poly(element) -> dict:
        poly = {}
        for exponents, coeff in element.terms():
            factors = zip(itertools.compress(keys, exponents), filter(None, exponents))
            poly[tuple(sorted(key for key, power in factors for _ in range(power)))] = int(coeff)
        return poly

    truth = {"y": {index: to_poly(value) for index, value in y.items()}}
    for name in ("X", "W", "b"):  # diff by number: finding a generator by equality is slow
        grad = {key[1]: to_poly(total.diff(i)) for i, key in enumerate(keys) if key[0] == name}
        truth[f"grad_{name.lower()}"] = grad
    return truth
