"""The book's boxed formulas, each one :class:`~convgrad.symbolic.formula.Formula`.

``FORMULAS`` maps a name to the formula; chapters display ``FORMULAS[name]`` and
check it with ``convgrad.symbolic.check``. Zero-based and NCHW unless the formula
is a reader's own (Q5 is one-based, written as the reader wrote it).

- Chapters 3-5, one channel, stride 1, no padding: ``conv_1ch``, ``grad_w_1ch``,
  ``grad_b_1ch``, ``grad_x_scatter_1ch``, ``grad_x_gather_1ch``, ``grad_x_full_1ch``.
- Chapter 6, channels and filters (one sample, stride 1, no padding): ``conv_mc``,
  ``grad_w_mc``, ``grad_b_mc``, ``grad_x_gather_mc``, ``grad_x_full_mc``.
- Chapters 7-11, everything (batch, channels, filters, groups, stride, padding,
  dilation), 2-D: ``conv``, ``grad_w``, ``grad_w_as_conv``, ``grad_b``,
  ``grad_x_scatter``, ``grad_x_gather``, ``grad_x_full``; the same names ending in
  ``_1d`` and ``_3d`` for 1-D and 3-D (Chapter 11).
- The readers' own formulas (Q1, Q3, Q5, one-based where theirs are) are in
  ``questions.py``; both modules register in ``registry.FORMULAS``.
"""

from __future__ import annotations

import itertools
import random

import sympy

from .formula import Divides, Grad, Iverson, TensorRef, ceil, floor, minus, over, plus, times
from .registry import H_out, K_h, K_w, W_out, family, i, j, k, l, p, q, sum_over
from .tensors import Config, size_params

S = sympy.Symbol
_sum = sum_over

X = sympy.IndexedBase("X")
W = sympy.IndexedBase("W")
Y = sympy.IndexedBase("Y")
B = sympy.IndexedBase("b")
DELTA = sympy.IndexedBase(S("delta"))
DELTA_FULL = sympy.IndexedBase(S(r"\tilde{\delta}"))
DELTA_HAT = sympy.IndexedBase(S(r"\hat{\delta}"))
DELTA_CHECK = sympy.IndexedBase(S(r"\check{\delta}"))
X_PAD = sympy.IndexedBase(S(r"\bar{X}"))
b = S("b")


# === Chapters 3-6: stride 1, no padding; one channel, or channels and filters =================
c_, f_ = S("c"), S("f")
C_in, F_out = S("C"), S("F")
ONE_CHANNEL_PARAMS = size_params(
    {"K_h": "kernel_h", "K_w": "kernel_w", "H_out": "out_h", "W_out": "out_w"}
)
ONE_CHANNEL_DESCRIBE = (K_h, K_w, H_out, W_out)
MC_PARAMS = ONE_CHANNEL_PARAMS | size_params({"C": "channels", "F": "filters"})


def one_channel_configs(size: str) -> list[Config]:
    """2-D, one channel, one filter, stride 1, no padding; every size 1-5 and kernel 1-3."""
    if size == "small":
        return [
            Config.make(n, k) for n, k in (((3, 3), (2, 2)), ((4, 5), (2, 3)), ((5, 5), (3, 3)))
        ]
    per_axis = [(n, k) for n in range(1, 6) for k in range(1, 4) if k <= n]
    return [Config.make((a[0], b[0]), (a[1], b[1])) for a in per_axis for b in per_axis]


def multi_channel_configs(size: str) -> list[Config]:
    """2-D, one sample, several channels and filters, stride 1, no padding."""
    if size == "small":
        cases = [((4, 4), (2, 2), 3, 2), ((5, 4), (3, 2), 2, 4)]
    else:
        sizes, kernels = ((4, 4), (5, 3), (3, 5), (2, 2)), ((1, 1), (2, 2), (3, 2), (2, 3))
        counts = ((1, 1), (3, 2), (2, 4), (1, 3))
        cases = [(n, k, *cf) for n, k, cf in itertools.product(sizes, kernels, counts)]
    return [Config.make(n, k, channels=c, filters=f) for n, k, c, f in cases]


