"""Check your own derivation: typed formulas and backward functions (Chapter 13).

Right ones pass; each kind of wrong one is caught, with the missing and extra terms
named in the reader's letters; malformed text raises a ValueError saying what it
could not read; the readers' Q3 and Q5 formulas typed as text get the catalog's verdicts.
"""

import numpy as np
import pytest

from convgrad.symbolic import check, check_backward, check_text
from convgrad.symbolic.form_fields import arguments
from convgrad.symbolic.questions import q3_configs, q5_configs
from convgrad.widgets.check_form import preset_fields

# --- a zero-based input gradient (gather form, stride 1), and its broken variants -------------
GATHER = "gX[c,p,q] = Sum(d[f,i,j]*W[f,c,p-i,q-j], (f,0,F-1), (i,i_lo,i_hi), (j,j_lo,j_hi))"
BOUNDS = {
    "i_lo": "max(0, p-K+1)",
    "i_hi": "min(Ho-1, p)",
    "j_lo": "max(0, q-L+1)",
    "j_hi": "min(Wo-1, q)",
}
ZERO_BASED = dict(
    tensors={"gX": "grad_x[c,h,w]", "d": "delta[f,h,w]", "W": "w[f,c,h,w]"},
    sizes={"F": "filters", "K": "kernel_h", "L": "kernel_w", "Ho": "out_h", "Wo": "out_w"},
    index_base=0,
)


def zero_based(text=GATHER, **where):
    return check_text(text, where=BOUNDS | where, **ZERO_BASED)


def test_a_right_zero_based_formula_passes():
    result = zero_based()
    assert result.passed and result.first_wrong is None
    assert str(result).endswith("(stride 1, padding 0, dilation 1)")
    assert "correct: equals the true gradient at all" in str(result)


def test_an_off_by_one_bound_misses_terms():
    result = zero_based(i_hi="min(Ho-1, p-1)")
    wrong = result.first_wrong
    assert not result.passed
    # the first entry, 5x5 input, 3x3 kernel, two channels and filters: i runs 0..-1
    assert wrong.entry == "gX[0, 0, 0]" and wrong.extra == () and wrong.bad_reads == ()
    assert wrong.missing == ("d[0, 0, 0]·W[0, 0, 0, 0]", "d[1, 0, 0]·W[1, 0, 0, 0]")
    assert str(wrong).startswith("gX[0, 0, 0] (F=2, K=3, L=3, Ho=3, Wo=3): missing d[0, 0, 0]")
    assert "extra: none" in str(wrong)


def test_an_unflipped_kernel_has_missing_and_extra_terms():
    unflipped = GATHER.replace("W[f,c,p-i,q-j]", "W[f,c,K-1-(p-i),L-1-(q-j)]")
    wrong = zero_based(unflipped).first_wrong
    assert wrong.entry == "gX[0, 0, 0]" and wrong.bad_reads == ()
    assert wrong.missing == ("d[0, 0, 0]·W[0, 0, 0, 0]", "d[1, 0, 0]·W[1, 0, 0, 0]")
    assert wrong.extra == ("d[0, 0, 0]·W[0, 0, 2, 2]", "d[1, 0, 0]·W[1, 0, 2, 2]")


def test_a_forgotten_sum_over_filters_misses_the_other_filters_terms():
    one_filter = GATHER.replace("(f,0,F-1)", "(f,0,0)")
    wrong = zero_based(one_filter).first_wrong
    assert wrong.missing == ("d[1, 0, 0]·W[1, 0, 0, 0]",) and wrong.extra == ()


def test_a_term_counted_twice_has_the_wrong_coefficient():
    wrong = zero_based(GATHER.replace("Sum(d", "2*Sum(d")).first_wrong
    assert wrong.missing == wrong.extra == ()
    assert (
        wrong.coefficients[0]
        == "d[0, 0, 0]·W[0, 0, 0, 0] has coefficient 2 in the formula, 1 in the truth"
    )


def test_bounds_that_read_outside_a_tensor_are_errors():
    wrong = zero_based(i_lo="p-K+1").first_wrong
    assert wrong.missing == wrong.extra == ()
    assert "reads d[0, -2, 0], which does not exist" in wrong.bad_reads[0]


# --- the readers' formulas typed as text: the catalog's verdicts -------------------------------
def preset(name):
    """Chapter 13's form preset `name` as check_text's text, bounds and other arguments."""
    text, arguments_ = arguments(preset_fields(name))
    return text, arguments_.pop("where"), arguments_


Q5, Q5_AS_ASKED, Q5_LETTERS = preset("q5-as-asked")  # the reader's letters, stride 1, 2, 3
Q5_CORRECTED = preset("q5-corrected")[1]
Q5_CLIPPED = {
    "i_lo": "max(1, floor((p-f_r)/s+1))",
    "i_hi": "min(h_O, floor((p-1)/s+1))",
    "j_lo": "max(1, floor((q-f_c)/s+1))",
    "j_hi": "min(w_O, floor((q-1)/s+1))",
}


