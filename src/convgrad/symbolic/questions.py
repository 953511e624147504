"""The readers' formulas, in the readers' own notation (one-based where they are).

Each is one :class:`~convgrad.symbolic.formula.Formula` in ``registry.FORMULAS``,
next to the grid it is checked on. Those the book shows to be wrong carry
``expected=False``: their check must fail, and the report says where and why.

- Q1 (V1..V9, W1..W4, G1..G4): ``q1_conv``, ``q1_grad_w`` (the reader's guess, right).
- Q3 (channels last, stride 1): ``q3_conv``, ``q3_grad_x_reader`` (right only when
  δ is read as zero outside its range), ``q3_grad_x`` (exact bounds), ``q3_grad_w`` and
  ``q3_grad_b`` (the textbook's exercise).
- Q5 (strided): ``q5_conv``, ``q5_grad_x_reader`` (as asked, wrong),
  ``q5_grad_x_ceil_only`` and ``q5_grad_x_clip_only`` (half-corrected, still wrong),
  ``q5_grad_x`` (corrected), ``q5_grad_w``, ``q5_grad_b``.
"""

from __future__ import annotations

import itertools

import sympy

from .formula import Alias, Grad, TensorRef, ceil, floor, minus, over, plus, times
from .registry import H_out, K_h, K_w, W_out, family, i, j, k, p, q, sum_over
from .tensors import Config, size_params

S = sympy.Symbol
f = S("f")


def _forward(make, name, title, lhs, *, w, x, bias, inner, axes, refs):
    """A reader's forward pass: ``lhs = Σ w·x + bias``, summed over ``inner`` (the channels,
    then the taps); ``refs``: each letter's tensor."""
    tensors = {read.base: refs[read.base] for read in (w, x, bias)}
    rhs = plus(sum_over(times(w, x), *inner), bias)
    return make(name, title, "y", lhs, rhs, lhs.indices, axes, tensors)


def _parameter_gradients(make, names, titles, delta, outs, *, w, x, bias, refs, **extra):
    """The gradients the forward pass ``Σ w·x + bias`` gives its parameters, each summed over
    ``outs`` (the outputs): ``Σ delta·x`` for ``w``, ``Σ delta`` for ``bias``."""
    for name, title, target, param, reads in (
        (names[0], titles[0], "grad_w", w, (delta, x)),
        (names[1], titles[1], "grad_b", bias, (delta,)),
    ):
        tensors = {read.base: refs[read.base] for read in reads}
        rhs, axes = sum_over(times(*reads), *outs), refs[param.base].axes
        make(name, title, target, Grad(param), rhs, param.indices, axes, tensors, **extra)


# === Q5, in the reader's notation: one-based, no batch, no padding ============================
ch, r, cc = S("ch"), S("r"), S("c")
s, f_r, f_c, h, w, n_ch, n_f = (S(name) for name in ("s", "f_r", "f_c", "h", "w", "n_ch", "n_f"))
h_O, w_O = S("h_O"), S("w_O")
i_lo, i_hi, j_lo, j_hi = S("i_lo"), S("i_hi"), S("j_lo"), S("j_hi")
X5, W5, B5, O5 = (sympy.IndexedBase(name) for name in ("X", "W", "b", "O"))
D5 = sympy.IndexedBase(S(r"\frac{\partial L}{\partial O}"))
Q5_PARAMS = size_params(
    {"s": "stride", "f_r": "kernel_h", "f_c": "kernel_w", "h": "in_h", "w": "in_w"}
    | {"n_ch": "channels", "n_f": "filters"}
)
Q5_SIZES = (
    (h_O, plus(floor(over(plus(h, minus(f_r)), s)), 1)),
    (w_O, plus(floor(over(plus(w, minus(f_c)), s)), 1)),
)
Q5_X = TensorRef("X", ("c", "h", "w"), "X")
Q5_W = TensorRef("W", ("f", "c", "h", "w"), "W")
Q5_D = TensorRef("delta", ("f", "h", "w"), "dL/dO")