def _axes(*at) -> tuple[str, ...]:
    """The axes of a tensor addressed by ``at`` (channel, filter symbols), then h, w."""
    return (*map(str, at), "h", "w")


def _stride_one(make, suffix: str, titles: dict, *, channels: bool) -> None:
    """The stride-1 formulas: one channel (Chapters 3-5), or with channels and filters
    (Chapter 6), where W is addressed by (f, c), X by c, Y and δ by f, and sums run over
    the channels (forward) or the filters (input gradient)."""
    w_at, x_at, y_at = ((f_, c_), (c_,), (f_,)) if channels else ((), (), ())
    x_ref, w_ref = TensorRef("X", _axes(*x_at), "X"), TensorRef("W", _axes(*w_at), "W")
    d_ref, b_ref = TensorRef("delta", _axes(*y_at), "δ"), TensorRef("b", _axes(*y_at)[:-2], "b")
    bias = B[f_] if channels else b
    over_channels = [(c_, 0, plus(C_in, -1))] if channels else []
    over_filters = [(f_, 0, plus(F_out, -1))] if channels else []
    taps = [(k, 0, plus(K_h, -1)), (l, 0, plus(K_w, -1))]
    outs = [(i, 0, plus(H_out, -1)), (j, 0, plus(W_out, -1))]
    covering = [  # the outputs whose window covers X[p, q]
        (i, sympy.Max(0, plus(p, minus(K_h), 1), evaluate=False), sympy.Min(plus(H_out, -1), p)),
        (j, sympy.Max(0, plus(q, minus(K_w), 1), evaluate=False), sympy.Min(plus(W_out, -1), q)),
    ]

    def register(name, target, lhs, rhs, indices, tensors):
        axes = tuple(map(str, indices)) if target == "grad_b" else _axes(*indices[:-2])
        make(name + suffix, titles[name], target, lhs, rhs, indices, axes, tensors)

    forward = _sum(
        times(W[(*w_at, k, l)], X[(*x_at, plus(i, k), plus(j, l))]), *over_channels, *taps
    )
    register(
        "conv",
        "y",
        Y[(*y_at, i, j)],
        plus(bias, forward) if channels else plus(forward, bias),
        (*y_at, i, j),
        {B if channels else b: b_ref, W: w_ref, X: x_ref},
    )
    register(
        "grad_w",
        "grad_w",
        Grad(W[(*w_at, k, l)]),
        _sum(times(DELTA[(*y_at, i, j)], X[(*x_at, plus(i, k), plus(j, l))]), *outs),
        (*w_at, k, l),
        {DELTA: d_ref, X: x_ref},
    )
    register(
        "grad_b", "grad_b", Grad(bias), _sum(DELTA[(*y_at, i, j)], *outs), y_at, {DELTA: d_ref}
    )

    def input_gradient(name, delta, w_taps, *limits, conditions=(), ref=d_ref):
        """dL/dX[..., p, q]: the sum over ``limits`` of ``conditions``·``delta``·W[..., *w_taps]."""
        rhs = _sum(times(*conditions, delta, W[(*w_at, *w_taps)]), *limits)
        register(
            name, "grad_x", Grad(X[(*x_at, p, q)]), rhs, (*x_at, p, q), {delta.base: ref, W: w_ref}
        )

    if not channels:  # the scatter form, shown once
        scatter = [Iverson(sympy.Eq(plus(i, k), p)), Iverson(sympy.Eq(plus(j, l), q))]
        input_gradient("grad_x_scatter", DELTA[i, j], (k, l), *outs, *taps, conditions=scatter)
    input_gradient(
        "grad_x_gather",
        DELTA[(*y_at, i, j)],
        (plus(p, minus(i)), plus(q, minus(j))),
        *over_filters,
        *covering,
    )
    full = (
        (0, plus(H_out, times(2, plus(K_h, -1)), -1)),
        (0, plus(W_out, times(2, plus(K_w, -1)), -1)),
    )
    input_gradient(
        "grad_x_full",
        DELTA_FULL[(*y_at, plus(p, k), plus(q, l))],
        (plus(K_h, -1, minus(k)), plus(K_w, -1, minus(l))),
        *over_filters,
        *taps,
        ref=TensorRef(
            "delta",
            _axes(*y_at),
            "δ̃",
            extent=(*(None for _ in y_at), *full),
            shift=(*(0 for _ in y_at), plus(K_h, -1), plus(K_w, -1)),
        ),
    )