def _places(report):
    return [
        (c.kind, c.config, c.at, getattr(c.detail, "index", None)) for c in report.counterexamples
    ]


@pytest.mark.parametrize(
    "where, name",
    [
        (Q5_AS_ASKED, "q5_grad_x_reader"),
        (Q5_CLIPPED, "q5_grad_x_clip_only"),
        (Q5_CORRECTED, "q5_grad_x"),
    ],
)
def test_q5_typed_as_text_gets_the_catalogs_verdict(where, name):
    typed = check_text(Q5, where=where, **Q5_LETTERS | {"grid": q5_configs("small")})
    book = check(name, "small")
    assert typed.passed == book.passed
    assert _places(typed.reports[0]) == _places(book)


def test_q5_wrong_rounding_reads_a_kernel_row_that_does_not_exist():
    wrong = check_text(Q5, where=Q5_CLIPPED, **Q5_LETTERS).first_wrong
    assert "s=2" in wrong.sizes and wrong.missing == wrong.extra == ()
    assert "reads W[1, 1, 1, 4], which does not exist (its 4th index runs 1..3)" in str(wrong)


def test_q5_as_asked_fails_and_corrected_passes_on_the_default_grid():
    assert not check_text(Q5, where=Q5_AS_ASKED, **Q5_LETTERS).passed
    assert check_text(Q5, where=Q5_CORRECTED, **Q5_LETTERS).passed


Q3, Q3_AS_ASKED, Q3_LETTERS = preset("q3-as-asked")


def test_q3_typed_as_text_gets_the_catalogs_verdicts():
    exact = {"a_lo": "max(1, m-H+1)", "a_hi": "min(K_h, m)", "b_lo": "max(1, n-W+1)"}
    exact["b_hi"] = "min(K_w, n)"
    for where, name in ((Q3_AS_ASKED, "q3_grad_x_reader"), (exact, "q3_grad_x")):
        typed = check_text(Q3, where=where, **Q3_LETTERS | {"grid": q3_configs("small")})
        book = check(name, "small")
        assert typed.passed == book.passed
        assert _places(typed.reports[0]) == _places(book)


# --- malformed text: a ValueError that says what could not be read -----------------------------
@pytest.mark.parametrize(
    "text, tensors, message",
    [
        (GATHER.replace("=", ":"), None, "write the formula as 'lhs = rhs'"),
        (GATHER.replace("(f,0,F-1)", "(f,0,F-1"), None, "could not read the right-hand side"),
        (GATHER.replace("d[f,i,j]", "D[f,i,j]"), None, "tensors does not say what D is"),
        (GATHER.replace("d[f,i,j]", "d[f,i]"), None, r"d\[f, i\] has 2 indices"),
        (GATHER.replace("F-1", "G-1"), None, "uses 'G', which is not a summed index"),
        (GATHER.replace("p-i,", "p-i+0.5,"), None, "has the number 0.5"),
        (GATHER, {"gX": "grad_x[c,h,w]", "d": "upstream[f,h,w]"}, "roles: x, w"),
        (GATHER, {"gX": "grad_x[c,h,w]", "d": "delta[f,c,w]"}, "axis 'c' is not one of delta"),
        (GATHER, {"gX": "x[c,h,w]"}, "the left-hand side gX needs a role"),
    ],
)
def test_malformed_text_raises_a_clear_error(text, tensors, message):
    letters = ZERO_BASED | ({"tensors": tensors} if tensors else {})
    with pytest.raises(ValueError, match=message):
        check_text(text, where=BOUNDS, **letters)


def test_an_unknown_size_name_is_named():
    with pytest.raises(ValueError, match="sizes\\['K'\\] = 'kernel' is not one of"):
        check_text(GATHER, where=BOUNDS, **ZERO_BASED | {"sizes": {"K": "kernel"}})


def test_a_malformed_bound_is_named():
    with pytest.raises(ValueError, match="could not read where\\['i_lo'\\]"):
        zero_based(i_lo="max(0, p-K+1")


# --- a backward function, probed with one-hot inputs ----------------------------------------------
def grad_x_scatter(delta, x, w, stride):
    # every output sends delta * W back to the window it read
    grad_x = np.zeros_like(x)
    kernel_h, kernel_w = w.shape[2:]
    for n, f, i, j in np.ndindex(*delta.shape):
        rows = slice(stride * i, stride * i + kernel_h)
        cols = slice(stride * j, stride * j + kernel_w)
        grad_x[n, :, rows, cols] += delta[n, f, i, j] * w[f]
    return grad_x