def q5_configs(size: str) -> list[Config]:
    """One sample, no padding, no dilation, one stride for both axes (as in Q5)."""
    if size == "small":
        cases = [((5, 5), (3, 3), 2, 1), ((6, 5), (2, 3), 2, 2), ((7, 7), (3, 3), 3, 1)]
        cases = [(n, k, stride, c, c) for n, k, stride, c in [*cases, ((5, 4), (3, 2), 1, 1)]]
    else:
        sizes, kernels = ((5, 5), (6, 4), (7, 6)), ((1, 1), (2, 3), (3, 3), (3, 2))
        counts = ((1, 1), (2, 3))
        cases = [
            (n, k, s, *cf) for n, k, s, cf in itertools.product(sizes, kernels, (1, 2, 3), counts)
        ]
    return [Config.make(n, k, stride=s, channels=c, filters=f) for n, k, s, c, f in cases]


_q5 = family(
    "reader_q5",
    q5_configs,
    params=Q5_PARAMS,
    index_base=1,
    brackets=True,
    describe=(s, f_r, f_c, h, w, n_ch, n_f),
)


def _q5_reads(row, col):
    return (plus(times(plus(i, -1), s), row), plus(times(plus(j, -1), s), col))


#: the letters of the reader's forward pass, and what each stands for
Q5_LAYER = dict(
    w=W5[f, ch, r, cc],
    x=X5[(ch, *_q5_reads(r, cc))],
    bias=B5[f],
    refs={W5: Q5_W, X5: Q5_X, B5: TensorRef("b", ("f",), "b"), D5: Q5_D},
)
_forward(
    _q5,
    "q5_conv",
    "Q5: the reader's forward pass (one-based)",
    O5[f, i, j],
    inner=((ch, 1, n_ch), (r, 1, f_r), (cc, 1, f_c)),
    axes=("f", "h", "w"),
    **Q5_LAYER,
)


def _q5_grad_x(name, title, bounds, note=""):
    """The input gradient with the bounds ``bounds`` defines; right only with no ``note``
    (what is still wrong)."""
    return _q5(
        name,
        title,
        "grad_x",
        Grad(X5[ch, p, q]),
        sum_over(
            times(
                D5[f, i, j],
                W5[
                    f,
                    ch,
                    plus(p, minus(times(plus(i, -1), s))),
                    plus(q, minus(times(plus(j, -1), s))),
                ],
            ),
            (f, 1, n_f),
            (i, i_lo, i_hi),
            (j, j_lo, j_hi),
        ),
        (ch, p, q),
        ("c", "h", "w"),
        {D5: Q5_D, W5: Q5_W},
        definitions=bounds,
        expected=not note,
        note=note,
    )


def _q5_bounds(*, exact: bool, clipped: bool):
    """i_lo..j_hi, the windows that read X[ch, p, q]: rounded as the reader did,
    ``floor((p - f_r)/s + 1)`` .. ``floor((p - 1)/s + 1)``, or exactly, ``ceil((p - f_r)/s) + 1``
    .. ``floor((p - 1)/s) + 1``; clipped to the output's 1..h_O, 1..w_O or not."""

    def bound(index, offset, rounding):
        if exact:
            return plus(rounding(over(plus(index, offset), s)), 1)
        return floor(plus(over(plus(index, offset), s), 1))

    bounds = []
    for (low, high), index, size, last in (
        ((i_lo, i_hi), p, f_r, h_O),
        ((j_lo, j_hi), q, f_c, w_O),
    ):
        first, final = bound(index, minus(size), ceil), bound(index, -1, floor)
        if clipped:
            first, final = (
                sympy.Max(1, first, evaluate=False),
                sympy.Min(last, final, evaluate=False),
            )
        bounds += [(low, first), (high, final)]
    return (*Q5_SIZES, *bounds) if clipped else tuple(bounds)