_stride_one(
    family(
        "one_channel", one_channel_configs, params=ONE_CHANNEL_PARAMS, describe=ONE_CHANNEL_DESCRIBE
    ),
    "_1ch",
    {
        "conv": "forward pass, one channel (cross-correlation)",
        "grad_w": "filter gradient, one channel: valid cross-correlation of X with δ",
        "grad_b": "bias gradient, one channel: the sum of δ",
        "grad_x_scatter": "input gradient, one channel, scatter: δ[i,j]·W[k,l] lands on "
        "X[i+k, j+l]",
        "grad_x_gather": "input gradient, one channel, gather: the outputs whose window covers "
        "X[p,q]",
        "grad_x_full": "input gradient, one channel: full cross-correlation of δ with the "
        "rotated kernel",
    },
    channels=False,
)
_stride_one(
    family(
        "multi_channel",
        multi_channel_configs,
        params=MC_PARAMS,
        describe=(C_in, F_out, *ONE_CHANNEL_DESCRIBE),
    ),
    "_mc",
    {
        "conv": "forward pass, channels and filters: each filter sums over every input channel",
        "grad_w": "filter gradient, channels and filters: input channel c correlated with δ "
        "of filter f",
        "grad_b": "bias gradient, one per filter: the sum of that filter's δ",
        "grad_x_gather": "input gradient, channels and filters, gather: every filter sends "
        "back through channel c",
        "grad_x_full": "input gradient, channels and filters: full correlation of δ with the "
        "rotated kernels, channel axes swapped (filter f becomes an input channel)",
    },
    channels=True,
)


# === Chapters 6-11: batch, channels, filters, groups, stride, padding, dilation ================
n, c, f, g = S("n"), S("c"), S("f"), S("g")
N, C_g, F_g = S("N"), S("C_g"), S("F_g")


#: (batch, channels, filters, groups) combinations for the general formulas, cycled
CHANNELS = ((1, 1, 1, 1), (2, 2, 3, 1), (1, 4, 2, 2), (1, 3, 3, 3), (2, 2, 4, 2))


def _general_configs(axes_list, start=0) -> list[Config]:
    """Per axis (size, kernel, stride, (before, after), dilation); channels cycled."""
    configs = []
    for number, axes in enumerate(axes_list, start):
        size, kernel, stride, padding, dilation = zip(*axes, strict=True)
        batch, channels, filters, groups = CHANNELS[number % len(CHANNELS)]
        counts = dict(batch=batch, channels=channels, filters=filters, groups=groups)
        geometry = dict(stride=stride, padding=padding, dilation=dilation)
        configs.append(Config.make(size, kernel, **counts, **geometry))
    return configs


def _axis_geometries(sizes, kernels, strides, paddings, dilations):
    """Every (size, kernel, stride, (before, after), dilation) along one axis with an output."""
    return [
        (n, k, s, pad, d)
        for n, k, s, pad, d in itertools.product(sizes, kernels, strides, paddings, dilations)
        if n + sum(pad) - d * (k - 1) - 1 >= 0
    ]


def general_1d_configs(size: str) -> list[Config]:
    """1-D, every combination of size 1-6, kernel, stride, padding, dilation; channels cycled."""
    if size == "small":
        return _general_configs(
            [[(5, 3, 2, (1, 1), 1)], [(7, 2, 3, (0, 2), 2)], [(4, 3, 1, (2, 2), 1)]]
        )
    paddings = ((0, 0), (1, 1), (2, 2), (0, 1), (2, 0))
    axes = _axis_geometries(range(1, 7), (1, 2, 3), (1, 2, 3), paddings, (1, 2))
    return _general_configs([axis] for axis in axes)