def grad_x_no_stride(delta, x, w, stride):
    grad_x = np.zeros_like(x)
    kernel_h, kernel_w = w.shape[2:]
    for n, f, i, j in np.ndindex(*delta.shape):
        grad_x[n, :, i : i + kernel_h, j : j + kernel_w] += delta[n, f, i, j] * w[f]
    return grad_x


def grad_x_wraps(delta, x, w):
    # gather at stride 1, bounded above only: a negative index wraps to the last row
    grad_x = np.zeros_like(x)
    filters, _, kernel_h, kernel_w = w.shape
    out_h, out_w = delta.shape[2:]
    for n, c, p, q in np.ndindex(*x.shape):
        for f, k, l in np.ndindex(filters, kernel_h, kernel_w):
            if p - k < out_h and q - l < out_w:
                grad_x[n, c, p, q] += delta[n, f, p - k, q - l] * w[f, c, k, l]
    return grad_x


def grads_w_b(delta, x):
    # numpy: one einsum over the windows for W, a sum for b (stride 1)
    kernel = (x.shape[2] - delta.shape[2] + 1, x.shape[3] - delta.shape[3] + 1)
    windows = np.lib.stride_tricks.sliding_window_view(x, kernel, axis=(2, 3))
    return np.einsum("nfij,ncijkl->fckl", delta, windows), delta.sum(axis=(0, 2, 3))


def test_a_right_loop_backward_passes_at_every_stride():
    result = check_backward(grad_x_scatter, args=("delta", "x", "w", "stride"), stride=(1, 2, 3))
    assert result.passed, str(result)
    assert "correct" in str(result) and "stride 1, 2, 3" in str(result)


def test_a_right_numpy_backward_of_w_and_b_passes():
    result = check_backward(grads_w_b, ("grad_w", "grad_b"), args=("delta", "x"))
    assert result.passed and len(result.reports) == 2


def test_a_backward_that_forgets_the_stride_has_extra_terms():
    result = check_backward(grad_x_no_stride, args=("delta", "x", "w", "stride"), stride=(1, 2))
    wrong = result.first_wrong
    assert not result.passed and "stride=2" in wrong.sizes
    assert wrong.entry == "dL/dX[0, 0, 0, 1]" and wrong.missing == ()
    assert wrong.extra[0] == "delta[0, 0, 0, 1]·W[0, 0, 0, 0]"


def test_negative_indices_that_wrap_around_show_as_extra_terms():
    wrong = check_backward(grad_x_wraps).first_wrong
    assert wrong.entry == "dL/dX[0, 0, 0, 0]" and wrong.missing == ()
    # X[.., 0, 0] gets delta's last row times W's tap (0, 1): read at index -1
    assert "delta[0, 0, 0, 2]·W[0, 0, 0, 1]" in wrong.extra


def test_a_function_that_is_not_bilinear_is_caught():
    def reads_x(delta, x, w, stride):
        return grad_x_scatter(delta, x, w, stride) + x

    result = check_backward(reads_x, args=("delta", "x", "w", "stride"))
    assert not result.passed and result.not_bilinear.startswith("not bilinear")


def test_without_a_batch_axis_and_errors_of_use():
    def one_sample(delta, x, w):
        return grad_x_scatter(delta[None], x[None], w, 1)[0]

    assert check_backward(one_sample, batch=False).passed
    with pytest.raises(ValueError, match="add it to args"):
        check_backward(one_sample, stride=(1, 2))
    with pytest.raises(ValueError, match="has shape"):
        check_backward(lambda delta, x, w: x[0], args=("delta", "x", "w"))
    with pytest.raises(ValueError, match="returns must name"):
        check_backward(one_sample, "grad_y")


def test_a_forward_formula_and_a_bias_gradient_are_checked_too():
    forward = check_text(
        "O[f,i,j] = Sum(W[f,ch,r,c]*X[ch,(i-1)*s+r,(j-1)*s+c],"
        " (ch,1,n_ch), (r,1,f_r), (c,1,f_c)) + b[f]",
        tensors={"O": "y[f,h,w]", "W": "w[f,c,h,w]", "X": "x[c,h,w]", "b": "b[f]"},
        sizes={"s": "stride", "n_ch": "channels", "f_r": "kernel_h", "f_c": "kernel_w"},
        stride=(1, 2),
    )
    assert forward.passed and "equals the true output" in str(forward)
    short = check_text(
        "db[f] = Sum(dO[f,i,j], (i,1,h_O), (j,1,w_O-1))",
        tensors={"db": "grad_b[f]", "dO": "delta[f,h,w]"},
        sizes={"h_O": "out_h", "w_O": "out_w"},
    )
    assert short.first_wrong.missing == ("dO[1, 1, 3]", "dO[1, 2, 3]", "dO[1, 3, 3]")