# the reader's formula and its three neighbours: rounding fixed or not, bounds clipped or not
_q5_grad_x(
    "q5_grad_x_reader",
    "Q5: the reader's input gradient, exactly as asked",
    _q5_bounds(exact=False, clipped=False),
    note="rounds the lower bound down and never clips the bounds to 1..h_O",
)
_q5_grad_x(
    "q5_grad_x_ceil_only",
    "Q5: lower bound rounded up, bounds not clipped",
    _q5_bounds(exact=True, clipped=False),
    note="fixes the rounding; still reads δ outside 1..h_O near the borders",
)
_q5_grad_x(
    "q5_grad_x_clip_only",
    "Q5: bounds clipped to 1..h_O, lower bound still rounded down",
    _q5_bounds(exact=False, clipped=True),
    note="fixes the borders; still reads W past f_r when s does not divide p - f_r",
)
_q5_grad_x(
    "q5_grad_x",
    "Q5: the input gradient with corrected bounds",
    _q5_bounds(exact=True, clipped=True),
)
_parameter_gradients(
    _q5,
    ("q5_grad_w", "q5_grad_b"),
    (
        "Q5: the reader's filter gradient (bounds made explicit)",
        "Q5: the reader's bias gradient (bounds made explicit)",
    ),
    D5[f, i, j],
    ((i, 1, h_O), (j, 1, w_O)),
    definitions=Q5_SIZES,
    **Q5_LAYER,
)


# === Q1, in the reader's numbering: V1..V9 (3x3, row by row), W1..W4 (2x2), G1..G4 ============
kk, m = S("k"), S("m")
V1 = sympy.IndexedBase("V")
W1 = sympy.IndexedBase("W")
G1 = sympy.IndexedBase("G")
NU = S("nu")
# the pixel under W_m when the filter sits on window k: row, column of each, one-based
_nu = plus(
    times(3, plus(floor(over(plus(kk, -1), 2)), floor(over(plus(m, -1), 2)))),
    sympy.Mod(plus(kk, -1), 2, evaluate=False),
    sympy.Mod(plus(m, -1), 2, evaluate=False),
    1,
)
Q1_WHERE = (
    r"\nu(k, m) = 3\left(\left\lfloor\tfrac{k-1}{2}\right\rfloor"
    r" + \left\lfloor\tfrac{m-1}{2}\right\rfloor\right)"
    r" + (k-1) \bmod 2 + (m-1) \bmod 2 + 1"
    r"\text{: the pixel under } W_m \text{ in window } k",
)
Q1_TENSORS = {
    V1: TensorRef("X", ("h", "w"), "V", flat=True),
    W1: TensorRef("W", ("h", "w"), "W", flat=True),
}


_q1_family = family(
    "q1",
    lambda size: [Config.make((3, 3), (2, 2))],  # Q1's own 3x3 input and 2x2 filter
    params={},
    index_base=1,
    target_flat=True,
    where=Q1_WHERE,
    loss="E",
)


def _q1(name, title, target, lhs, rhs, index, tensors, **extra):
    return _q1_family(name, title, target, lhs, rhs, (index,), ("h", "w"), tensors, **extra)


_q1(
    "q1_conv",
    "Q1: the four outputs G1..G4 of a 3x3 input and a 2x2 filter",
    "y",
    G1[kk],
    sum_over(times(W1[m], V1[Alias(NU, _nu, kk, m)]), (m, 1, 4)),
    kk,
    Q1_TENSORS,
    bias=False,
)
_q1(
    "q1_grad_w",
    "Q1: the reader's guess dE/dW_m = sum over windows k of dE/dG_k times V(k)",
    "grad_w",
    Grad(W1[m]),
    sum_over(times(Grad(G1[kk]), V1[Alias(NU, _nu, kk, m)]), (kk, 1, 4)),
    m,
    {**Q1_TENSORS, G1: TensorRef("delta", ("h", "w"), "dE/dG", flat=True)},
)