def general_2d_configs(size: str) -> list[Config]:
    """2-D: each axis geometry of a 1-D grid paired with another, channels cycled."""
    if size == "small":
        return _general_configs(
            [
                ((5, 3, 2, (1, 1), 1), (4, 2, 1, (0, 0), 1)),
                ((6, 3, 1, (1, 1), 2), (5, 3, 2, (0, 1), 1)),
                ((4, 2, 3, (2, 2), 1), (3, 3, 1, (1, 1), 1)),
            ],
            start=1,
        )
    axes = _axis_geometries(range(2, 7), (1, 2, 3), (1, 2, 3), ((0, 0), (1, 1), (0, 2)), (1, 2))
    partners = list(axes)
    random.Random(5).shuffle(partners)
    return _general_configs(zip(axes, partners, strict=True))[::2]


def general_3d_configs(size: str) -> list[Config]:
    """3-D: small volumes; stride, padding (also uneven) and dilation each on some axis."""
    volumes = [
        ((3, 2, 1, (0, 0), 1), (4, 2, 2, (1, 1), 1), (3, 2, 1, (0, 1), 1)),
        ((4, 2, 2, (1, 0), 1), (3, 2, 1, (1, 1), 1), (5, 2, 1, (0, 0), 2)),
        ((3, 1, 1, (0, 0), 1), (5, 3, 2, (1, 1), 2), (4, 2, 3, (1, 1), 1)),
        ((2, 2, 1, (1, 1), 2), (3, 1, 2, (0, 0), 1), (3, 3, 1, (1, 1), 1)),
        ((3, 2, 2, (0, 0), 1), (3, 2, 1, (0, 0), 1), (4, 2, 2, (2, 0), 1)),
    ]
    return _general_configs(volumes[:2] if size == "small" else volumes)


GENERAL_CONFIGS = {1: general_1d_configs, 2: general_2d_configs, 3: general_3d_configs}


def _titled(title: str, ndim: int) -> str:
    if ndim == 2:
        return title
    return title[:-1] + f"; {ndim}-D)" if title.endswith(")") else title + f" ({ndim}-D)"


#: per dimension count: output, tap, input and spread-tap letters, axis tags, axes, sizes.
#: One meaning per letter (book/notation.md): a 1-D length is H (H_in, H_out), never L, the
#: loss's letter; the spread-tap letters u, v are not b, the bias's, nor r; the depth axis
#: of 3-D takes Greek letters that the book uses for nothing else.
LETTERS = {
    1: ((i,), (k,), (p,), (S("u"),), ("",), ("l",), ("H",)),
    2: ((i, j), (k, l), (p, q), (S("u"), S("v")), ("_h", "_w"), ("h", "w"), ("H", "W")),
    3: (
        (S("omega"), i, j),
        (S("kappa"), k, l),
        (S("psi"), p, q),
        (S("zeta"), S("u"), S("v")),
        ("_d", "_h", "_w"),
        ("d", "h", "w"),
        ("D", "H", "W"),
    ),
}


