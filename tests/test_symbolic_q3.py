"""Q3: the reader's input gradient for volumes (one-based, channels last, stride 1).

The reader sums over every filter and every kernel tap. That is right when
δˡ⁺¹ is read as zero outside its range, and reads entries that do not exist
otherwise; with the taps bounded by the output's border it is exact.
"""

from convgrad.symbolic import Config, check, entry


def test_reader_formula_reads_outside_delta_at_the_borders_only():
    report = check("q3_grad_x_reader", "full")
    assert not report.passed
    assert report.missing == 0 and report.extra == 0
    assert all(cause.startswith("reads δˡ⁺¹") for cause in report.causes)
    assert check("q3_grad_x_reader", "full", mode="zero").passed


def test_reader_formula_is_exact_away_from_the_borders():
    # a 5x5 input and a 2x2 kernel: input pixel (3, 3) lies in four full windows
    config = Config.make((5, 5), (2, 2), channels=2, filters=3)
    inner = entry("q3_grad_x_reader", config, m=3, n=3, u=2)
    assert inner.agrees and len(inner.terms) == 3 * 4
    corner = entry("q3_grad_x_reader", config, m=1, n=1, u=1)
    assert not corner.agrees and len(corner.terms) == 3  # one window per filter
    assert any("δˡ⁺¹[0, 1, 1]" in text for text in corner.bad_reads)


def test_corrected_and_exercise_formulas_pass():
    for name in ("q3_conv", "q3_grad_x", "q3_grad_w", "q3_grad_b"):
        report = check(name, "full")
        assert report.passed, report.explain()
