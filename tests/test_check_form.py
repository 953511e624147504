"""Chapter 13's form: check_text's limit on the work a formula asks for, the form's fields
read into check_text's arguments, and its presets equal to the chapter's own examples."""

import time

import pytest

from convgrad.symbolic import Config, check_text
from convgrad.symbolic.yours import MAX_STEPS

Q5 = (
    "dX[ch,p,q] = Sum(dO[f,i,j]*W[f,ch,p-(i-1)*s,q-(j-1)*s],"
    " (f,1,n_f), (i,i_lo,i_hi), (j,j_lo,j_hi))"
)
Q5_LETTERS = dict(
    tensors={"dX": "grad_x[c,h,w]", "dO": "delta[f,h,w]", "W": "w[f,c,h,w]"},
    sizes={"s": "stride", "f_r": "kernel_h", "f_c": "kernel_w", "n_f": "filters"},
    index_base=1,
    stride=(1, 2, 3),
)


def ranges(last):
    return {"i_lo": "1", "i_hi": last, "j_lo": "1", "j_hi": last}


# --- the limit: counted before the work, in check_text itself ---------------------------------
@pytest.mark.parametrize(
    "last, count", [("20", "267,756"), ("10**6", f"more than {10 * MAX_STEPS:,}")]
)
def test_a_sum_too_large_is_refused_before_any_work_with_its_count(last, count):
    start = time.perf_counter()
    with pytest.raises(ValueError) as error:
        check_text(Q5, where=ranges(last), **Q5_LETTERS)
    # evaluating the 20 x 20 ranges takes over ten seconds; counting them a fraction of one
    assert time.perf_counter() - start < 3
    message = str(error.value)
    assert message.startswith(f"the sums take {count} steps on the grid's 9 configurations")
    assert f"the limit is max_steps = {MAX_STEPS:,}" in message


def test_the_steps_are_every_pass_through_the_loops():
    # one layer, 25 entries of dX; at each, f takes 2 passes, i 2 x 3, j 2 x 3 x 3: 26
    layer = [Config.make((5, 5), (3, 3), batch=1, channels=1, filters=2)]
    text = "dX[ch,p,q] = Sum(dO[f,1,1]*W[f,ch,1,1], (f,1,n_f), (i,1,3), (j,1,3))"
    letters = Q5_LETTERS | {"stride": 1, "grid": layer}
    with pytest.raises(ValueError, match=r"^the sums take 650 steps on the grid's 1 config"):
        check_text(text, max_steps=649, **letters)
    assert not check_text(text, max_steps=650, **letters).passed  # it ran: wrong, not refused


def test_a_larger_max_steps_lets_a_large_sum_run():
    result = check_text(Q5, where=ranges("4"), **Q5_LETTERS | {"stride": 1}, max_steps=MAX_STEPS)
    assert not result.passed and result.first_wrong
