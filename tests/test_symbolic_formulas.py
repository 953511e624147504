"""Every boxed formula of the book, on its full grid: exact, and equal to convgrad."""

import re

import pytest

from convgrad.symbolic import FORMULAS, check, check_all, grid, readings


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_formula_behaves_as_the_book_says(name):
    formula = FORMULAS[name]
    report = check(formula, "full")
    assert report.configurations == len(grid(formula.family, "full")) > 0
    assert report.entries >= report.configurations
    assert report.numeric_configurations == report.configurations
    if formula.expected:
        assert report.passed, report.explain()
    else:
        assert not report.passed and report.first


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_formula_renders_boxed_latex(name):
    formula = FORMULAS[name]
    boxed = formula.latex(boxed=True)
    assert r"\boxed{" in boxed
    assert formula._repr_latex_() == f"$${boxed}$$"
    # braces balance, so MathJax can typeset it
    assert boxed.count("{") == boxed.count("}")
    assert formula.math().data == boxed


def test_small_grid_table_renders():
    table = check_all("small", names=["grad_w_1ch", "q5_grad_x_reader"])
    assert table.passed  # the book formula passes and the reader's fails, as claimed
    html = table._repr_html_()
    assert "<th>formula</th><th>reading</th><th>the book says</th><th>configurations</th>" in html
    # header, two formulas, and one line for the reader's first counterexample
    assert html.count("<tr>") == 4 and "q5_grad_x_reader" in html
    assert "First counterexample: at ch=" in html
    assert re.search(r"wrong: \d+ reads of entries that do not exist", html)
    text = str(table)
    assert "grad_w_1ch: filter gradient" in text and "verdict: correct" in text


def test_one_channel_grid_covers_every_small_size():
    sizes = {(c.in_size, c.kernel) for c in grid("one_channel", "full")}
    assert ((1, 1), (1, 1)) in sizes and ((5, 5), (3, 3)) in sizes
    assert len(sizes) == 144


def test_general_grids_cover_every_geometry_feature():
    for family in ("general_1d", "general_2d", "general_3d"):
        configs = grid(family, "full")
        assert {s for c in configs for s in c.stride} == {1, 2, 3}
        assert {d for c in configs for d in c.dilation} == {1, 2}
        assert {p for c in configs for pair in c.padding for p in pair} >= {0, 1, 2}
        assert any(c.padding[0][0] != c.padding[0][1] for c in configs)  # asymmetric
        assert {c.groups for c in configs} == {1, 2, 3}
        assert {c.batch for c in configs} == {1, 2}
        # a stride that skips trailing input rows
        assert any(
            (n + sum(pad) - d * (k - 1) - 1) % s
            for c in configs
            for n, k, s, pad, d in zip(
                c.in_size, c.kernel, c.stride, c.padding, c.dilation, strict=True
            )
        )


def test_readings_table_shows_what_reading_zero_outside_changes():
    table = readings("q5_grad_x_reader", "small")
    strict, zero = table
    assert (strict.mode, zero.mode) == ("strict", "zero")
    assert not strict.passed and zero.passed
    assert table.passed  # the strict check fails, as the book says it must
    assert "zero outside" in table._repr_html_()
