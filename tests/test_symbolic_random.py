"""Random configurations beyond the fixed grids: every general formula still holds.

Hypothesis draws sizes, kernels, strides, paddings (also uneven), dilations,
groups and batch; derandomized, so a failure is reproducible.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convgrad.symbolic import FORMULAS, Config, check

GENERAL_2D = [
    "conv",
    "grad_w",
    "grad_w_as_conv",
    "grad_b",
    "grad_x_scatter",
    "grad_x_gather",
    "grad_x_full",
]


@st.composite
def configs(draw):
    groups = draw(st.sampled_from([1, 2]))
    axes = []
    for _ in range(2):
        kernel = draw(st.integers(1, 3))
        dilation = draw(st.integers(1, 3))
        before, after = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        span = dilation * (kernel - 1) + 1
        size = draw(st.integers(max(1, span - before - after), 7))
        axes.append((size, kernel, draw(st.integers(1, 3)), (before, after), dilation))
    return Config.make(
        tuple(a[0] for a in axes),
        tuple(a[1] for a in axes),
        batch=draw(st.integers(1, 2)),
        channels=groups * draw(st.integers(1, 2)),
        filters=groups * draw(st.integers(1, 2)),
        groups=groups,
        stride=tuple(a[2] for a in axes),
        padding=tuple(a[3] for a in axes),
        dilation=tuple(a[4] for a in axes),
    )


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(configs())
def test_general_formulas_hold_on_random_configurations(config):
    assert config.is_valid
    for name in GENERAL_2D:
        report = check(FORMULAS[name], [config])
        assert report.passed, report.explain()
