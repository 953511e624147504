"""Symbolic tensors: every entry a sympy symbol named as in the book (Appendix: notation).

A configuration (:class:`Config`) fixes every size of one convolution; the tensors
``X``, ``W``, ``b`` and ``delta`` of that configuration are arrays of symbols such
as ``x_{0,1,2,3}`` (sample 0, channel 1, row 2, column 3, zero-based, NCHW).
Reading an entry outside a tensor's range is an error here, never a silent zero.
"""

# ruff: noqa: B905  (every zip below pairs per-dimension tuples of one length)

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import sympy

#: The four tensors of one convolution, their book letters and their axes.
TENSOR_LATEX = {"X": "x", "W": "w", "b": "b", "delta": r"\delta", "Y": "y"}


def _per_dim(value, ndim: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * ndim
    return tuple(int(v) for v in value)


@dataclass(frozen=True)
class Config:
    """Every size of one convolution (zero-based, NCHW, as in the book's notation).

    ``padding`` holds one (before, after) pair per spatial dimension.
    """

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
    def make(
        cls,
        in_size,
        kernel,
        *,
        batch=1,
        channels=1,
        filters=1,
        groups=1,
        stride=1,
        padding=0,
        dilation=1,
    ) -> Config:
        """Build a configuration; ints mean "the same in every spatial dimension"."""
        in_size = _per_dim(in_size, 1) if isinstance(in_size, int) else tuple(in_size)
        ndim = len(in_size)
        if isinstance(padding, int):
            pads = ((padding, padding),) * ndim
        else:
            pads = tuple((p, p) if isinstance(p, int) else (int(p[0]), int(p[1])) for p in padding)
        return cls(
            batch,
            channels,
            filters,
            groups,
            in_size,
            _per_dim(kernel, ndim),
            _per_dim(stride, ndim),
            pads,
            _per_dim(dilation, ndim),
        )

    # --- derived sizes (the book's output-size formula, Chapters 8-10) -------------
    @property
    def ndim(self) -> int:
        return len(self.in_size)

    @property
    def out_size(self) -> tuple[int, ...]:
        return tuple(
            (n + before + after - d * (k - 1) - 1) // s + 1
            for n, k, s, (before, after), d in zip(
                self.in_size, self.kernel, self.stride, self.padding, self.dilation
            )
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
        return (
            self.channels % self.groups == 0
            and self.filters % self.groups == 0
            and all(o >= 1 for o in self.out_size)
        )

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {
            "X": (self.batch, self.channels, *self.in_size),
            "W": (self.filters, self.channels_per_group, *self.kernel),
            "b": (self.filters,),
            "delta": (self.batch, self.filters, *self.out_size),
        }

    @property
    def conv_kwargs(self) -> dict:
        """The same geometry as keyword arguments of ``convgrad.conv``."""
        return {
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "groups": self.groups,
        }

    def describe(self) -> str:
        """Short description, e.g. ``N=1 C=2 F=2 g=1 X 5x4 K 3x3 s=(2,1) p=(1,0) d=1``."""

        def dims(values):
            values = tuple(values)
            return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))

        pads = [b if b == a else f"{b}/{a}" for b, a in self.padding]
        return (
            f"N={self.batch} C={self.channels} F={self.filters} g={self.groups} "
            f"X {'x'.join(map(str, self.in_size))} K {'x'.join(map(str, self.kernel))} "
            f"s={dims(self.stride)} p={dims(pads)} d={dims(self.dilation)}"
        )


class SymbolicTensor:
    """An array of sympy symbols named ``x_{n,c,i,j}`` etc.; strict about its range."""

    def __init__(self, name: str, shape: tuple[int, ...]):
        self.name = name
        self.shape = tuple(shape)
        letter = TENSOR_LATEX[name]
        self.entries = np.empty(self.shape, dtype=object)
        for index in itertools.product(*(range(n) for n in self.shape)):
            label = ",".join(map(str, index))
            self.entries[index] = sympy.Symbol(f"{letter}_{{{label}}}")

    def contains(self, index) -> bool:
        return len(index) == len(self.shape) and all(0 <= i < n for i, n in zip(index, self.shape))

    def __getitem__(self, index):
        index = tuple(index) if isinstance(index, tuple) else (index,)
        if not self.contains(index):
            raise IndexError(f"{self.name}{list(index)} does not exist: shape {self.shape}")
        return self.entries[index]

    def keys(self):
        """Every index of the tensor, in C order."""
        return itertools.product(*(range(n) for n in self.shape))

    def __repr__(self) -> str:
        return f"SymbolicTensor({self.name!r}, shape={self.shape})"


@dataclass(frozen=True)
class SymbolicConv:
    """The four symbolic tensors of one configuration."""

    config: Config
    x: SymbolicTensor
    w: SymbolicTensor
    b: SymbolicTensor
    delta: SymbolicTensor

    def tensor(self, name: str) -> SymbolicTensor:
        return {"X": self.x, "W": self.w, "b": self.b, "delta": self.delta}[name]


def symbolic_tensors(config: Config) -> SymbolicConv:
    """The input, weights, bias and upstream gradient of ``config`` as symbols."""
    shapes = config.shapes
    return SymbolicConv(
        config,
        SymbolicTensor("X", shapes["X"]),
        SymbolicTensor("W", shapes["W"]),
        SymbolicTensor("b", shapes["b"]),
        SymbolicTensor("delta", shapes["delta"]),
    )
