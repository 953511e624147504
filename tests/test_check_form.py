"""Chapter 13's form: check_text's limit on the work a formula asks for, the form's fields
read into check_text's arguments, and its presets equal to the chapter's own examples."""

import json
import re
import time
from importlib.metadata import version
from pathlib import Path

import nbformat
import pytest

from convgrad.symbolic import FORMULAS, Config, check_text
from convgrad.symbolic.form_fields import arguments, check_fields
from convgrad.symbolic.own_derivation import MAX_STEPS
from convgrad.widgets.check_form import (
    PRESETS,
    STATIC_BOOK,
    CheckForm,
    StaticCheckForm,
    check_form,
    preset_fields,
)

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "13_checking_gradients.ipynb"

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


# --- the form's fields, read into check_text's arguments ---------------------------------------
def chapter_13():
    """The results of chapter 13's check_text cells, run as the chapter runs them."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = {cell.id: cell for cell in nb.cells}
    namespace = {"check_text": check_text, "FORMULAS": FORMULAS, "print": lambda *a, **k: None}
    for cell_id in ("ch13-21", "ch13-23", "ch13-27"):
        exec(cells[cell_id].source, namespace)  # noqa: S102
    exercises = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return namespace, exercises


def test_the_presets_give_the_chapters_own_reports_word_for_word():
    chapter, exercises = chapter_13()
    for name, result in [
        ("q3-as-asked", chapter["q3_asked"]),
        ("q5-as-asked", chapter["as_asked"]),
        ("q5-corrected", chapter["q5_fixed"]),
    ]:
        verdict = check_fields(preset_fields(name))
        assert verdict["report"] == str(result), name
        assert verdict["status"] == ("correct" if result.passed else "wrong")
    assert [check_fields(preset_fields(n))["status"] for n in ("q5-as-asked", "q5-corrected")] == [
        "wrong",
        "correct",
    ]
    # exercise 2's weight gradient, as its solution types it
    weights = preset_fields("weight-gradient")
    assert f'grad_w_text = "{weights["formula"]}"' in exercises
    assert check_fields(weights)["status"] == "correct"


def test_the_fields_are_lines_and_lists():
    text, kwargs = arguments(
        {
            "formula": "  gW[k,l] = Sum(d[i,j], (i,0,Ho-1))\n",
            "where": "a = max(0, p-K+1)\n\n b: Piecewise((1, p >= 2), (0, True))",
            "tensors": "gW = grad_w[h,w]",
            "sizes": "",
            "index_base": "0",
            "stride": "1, 2;3",
            "padding": "",
            "dilation": " 2 ",
        }
    )
    assert text == "gW[k,l] = Sum(d[i,j], (i,0,Ho-1))"
    assert kwargs["where"] == {"a": "max(0, p-K+1)", "b": "Piecewise((1, p >= 2), (0, True))"}
    assert kwargs["tensors"] == {"gW": "grad_w[h,w]"} and kwargs["sizes"] == {}
    assert kwargs["index_base"] == 0
    assert (kwargs["stride"], kwargs["padding"], kwargs["dilation"]) == ((1, 2, 3), (0,), (2,))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"where": "i_lo floor(p)"}, "line 1 of where, 'i_lo floor(p)', is not 'name = text'"),
        (
            {"stride": "1, two"},
            "stride '1, two': write whole numbers separated by commas, e.g. 1, 2",
        ),
        ({"index_base": "2"}, "index_base must be 0 or 1, not '2'"),
    ],
)
def test_fields_that_cannot_be_read_say_which(change, message):
    verdict = check_fields(preset_fields("q5-as-asked") | change)
    assert verdict == {"status": "error", "report": message}


@pytest.mark.parametrize(
    "change",
    [
        {"formula": Q5.replace("(f,1,n_f)", "(f,1,n_f")},  # a syntax error
        {"formula": Q5.replace("dO[f,i,j]", "dP[f,i,j]")},  # a tensor tensors does not name
        {"tensors": "dX = grad_x[c,h,w]\ndO = delta[f,h,w]\nW = w[f,c,h]"},  # does not fit
        {"where": "i_lo = 1\ni_hi = 10**6\nj_lo = 1\nj_hi = 10**6"},  # too large
    ],
)
def test_check_texts_own_errors_reach_the_form_word_for_word(change):
    fields = preset_fields("q5-as-asked") | change
    text, kwargs = arguments(fields)
    with pytest.raises(ValueError) as error:
        check_text(text, **kwargs)
    assert check_fields(fields) == {"status": "error", "report": str(error.value)}


# --- the widget: the kernel answers in JupyterLab, the static book gets a mountable block -------
def test_the_kernel_answers_a_check_with_check_fields(monkeypatch):
    monkeypatch.delenv(STATIC_BOOK, raising=False)
    form = check_form("q5-corrected")
    assert isinstance(form, CheckForm) and form.preset == "q5-corrected"
    assert [p["id"] for p in form.presets] == [p["id"] for p in PRESETS]
    sent = []
    monkeypatch.setattr(form, "send", sent.append)
    form._answer(form, {"kind": "check", "id": 7, "fields": preset_fields("q5-as-asked")}, [])
    assert sent == [{"kind": "verdict", "id": 7, **check_fields(preset_fields("q5-as-asked"))}]
    form._answer(form, {"kind": "something else"}, [])
    assert len(sent) == 1


def test_while_the_book_is_built_the_form_is_a_block_with_the_same_module(monkeypatch):
    monkeypatch.setenv(STATIC_BOOK, "1")
    form = check_form()
    assert isinstance(form, StaticCheckForm)
    page = form._repr_html_()
    state = json.loads(re.search(r'class="cg-static-state">(.*?)</script>', page, re.S).group(1))
    assert state["_esm"] == CheckForm._esm and state["backend"] == "worker"
    assert state["presets"] == PRESETS and state["preset"] == "q5-as-asked"
    assert state["wheel"] == f"convgrad-{version('convgrad')}-py3-none-any.whl"
    assert len(page.encode()) < 50_000  # the page's weight grows by this block only


def test_an_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="preset must be one of"):
        CheckForm("q4")


@pytest.mark.parametrize(
    "typo, words",
    [
        ("(f,1,n_f", "'(' was never closed (column 4)"),  # the Sum( is left open
        ("(f,1,n_f))", "unmatched ')' (column 84)"),
    ],
)
def test_a_syntax_error_says_where(typo, words):
    text = Q5.replace("(f,1,n_f)", typo)
    with pytest.raises(ValueError) as error:
        check_text(text, where=ranges("2"), **Q5_LETTERS)
    rhs = text.split("=", 1)[1].strip()
    assert str(error.value) == f"could not read the right-hand side {rhs!r}: {words}"
