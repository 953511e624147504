"""The grids of configurations each family of formulas is checked on.

``"small"`` grids are a handful of configurations a chapter checks inline;
``"full"`` grids are what the tests and the appendix check. Every grid is a
fixed list (no randomness at check time), so a report is reproducible.
"""

from __future__ import annotations

import itertools
import random

from .tensors import Config

#: (batch, channels, filters, groups) combinations for the general formulas
CHANNELS = ((1, 1, 1, 1), (2, 2, 3, 1), (1, 4, 2, 2), (1, 3, 3, 3), (2, 2, 4, 2))


def _axis_geometries(sizes, kernels, strides, paddings, dilations):
    """Every valid (size, kernel, stride, (before, after), dilation) along one axis."""
    out = []
    for size, kernel, stride, pad, dilation in itertools.product(
        sizes, kernels, strides, paddings, dilations
    ):
        before, after = pad
        if size + before + after - dilation * (kernel - 1) - 1 >= 0:
            out.append((size, kernel, stride, pad, dilation))
    return out


def _general(axes, channels) -> Config:
    batch, n_channels, filters, groups = channels
    return Config.make(
        tuple(a[0] for a in axes),
        tuple(a[1] for a in axes),
        batch=batch,
        channels=n_channels,
        filters=filters,
        groups=groups,
        stride=tuple(a[2] for a in axes),
        padding=tuple(a[3] for a in axes),
        dilation=tuple(a[4] for a in axes),
    )


def one_channel(size: str) -> list[Config]:
    """2-D, one channel, one filter, stride 1, no padding (Chapters 3-5)."""
    if size == "small":
        return [
            Config.make((3, 3), (2, 2)),
            Config.make((4, 5), (2, 3)),
            Config.make((5, 5), (3, 3)),
        ]
    per_axis = [(n, k) for n in range(1, 6) for k in range(1, 4) if k <= n]
    return [Config.make((a[0], b[0]), (a[1], b[1])) for a in per_axis for b in per_axis]


def multi_channel(size: str) -> list[Config]:
    """2-D, one sample, several channels and filters, stride 1, no padding (Chapter 6)."""
    if size == "small":
        return [
            Config.make((4, 4), (2, 2), channels=3, filters=2),
            Config.make((5, 4), (3, 2), channels=2, filters=4),
        ]
    return [
        Config.make(in_size, kernel, channels=channels, filters=filters)
        for in_size, kernel, (channels, filters) in itertools.product(
            ((4, 4), (5, 3), (3, 5), (2, 2)),
            ((1, 1), (2, 2), (3, 2), (2, 3)),
            ((1, 1), (3, 2), (2, 4), (1, 3)),
        )
    ]


def reader_q5(size: str) -> list[Config]:
    """One sample, no padding, no dilation, one stride for both axes (the reader's Q5)."""
    if size == "small":
        return [
            Config.make((5, 5), (3, 3), stride=2),
            Config.make((6, 5), (2, 3), stride=2, channels=2, filters=2),
            Config.make((7, 7), (3, 3), stride=3),
            Config.make((5, 4), (3, 2), stride=1),
        ]
    configs = []
    for (hh, ww), (fr, fc), stride, (channels, filters) in itertools.product(
        ((5, 5), (6, 4), (7, 6)),
        ((1, 1), (2, 3), (3, 3), (3, 2)),
        (1, 2, 3),
        ((1, 1), (2, 3)),
    ):
        configs.append(
            Config.make((hh, ww), (fr, fc), stride=stride, channels=channels, filters=filters)
        )
    return configs


def general_1d(size: str) -> list[Config]:
    """1-D, every combination of size, kernel, stride, padding, dilation and channels."""
    if size == "small":
        axes = [(5, 3, 2, (1, 1), 1), (7, 2, 3, (0, 2), 2), (4, 3, 1, (2, 2), 1)]
        return [_general((a,), CHANNELS[n % len(CHANNELS)]) for n, a in enumerate(axes)]
    axes = _axis_geometries(
        range(1, 7), (1, 2, 3), (1, 2, 3), ((0, 0), (1, 1), (2, 2), (0, 1), (2, 0)), (1, 2)
    )
    return [_general((a,), CHANNELS[n % len(CHANNELS)]) for n, a in enumerate(axes)]


def general_2d(size: str) -> list[Config]:
    """2-D: each axis geometry of a 1-D grid paired with another, channels cycled."""
    if size == "small":
        return [
            _general(((5, 3, 2, (1, 1), 1), (4, 2, 1, (0, 0), 1)), CHANNELS[1]),
            _general(((6, 3, 1, (1, 1), 2), (5, 3, 2, (0, 1), 1)), CHANNELS[2]),
            _general(((4, 2, 3, (2, 2), 1), (3, 3, 1, (1, 1), 1)), CHANNELS[3]),
        ]
    axes = _axis_geometries(range(2, 7), (1, 2, 3), (1, 2, 3), ((0, 0), (1, 1), (0, 2)), (1, 2))
    partners = list(axes)
    random.Random(5).shuffle(partners)
    configs = [
        _general((a, b), CHANNELS[n % len(CHANNELS)])
        for n, (a, b) in enumerate(zip(axes, partners, strict=True))
    ]
    return configs[::2]


def reader_q3(size: str) -> list[Config]:
    """One sample, stride 1, no padding, several channels and filters (the reader's Q3)."""
    if size == "small":
        return [
            Config.make((4, 4), (2, 2), channels=3, filters=2),
            Config.make((5, 3), (3, 2), channels=2, filters=4),
        ]
    return [
        Config.make(in_size, kernel, channels=channels, filters=filters)
        for in_size, kernel, (channels, filters) in itertools.product(
            ((4, 4), (5, 3), (3, 5)), ((1, 1), (2, 2), (3, 2), (1, 3)), ((1, 1), (3, 2), (2, 4))
        )
    ]


def q1(size: str) -> list[Config]:
    """The 3x3 input and 2x2 filter of Q1."""
    return [Config.make((3, 3), (2, 2))]


FAMILIES = {
    "one_channel": one_channel,
    "multi_channel": multi_channel,
    "reader_q3": reader_q3,
    "reader_q5": reader_q5,
    "general_1d": general_1d,
    "general_2d": general_2d,
    "q1": q1,
}


def grid(family: str, size: str = "full") -> list[Config]:
    """The configurations a family of formulas is checked on (``size``: small or full)."""
    if size not in ("small", "full"):
        raise ValueError(f"grid size must be 'small' or 'full', not {size!r}")
    return [config for config in FAMILIES[family](size) if config.is_valid]