def _general(ndim: int) -> None:
    outs, taps, ins, spread_taps, tags, axes, size_letters = LETTERS[ndim]
    out_sizes = tuple(S(f"{letter}_out") for letter in size_letters)
    in_sizes = tuple(S(f"{letter}_in") for letter in size_letters)
    stride, pad, dil, kernel, pad_after = (
        tuple(S(f"{name}{t}") for t in tags) for name in ("s", "P", "d", "K", "P^+")
    )
    params = {N: lambda cfg: cfg.batch, C_g: lambda cfg: cfg.channels_per_group}
    params[F_g] = lambda cfg: cfg.filters_per_group
    for dim in range(ndim):
        params[kernel[dim]] = lambda cfg, dim=dim: cfg.kernel[dim]
        params[stride[dim]] = lambda cfg, dim=dim: cfg.stride[dim]
        params[pad[dim]] = lambda cfg, dim=dim: cfg.padding[dim][0]
        params[dil[dim]] = lambda cfg, dim=dim: cfg.dilation[dim]
        params[out_sizes[dim]] = lambda cfg, dim=dim: cfg.out_size[dim]
        params[in_sizes[dim]] = lambda cfg, dim=dim: cfg.in_size[dim]
        params[pad_after[dim]] = lambda cfg, dim=dim: cfg.padding[dim][1]
    describe = (N, C_g, F_g, *kernel, *stride, *pad, *dil, *out_sizes)
    x_axes = ("n", "c", *axes)
    padded = tuple((minus(pad[a]), plus(in_sizes[a], pad_after[a], -1)) for a in range(ndim))
    x_pad = TensorRef("X", x_axes, "X̄", extent=(None, None, *padded))
    w_ref = TensorRef("W", ("f", "c", *axes), "W")
    d_ref = TensorRef("delta", ("n", "f", *axes), "δ")
    pad_note = (r"P,\ P^{+}\text{: the padding before and after, per spatial axis}",)
    # the input position a tap reads: s*i + d*k - P
    reads = tuple(
        plus(times(stride[a], outs[a]), times(dil[a], taps[a]), minus(pad[a])) for a in range(ndim)
    )

    def x_bar(positions):  # X̄ at the input positions, in channel c of the filter's group
        return X_PAD[(n, plus(times(g, C_g), c), *positions)]

    tap_limits = [(taps[a], 0, plus(kernel[a], -1)) for a in range(ndim)]
    out_limits = [(outs[a], 0, plus(out_sizes[a], -1)) for a in range(ndim)]
    over_batch = (n, 0, plus(N, -1))
    group_of_filter = ((g, floor(over(f, F_g))),)
    padded_group = dict(definitions=group_of_filter, where=pad_note)  # what reads X̄ defines
    group_of_channel = ((g, floor(over(c, C_g))),)
    filter_limit = (f, times(g, F_g), plus(times(g, F_g), F_g, -1))
    channel_in_group = plus(c, minus(times(g, C_g)))
    make = family(f"general_{ndim}d", GENERAL_CONFIGS[ndim], params=params, describe=describe)
    suffix = {1: "_1d", 2: "", 3: "_3d"}[ndim]

    def register(name, title, *fields, **extra):
        make(name + suffix, _titled(title, ndim), *fields, **extra)

    register(
        "conv",
        "forward pass: channels, filters, groups, stride, padding, dilation",
        "y",
        Y[(n, f, *outs)],
        plus(
            B[f],
            _sum(
                times(W[(f, c, *taps)], x_bar(reads)),
                (c, 0, plus(C_g, -1)),
                *tap_limits,
            ),
        ),
        (n, f, *outs),
        ("n", "f", *axes),
        {B: TensorRef("b", ("f",), "b"), W: w_ref, X_PAD: x_pad},
        **padded_group,
    )

    def filter_gradient(name, title, delta, positions, *limits, ref=d_ref):
        """dL/dW[f, c, ...]: the sum over the batch and ``limits`` of ``delta``·X̄ read at
        ``positions`` in channel g C_g + c; ``ref``: what ``delta`` reads."""
        register(
            name,
            title,
            "grad_w",
            Grad(W[(f, c, *taps)]),
            _sum(times(delta, x_bar(positions)), over_batch, *limits),
            (f, c, *taps),
            ("f", "c", *axes),
            {delta.base: ref, X_PAD: x_pad},
            **padded_group,
        )

    filter_gradient(
        "grad_w",
        "filter gradient: correlation of X with δ, summed over the batch",
        DELTA[(n, f, *outs)],
        reads,
        *out_limits,
    )
    # the same gradient as a convolution: X correlated with delta spread out by the
    # stride (zeros inserted), stepping by the dilation; stride and dilation swap roles
    filter_gradient(
        "grad_w_as_conv",
        "filter gradient as a convolution: X correlated with δ spread out by the stride, "
        "stepping by the dilation (stride and dilation swap roles)",
        DELTA_CHECK[(n, f, *spread_taps)],
        [plus(times(dil[a], taps[a]), spread_taps[a], minus(pad[a])) for a in range(ndim)],
        *[(spread_taps[a], 0, times(stride[a], plus(out_sizes[a], -1))) for a in range(ndim)],
        ref=TensorRef(
            "delta",
            ("n", "f", *axes),
            "δ̌",
            extent=(
                None,
                None,
                *((0, times(stride[a], plus(out_sizes[a], -1))) for a in range(ndim)),
            ),
            step=(1, 1, *stride),
        ),
    )
    register(
        "grad_b",
        "bias gradient: δ summed over the batch and every position",
        "grad_b",
        Grad(B[f]),
        _sum(DELTA[(n, f, *outs)], over_batch, *out_limits),
        (f,),
        ("f",),
        {DELTA: d_ref},
    )

    def input_gradient(name, title, delta, w_taps, *limits, conditions=(), ref=d_ref, bounds=()):
        """dL/dX[n, c, ...]: the sum over the group's filters and ``limits`` of
        ``conditions``·``delta``·W[f, c - g C_g, *w_taps]; ``ref``: what ``delta`` reads."""
        rhs = _sum(
            times(*conditions, delta, W[(f, channel_in_group, *w_taps)]), filter_limit, *limits
        )
        register(
            name,
            title,
            "grad_x",
            Grad(X[(n, c, *ins)]),
            rhs,
            (n, c, *ins),
            x_axes,
            {delta.base: ref, W: w_ref},
            definitions=(*group_of_channel, *bounds),
        )

    input_gradient(
        "grad_x_scatter",
        "input gradient, scatter: δ·W lands on the input position the tap read",
        DELTA[(n, f, *outs)],
        taps,
        *out_limits,
        *tap_limits,
        conditions=[Iverson(sympy.Eq(reads[a], ins[a])) for a in range(ndim)],
    )
    # gather: the outputs i whose tap (p + P - s*i)/d is a whole number in 0..K-1
    low = tuple(S(f"{o}_lo") for o in outs)
    high = tuple(S(f"{o}_hi") for o in outs)
    bounds = []
    for a in range(ndim):
        reach = plus(ins[a], pad[a], minus(times(dil[a], plus(kernel[a], -1))))
        last = floor(over(plus(ins[a], pad[a]), stride[a]))  # the last output that reaches p
        bounds.append((low[a], sympy.Max(0, ceil(over(reach, stride[a])), evaluate=False)))
        bounds.append((high[a], sympy.Min(plus(out_sizes[a], -1), last, evaluate=False)))
    offsets = tuple(plus(ins[a], pad[a], minus(times(stride[a], outs[a]))) for a in range(ndim))
    input_gradient(
        "grad_x_gather",
        "input gradient, gather: exact bounds on the outputs that read X[n,c,p,q]",
        DELTA[(n, f, *outs)],
        [over(offsets[a], dil[a]) for a in range(ndim)],
        *[(outs[a], low[a], high[a]) for a in range(ndim)],
        conditions=[Divides(dil[a], offsets[a]) for a in range(ndim)],
        bounds=bounds,
    )
    # full: zero-insert delta (stride), pad it, correlate with the rotated, swapped kernel
    input_gradient(
        "grad_x_full",
        "input gradient: full correlation of zero-inserted δ with the rotated, "
        "channel-swapped kernel",
        DELTA_HAT[(n, f, *(plus(ins[a], times(dil[a], taps[a])) for a in range(ndim)))],
        [plus(kernel[a], -1, minus(taps[a])) for a in range(ndim)],
        *tap_limits,
        ref=TensorRef(
            "delta",
            ("n", "f", *axes),
            "δ̂",
            extent=(
                None,
                None,
                *(
                    (0, plus(in_sizes[a], times(dil[a], plus(kernel[a], -1)), -1))
                    for a in range(ndim)
                ),
            ),
            shift=(
                0,
                0,
                *(plus(times(dil[a], plus(kernel[a], -1)), minus(pad[a])) for a in range(ndim)),
            ),
            step=(1, 1, *stride),
        ),
    )


for _ndim in (2, 1, 3):
    _general(_ndim)
