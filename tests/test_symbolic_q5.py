"""Q5: the reader's strided input gradient, checked exactly as the reader wrote it.

One-based, with the lower bound floor((p - f_r)/s + 1) and the upper bound
floor((p - 1)/s + 1), never clipped. Every place where these bounds take a term
that does not exist must be reported; the corrected bounds must pass.
"""

import pytest
import sympy

from convgrad.symbolic import FORMULAS, Config, check
from convgrad.symbolic.formula import ceil, minus, over, plus
from convgrad.symbolic.questions import f_c, f_r, i_lo, j_lo, p, q, s


def _reads(report, tensor_text):
    """(free indices, term indices, index read) of every reported read of a letter."""
    return [
        (c.config, c.at, c.detail.where, c.detail.index)
        for c in report.counterexamples
        if c.kind == "nonexistent" and c.detail.text == tensor_text
    ]


def test_the_displayed_formula_is_the_readers():
    latex = FORMULAS["q5_grad_x_reader"].latex(boxed=True)
    # floor on both bounds, the "+ 1" inside the floor, exactly as asked
    assert r"i_{lo} = \left\lfloor{\frac{p - f_{r}}{s} + 1}\right\rfloor" in latex
    assert r"i_{hi} = \left\lfloor{\frac{p - 1}{s} + 1}\right\rfloor" in latex
    assert r"W[f, ch, p - \left(i - 1\right) s, q - \left(j - 1\right) s]" in latex
    assert latex.startswith(r"\begin{gathered}\boxed{\frac{\partial L}{\partial X}[ch, p, q] =")


def test_reader_formula_fails_on_the_full_grid():
    report = check("q5_grad_x_reader", "full")
    assert not report.passed and report.as_expected
    assert report.nonexistent > 0
    # its index range is too wide, never too narrow: no existing term is missed
    assert report.missing == 0 and report.extra == 0
    # the numbers still agree, because the extra terms are all reads of nothing
    assert report.numeric_mismatches == 0


def test_rounding_the_lower_bound_down_reads_a_kernel_row_that_does_not_exist():
    # h = 5, f_r = 3, s = 2, p = 4: floor((4 - 3)/2 + 1) = 1, but i = 1 needs W row 4
    config = Config.make((5, 5), (3, 3), stride=2)
    report = check("q5_grad_x_reader", [config])
    reads = _reads(report, "W")
    assert any(
        at["p"] == 4 and where["i"] == 1 and index[2] == 4 for _, at, where, index in reads
    ), reads
    text = next(
        c.text
        for c in report.counterexamples
        if c.kind == "nonexistent" and c.at == {"ch": 1, "p": 4, "q": 3} and c.detail.text == "W"
    )
    assert text == (
        "at ch=1, p=4, q=3 with s=2, f_r=3, f_c=3, h=5, w=5, n_ch=1, n_f=1: the term "
        "f=1, i=1, j=1 reads W[1, 1, 4, 3], which does not exist (its 3rd index runs 1..3)"
    )


def test_unclipped_lower_bound_reads_output_rows_before_the_first():
    # s = 1, f_r = 3, p = 1: floor((1 - 3)/1 + 1) = -1, so i = -1 and i = 0 are taken
    config = Config.make((5, 5), (3, 3), stride=1)
    reads = _reads(check("q5_grad_x_reader", [config]), "dL/dO")
    rows = {index[1] for _, at, _, index in reads if at["p"] == 1}
    assert {-1, 0} <= rows


def test_unclipped_upper_bound_reads_output_rows_after_the_last():
    # h = 5, f_r = 3, s = 1: h_O = 3, but p = 5 gives i_hi = 5
    config = Config.make((5, 5), (3, 3), stride=1)
    reads = _reads(check("q5_grad_x_reader", [config]), "dL/dO")
    rows = {index[1] for _, at, _, index in reads if at["p"] == 5}
    assert {4, 5} <= rows


def test_rows_the_stride_never_reads_take_only_nonexistent_terms():
    # h = 6, f_r = 3, s = 2: rows 1..5 are read, row 6 never; its gradient is 0
    config = Config.make((6, 6), (3, 3), stride=2)
    reader = check("q5_grad_x_reader", [config])
    bad_at_row_6 = [c for c in reader.counterexamples if c.at["p"] == 6]
    assert {c.detail.text for c in bad_at_row_6} == {"W", "dL/dO"}
    assert check("q5_grad_x", [config]).passed


@pytest.mark.parametrize("mode", ["strict", "zero"])
def test_corrected_formula_passes(mode):
    report = check("q5_grad_x", "full", mode=mode)
    assert report.passed, report.explain()


def test_reader_formula_passes_when_w_and_delta_read_zero_outside():
    assert check("q5_grad_x_reader", "full", mode="zero").passed


def test_each_half_of_the_correction_alone_is_not_enough():
    ceil_only = check("q5_grad_x_ceil_only", "full")
    clip_only = check("q5_grad_x_clip_only", "full")
    assert not ceil_only.passed and not clip_only.passed
    # rounding up fixes every read past the kernel; only the borders remain
    assert all("dL/dO" in cause for cause in ceil_only.causes)
    # clipping fixes every read outside dL/dO; only the rounding remains
    assert all("reads W" in cause for cause in clip_only.causes)
    # and the rounding error needs a stride that does not divide p - f_r
    assert all(c.config.stride[0] > 1 for c in clip_only.counterexamples)


@pytest.mark.parametrize("name", ["q5_conv", "q5_grad_w", "q5_grad_b"])
def test_readers_other_formulas_are_right(name):
    report = check(name, "full")
    assert report.passed, report.explain()


def test_ceiling_of_p_minus_f_r_plus_one_is_the_readers_bound_in_disguise():
    # for whole numbers ceil((m + 1)/s) = floor(m/s) + 1: moving the +1 into a ceiling
    # changes nothing; the zero-based bound ceil((p - K + 1)/s) is ceil((p - f_r)/s) + 1
    # once p and i are one-based
    good = FORMULAS["q5_grad_x"]
    swapped = {
        i_lo: sympy.Max(1, ceil(over(plus(p, minus(f_r), 1), s)), evaluate=False),
        j_lo: sympy.Max(1, ceil(over(plus(q, minus(f_c), 1), s)), evaluate=False),
    }
    definitions = tuple((name, swapped.get(name, value)) for name, value in good.definitions)
    disguised = check(good.variant(name="q5_ceil_plus_one", definitions=definitions), "full")
    clip_only = check("q5_grad_x_clip_only", "full")
    assert not disguised.passed
    assert disguised.nonexistent == clip_only.nonexistent
    assert disguised.causes.keys() == clip_only.causes.keys()
