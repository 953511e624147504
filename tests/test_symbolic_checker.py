"""The checker itself: it must fail on broken formulas, or it proves nothing.

Each test below breaks one book formula in one way a derivation typically goes
wrong (an off-by-one index, a missing channel sum, an unflipped kernel, a wrong
bound, a stride forgotten) and asserts that the check reports it, in words.
"""

import pytest
import sympy

from convgrad.symbolic import FORMULAS, Config, check
from convgrad.symbolic.catalog import (
    DELTA,
    DELTA_FULL,
    H_out,
    K_h,
    K_w,
    W,
    W_out,
    X,
    i,
    j,
    k,
    l,
    p,
    q,
)
from convgrad.symbolic.formula import minus, plus, times

S = sympy.Symbol


def _sum(body, *limits):
    return sympy.Sum(body, *reversed(limits))


def test_off_by_one_index_fails():
    good = FORMULAS["grad_w_1ch"]
    broken = good.variant(
        name="grad_w_1ch_off_by_one",
        rhs=_sum(
            times(DELTA[i, j], X[plus(i, k, 1), plus(j, l)]),
            (i, 0, plus(H_out, -1)),
            (j, 0, plus(W_out, -1)),
        ),
    )
    report = check(broken, "small")
    assert not report.passed
    assert report.nonexistent > 0 and report.missing > 0
    assert any("which does not exist" in str(c) for c in report.counterexamples)
    assert report.numeric_mismatches > 0  # the numbers disagree with convgrad too


def test_missing_channel_sum_fails_only_with_several_channels():
    good = FORMULAS["conv"]
    c = S("c")
    # drop the sum over input channels: keep channel c = 0 of the group only
    body = good.rhs.args[1].function.subs(c, 0)
    limits = [lim for lim in good.rhs.args[1].limits if lim[0] != c]
    broken = good.variant(
        name="conv_no_channel_sum", rhs=plus(good.rhs.args[0], sympy.Sum(body, *limits))
    )
    one_channel = [Config.make((4, 4), (2, 2), channels=1, filters=2)]
    two_channels = [Config.make((4, 4), (2, 2), channels=2, filters=2)]
    assert check(broken, one_channel).passed
    report = check(broken, two_channels)
    assert not report.passed and report.missing > 0
    assert "misses" in report.first


def test_unflipped_kernel_fails():
    good = FORMULAS["grad_x_full_1ch"]
    broken = good.variant(
        name="grad_x_full_unflipped",
        rhs=_sum(
            times(DELTA_FULL[plus(p, k), plus(q, l)], W[k, l]),
            (k, 0, plus(K_h, -1)),
            (l, 0, plus(K_w, -1)),
        ),
    )
    report = check(broken, "small")
    assert not report.passed
    assert report.missing > 0 and report.extra > 0
    # a 1x1 kernel is its own rotation: there the unflipped formula is right
    assert check(broken, [Config.make((3, 4), (1, 1))]).passed


def test_a_variant_describes_itself_not_in_the_originals_words():
    good = FORMULAS["q5_grad_x_reader"]
    unrotated = _sum(
        times(DELTA_FULL[plus(p, k), plus(q, l)], W[k, l]),
        (k, 0, plus(K_h, -1)),
        (l, 0, plus(K_w, -1)),
    )
    untitled = FORMULAS["grad_x_full_1ch"].variant(name="grad_x_full_unflipped", rhs=unrotated)
    assert untitled.title == "a variant of grad_x_full_1ch (rhs changed)"
    report = check(untitled, "small")
    assert str(report).splitlines()[0] == f"grad_x_full_unflipped: {untitled.title}"
    assert "rotated" not in str(report)
    titled = good.variant(name="q5_renamed", title="Q5's formula under another name")
    assert titled.title == "Q5's formula under another name"
    assert good.note and not titled.note  # the original's reason is not the variant's
    assert good.variant(name="q5_noted", note="why").note == "why"
    with pytest.raises(ValueError, match="name of its own"):
        good.variant(name=good.name)