# === Q3, in the reader's notation: one-based, channels last, stride 1, no padding ==============
mm, nn, u, a_, b_ = S("m"), S("n"), S("u"), S("a"), S("b")
F_total, C_total = S("F"), S("C")
DELTA_L = sympy.IndexedBase(S(r"\delta^{l}"))
DELTA_NEXT = sympy.IndexedBase(S(r"\delta^{l+1}"))
W3, X3, Z3, B3 = (sympy.IndexedBase(name) for name in ("w", "x", "z", "beta"))
Q3_PARAMS = size_params(
    {"K_h": "kernel_h", "K_w": "kernel_w", "H_out": "out_h", "W_out": "out_w"}
    | {"F": "filters", "C": "channels"}
)
Q3_NEXT = TensorRef("delta", ("h", "w", "f"), "δˡ⁺¹")
Q3_W = TensorRef("W", ("h", "w", "c", "f"), "w")
Q3_X = TensorRef("X", ("h", "w", "c"), "x")


def q3_configs(size: str) -> list[Config]:
    """One sample, stride 1, no padding, several channels and filters (as in Q3)."""
    if size == "small":
        cases = [((4, 4), (2, 2), (3, 2)), ((5, 3), (3, 2), (2, 4))]
    else:
        sizes, kernels = ((4, 4), (5, 3), (3, 5)), ((1, 1), (2, 2), (3, 2), (1, 3))
        cases = itertools.product(sizes, kernels, ((1, 1), (3, 2), (2, 4)))
    return [Config.make(n, k, channels=c, filters=f) for n, k, (c, f) in cases]


_q3 = family(
    "reader_q3",
    q3_configs,
    params=Q3_PARAMS,
    index_base=1,
    brackets=True,
    describe=(K_h, K_w, H_out, W_out, C_total, F_total),
)


Q3_LAYER = dict(
    w=W3[a_, b_, u, k],
    x=X3[plus(i, a_, -1), plus(j, b_, -1), u],
    bias=B3[k],
    refs={W3: Q3_W, X3: Q3_X, B3: TensorRef("b", ("f",), "β"), DELTA_NEXT: Q3_NEXT},
)
_forward(
    _q3,
    "q3_conv",
    "Q3: the forward pass, one-based, channels last",
    Z3[i, j, k],
    inner=((u, 1, C_total), (a_, 1, K_h), (b_, 1, K_w)),
    axes=("h", "w", "f"),
    **Q3_LAYER,
)


def _q3_grad_x(name, title, a_range, b_range, **extra):
    """The input gradient summed over every filter and the kernel taps ``a_range``, ``b_range``."""
    return _q3(
        name,
        title,
        "grad_x",
        DELTA_L[mm, nn, u],
        sum_over(
            times(DELTA_NEXT[plus(mm, minus(a_), 1), plus(nn, minus(b_), 1), k], W3[a_, b_, u, k]),
            (k, 1, F_total),
            (a_, *a_range),
            (b_, *b_range),
        ),
        (mm, nn, u),
        ("h", "w", "c"),
        {DELTA_NEXT: Q3_NEXT, W3: Q3_W},
        **extra,
    )


_q3_grad_x(
    "q3_grad_x_reader",
    "Q3: the reader's input gradient, sums over every filter and kernel tap",
    (1, K_h),
    (1, K_w),
    expected=False,
    note="right only if δˡ⁺¹ is read as zero outside its range",
)
a_lo, a_hi, b_lo, b_hi = S("a_lo"), S("a_hi"), S("b_lo"), S("b_hi")
_q3_grad_x(
    "q3_grad_x",
    "Q3: the input gradient with the kernel taps bounded by the output's border",
    (a_lo, a_hi),
    (b_lo, b_hi),
    definitions=(
        (a_lo, sympy.Max(1, plus(mm, minus(H_out), 1), evaluate=False)),
        (a_hi, sympy.Min(K_h, mm, evaluate=False)),
        (b_lo, sympy.Max(1, plus(nn, minus(W_out), 1), evaluate=False)),
        (b_hi, sympy.Min(K_w, nn, evaluate=False)),
    ),
)
_parameter_gradients(
    _q3,
    ("q3_grad_w", "q3_grad_b"),
    (
        "Q3: the weight gradient (the reader's exercise)",
        "Q3: the bias gradient, one per filter (the reader's exercise)",
    ),
    DELTA_NEXT[i, j, k],
    ((i, 1, H_out), (j, 1, W_out)),
    **Q3_LAYER,
)