def test_wrong_upper_bound_fails_strictly_and_passes_under_zero_reading():
    good = FORMULAS["grad_x_gather_1ch"]
    # upper bound p instead of min(H_out - 1, p): i may pass the last output row
    broken = good.variant(
        name="gather_unclipped",
        rhs=_sum(
            times(DELTA[i, j], W[plus(p, minus(i)), plus(q, minus(j))]),
            (i, sympy.Max(0, plus(p, minus(K_h), 1)), p),
            (j, sympy.Max(0, plus(q, minus(K_w), 1)), sympy.Min(plus(W_out, -1), q)),
        ),
    )
    strict = check(broken, "full")
    assert not strict.passed
    assert strict.nonexistent > 0 and strict.missing == 0
    assert "reads δ[" in strict.first and "which does not exist" in strict.first
    # reading δ as zero outside its range hides exactly this kind of error
    assert check(broken, "full", mode="zero").passed


def test_wrong_lower_bound_fails():
    good = FORMULAS["grad_x_gather_1ch"]
    # lower bound p - K_h instead of p - K_h + 1: one kernel row too far
    broken = good.variant(
        name="gather_low_bound",
        rhs=_sum(
            times(DELTA[i, j], W[plus(p, minus(i)), plus(q, minus(j))]),
            (i, sympy.Max(0, plus(p, minus(K_h))), sympy.Min(plus(H_out, -1), p)),
            (j, sympy.Max(0, plus(q, minus(K_w), 1)), sympy.Min(plus(W_out, -1), q)),
        ),
    )
    report = check(broken, "small")
    assert not report.passed
    assert any("reads W with its 1st index above its range" in c for c in report.causes)


def test_too_narrow_bound_misses_terms():
    good = FORMULAS["grad_x_gather_1ch"]
    # upper bound p - 1: the window starting at p itself is forgotten
    broken = good.variant(
        name="gather_narrow",
        rhs=_sum(
            times(DELTA[i, j], W[plus(p, minus(i)), plus(q, minus(j))]),
            (i, sympy.Max(0, plus(p, minus(K_h), 1)), sympy.Min(plus(H_out, -1), plus(p, -1))),
            (j, sympy.Max(0, plus(q, minus(K_w), 1)), sympy.Min(plus(W_out, -1), q)),
        ),
    )
    report = check(broken, "small")
    assert not report.passed and report.missing > 0 and report.nonexistent == 0
    assert check(broken, "small", mode="zero").missing > 0  # no reading rescues it


def test_forgotten_stride_fails_only_with_stride():
    good = FORMULAS["grad_w_1d"]
    s = S("s")
    broken = good.variant(name="grad_w_no_stride", rhs=good.rhs.subs(s, 1))
    assert check(broken, [Config.make((6,), (3,), stride=1)]).passed
    report = check(broken, [Config.make((6,), (3,), stride=2)])
    assert not report.passed


def test_wrong_coefficient_fails():
    good = FORMULAS["grad_b_1ch"]
    broken = good.variant(name="grad_b_twice", rhs=times(2, good.rhs))
    report = check(broken, "small")
    assert not report.passed and "coefficient 2" in report.first
    # a wrong coefficient is counted as such, not as a missing or an extra term
    assert report.wrong_coefficients > 0 and report.missing == report.extra == 0
    assert "wrong coefficients" in report.verdict()


def test_forgotten_dilation_fails():
    good = FORMULAS["grad_x_scatter_1d"]
    d = S("d")
    broken = good.variant(name="scatter_no_dilation", rhs=good.rhs.subs(d, 1))
    report = check(broken, [Config.make((7,), (3,), dilation=2, padding=1)])
    assert not report.passed and report.missing > 0


def test_forgotten_depth_dilation_fails_in_3d():
    good = FORMULAS["grad_x_gather_3d"]
    broken = good.variant(name="gather_3d_no_depth_dilation", rhs=good.rhs.subs(S("d_d"), 1))
    dilated = [Config.make((5, 3, 3), (2, 2, 1), dilation=(2, 1, 1), channels=2, filters=2)]
    assert check(good, dilated).passed
    report = check(broken, dilated)
    assert not report.passed and report.missing > 0


def test_all_broken_variants_are_not_silently_equal_to_the_originals():
    # the variants above are new objects: the originals still pass
    for name in ("grad_w_1ch", "conv", "grad_x_full_1ch", "grad_x_gather_1ch", "grad_b_1ch"):
        assert check(name, "small").passed, name


def test_reading_past_a_derived_tensor_is_an_error_too():
    # the zero-padded delta of the full form has H_out + 2(K_h - 1) rows; one more is an error
    good = FORMULAS["grad_x_full_1ch"]
    broken = good.variant(
        name="grad_x_full_shifted",
        rhs=_sum(
            times(
                DELTA_FULL[plus(p, k, 1), plus(q, l)],
                W[plus(K_h, -1, minus(k)), plus(K_w, -1, minus(l))],
            ),
            (k, 0, plus(K_h, -1)),
            (l, 0, plus(K_w, -1)),
        ),
    )
    report = check(broken, "small")
    assert not report.passed
    assert any(cause.startswith("reads δ̃ with its 1st index above") for cause in report.causes)


def test_reading_past_the_padding_is_an_error():
    good = FORMULAS["conv_1d"]
    # reads one position too far right: inside X for most outputs, past the padding for the last
    broken = good.variant(name="conv_shifted", rhs=good.rhs.subs(S("P"), S("P") - 1))
    config = Config.make((5,), (3,), padding=1)
    report = check(broken, [config])
    assert not report.passed
    assert any(cause.startswith("reads X̄ with its 3rd index above") for cause in report.causes)


def test_stride_and_dilation_really_swap_roles_in_the_filter_gradient():
    good = FORMULAS["grad_w_as_conv_1d"]
    s, d = S("s"), S("d")
    # keep the kernel's dilation as the step of the taps: wrong unless s == d
    unswapped = good.variant(name="grad_w_unswapped", rhs=good.rhs.xreplace({d: s, s: d}))
    same = [Config.make((7,), (3,), stride=2, dilation=2)]
    different = [Config.make((7,), (2,), stride=2, dilation=1)]
    assert check(good, same + different).passed
    assert check(unswapped, same).passed
    assert not check(unswapped, different).passed


def test_a_formula_parsed_from_text_is_checked_like_the_books():
    # what a reader's text formula becomes once sympy parses it: evaluated sums and
    # products, floor, Min, Max, and a condition; the verdicts must be the catalog's own
    from sympy.parsing.sympy_parser import parse_expr

    letters = {name: sympy.IndexedBase(name) for name in ("D", "W", "X")}
    reader = FORMULAS["q5_grad_x_reader"]
    refs = {ref.text: ref for ref in reader.tensors.values()}
    text = "Sum(D[f,i,j]*W[f,ch,p-(i-1)*s,q-(j-1)*s], (j,j_lo,j_hi), (i,i_lo,i_hi), (f,1,n_f))"
    bounds = {"i_lo": "floor((p-f_r)/s+1)", "i_hi": "floor((p-1)/s+1)"}
    bounds |= {"j_lo": "floor((q-f_c)/s+1)", "j_hi": "floor((q-1)/s+1)"}
    typed = reader.variant(
        name="q5_typed",
        rhs=parse_expr(text, local_dict=letters),
        definitions=tuple((S(name), parse_expr(value)) for name, value in bounds.items()),
        tensors={letters["D"]: refs["dL/dO"], letters["W"]: refs["W"]},
    )
    typed_report, book_report = check(typed, "small"), check(reader, "small")
    assert not typed_report.passed and typed_report.first == book_report.first
    assert typed_report.causes.keys() == book_report.causes.keys()

    conv = FORMULAS["conv_1ch"]
    guarded = (
        "Sum(Piecewise((W[k,l]*X[i+k,j+l], i+k <= H-1), (0, True)),"
        " (l, 0, Max(K_w-1, 0)), (k, 0, Min(K_h-1, 9)))"
    )
    typed_conv = conv.variant(
        name="conv_typed",
        rhs=parse_expr(guarded, local_dict=letters) + S("b"),
        tensors={
            letters["W"]: conv.tensors[W],
            letters["X"]: conv.tensors[X],
            S("b"): conv.tensors[S("b")],
        },
        params={**conv.params, S("H"): lambda config: config.in_size[0]},
    )
    assert check(typed_conv, "small").passed
    # the same text with the kernel rows one too many is caught
    too_far = guarded.replace("Min(K_h-1, 9)", "Min(K_h, 9)")
    wrong = typed_conv.variant(
        name="conv_typed_wrong", rhs=parse_expr(too_far, local_dict=letters) + S("b")
    )
    assert not check(wrong, "small").passed
