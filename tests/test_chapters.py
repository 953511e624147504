"""The chapters: their structure, and proof that their checks fail when convgrad is wrong.

The book's build executes every chapter; these tests check what a build cannot see
(the template of BOOK.md, clean committed notebooks, links and citations that exist)
and that the check machinery, `convgrad.verdict`, raises on a wrong gradient, both on
its own and inside the chapters.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import convgrad
import convgrad.widgets
from convgrad import verdict
from convgrad.verdict import (
    conv_forward_verdict,
    conv_gradient_verdict,
    gradient_verdict,
    numeric_verdict,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

# chapter -> the readers' questions its opening box says it answers (none: no box)
CHAPTERS = {
    "01_computational_graph": ("Q2",),
    "02_fully_connected": ("Q1",),
    "03_convolution_gate": ("Q1", "Q2"),
    "04_filter_gradient": ("Q1", "Q2"),
    "05_input_gradient": ("Q2",),
    "06_channels_filters": ("Q3", "Q4"),
    "07_bias_batch": ("Q3", "Q5"),
    "08_stride": ("Q5",),
    "09_padding": (),
    "10_dilation_groups": (),
    "11_one_formula": (),  # answers no reader question: no opening box
    "12_vectorizing": ("Q5",),
    "13_checking_gradients": ("Q3", "Q5"),
    "14_training": (),
}


def load(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def markdown(nb) -> str:
    return "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def section_code(nb, heading: str) -> list[str]:
    """Code cells between the markdown heading `heading` and the next ## heading."""
    cells, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if re.search(rf"^## {re.escape(heading)}\s*$", cell.source, re.M):
                inside = True
            elif inside and re.search(r"^##? ", cell.source, re.M):
                break
        elif inside:
            cells.append(cell.source)
    return cells


def has_assert(source: str) -> bool:
    return any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(source)))


# --- the files -------------------------------------------------------------------------


def test_chapter_files_are_numbered_in_reading_order():
    found = sorted(path.stem for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert found == sorted(CHAPTERS)


@pytest.mark.parametrize("name", CHAPTERS)
def test_committed_without_outputs(name):
    nb = load(name)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert "widgets" not in nb.metadata, "saved widget state belongs to the build, not git"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: a code cell has outputs"
            assert cell.execution_count is None, f"{name}: a code cell has an execution count"
            assert "execution" not in cell.metadata


@pytest.mark.parametrize("name", CHAPTERS)
def test_code_cells_are_python(name):
    for cell in load(name).cells:
        if cell.cell_type == "code":
            ast.parse(cell.source)  # raises SyntaxError on a broken cell


# --- the chapter template (BOOK.md) ------------------------------------------------------


@pytest.mark.parametrize("name", CHAPTERS)
def test_opening_box_title_and_goals(name):
    nb = load(name)
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert re.match(r"\(ch-[a-z-]+\)=\n# \S", first.source), "a label, then the chapter title"
    box = re.search(r"```\{admonition\} This chapter answers ([^\n]*)", first.source)
    if not CHAPTERS[name]:
        assert not box, f"{name}: an 'answers' box, but CHAPTERS lists no question for it"
    else:
        assert box, f"{name}: no 'This chapter answers Q…' admonition at the top"
    for question in CHAPTERS[name]:
        assert question in box.group(1)
        link = f"[{question}](../book/questions.md#{question.lower()})"
        assert link in first.source, f"{name}: the opening box should link to it: {link}"
    goals = first.source.split("**Learning goals.**", 1)
    assert len(goals) == 2, f"{name}: no learning goals at the top"
    bullets = re.findall(r"^- ", goals[1], re.M)
    assert len(bullets) == 3, f"{name}: {len(bullets)} learning goals, the template asks 3"


@pytest.mark.parametrize("name", CHAPTERS)
def test_sections_in_template_order(name):
    text = markdown(load(name))
    headings = re.findall(r"^## (.+)$", text, re.M)
    required = ["The result", "Symbolic check", "Numeric check", "Summary", "Exercises"]
    for heading in required:
        assert heading in headings, f"{name}: no '## {heading}' section"
    assert headings.index("Summary") > headings.index("Numeric check")
    assert headings[-1] == "Exercises"


@pytest.mark.parametrize("name", CHAPTERS)
def test_exercises_have_folded_solutions(name):
    exercises = markdown(load(name)).split("## Exercises", 1)[1]
    asked = re.findall(r"^\d+\. ", exercises, re.M)
    solutions = re.findall(r"`{3,4}\{admonition\} Solution\n:class: dropdown\n", exercises)
    assert 2 <= len(asked) <= 4, f"{name}: {len(asked)} exercises"
    assert len(solutions) == len(asked), f"{name}: every exercise needs a folded solution"


@pytest.mark.parametrize("name", CHAPTERS)
def test_check_cells_assert(name):
    nb = load(name)
    for heading in ("Symbolic check", "Numeric check"):
        code = section_code(nb, heading)
        assert code, f"{name}: '## {heading}' has no code cell"
        assert any(has_assert(source) for source in code), f"{name}: '{heading}' never asserts"
        assert any("print(" in source for source in code), f"{name}: '{heading}' prints nothing"


@pytest.mark.parametrize("name", CHAPTERS)
def test_boxed_result_is_rendered_from_the_checked_object(name):
    nb = load(name)
    assert "\\boxed" not in markdown(nb), f"{name}: a hand-typed boxed formula"
    result = "\n".join(section_code(nb, "The result"))
    assert re.search(r"FORMULAS\[|sp\.latex\(", result), f"{name}: boxed result not rendered"
    if "FORMULAS[" not in result:
        assert "boxed" in result  # chapters 1-2 box the sympy expressions they check


@pytest.mark.parametrize("name", CHAPTERS)
def test_a_picture_or_widget(name):
    code = "\n".join(c.source for c in load(name).cells if c.cell_type == "code")
    widgets = "|".join(rf"{name}\(" for name in convgrad.widgets.__all__)
    assert re.search(rf"plt\.subplots|{widgets}", code)


def test_numeric_checks_use_the_verdict_helper():
    for name in CHAPTERS:
        code = "\n".join(section_code(load(name), "Numeric check"))
        assert "_verdict(" in code, f"{name}: numeric check does not use convgrad.verdict"


# --- links, citations, the questions page -------------------------------------------------


LABEL = re.compile(r"^\(([\w-]+)\)=\s*$", re.M)
REF = re.compile(r"\{ref\}`(?:[^`<]*<)?([^`<>]+)>?`")
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")


def texts_by_file() -> dict[Path, str]:
    """The Markdown of every chapter and page of the book, by file."""
    texts = {path: markdown(load(path.stem)) for path in sorted(NOTEBOOKS.glob("*.ipynb"))}
    texts.update({path: path.read_text() for path in sorted((ROOT / "book").glob("*.md"))})
    return texts


def labels_defined() -> set[str]:
    return {label for text in texts_by_file().values() for label in LABEL.findall(text)}


def test_every_ref_resolves_within_its_own_file():
    # JupyterLab (jupyterlab-myst) resolves a {ref} only within the file it shows: one to a
    # label in another file would be a link to "#" there. Those are Markdown links instead.
    defined = labels_defined()
    for path, text in texts_by_file().items():
        where, own = path.relative_to(ROOT), set(LABEL.findall(text))
        for label in REF.findall(text):
            assert label in defined, f"{where}: {{ref}}`{label}` points nowhere"
            assert label in own, (
                f"{where}: {{ref}}`{label}` is in another file, which JupyterLab cannot follow:"
                " link to the file instead, [text](file#label)"
            )
        assert "{doc}`" not in text, f"{where}: a {{doc}} role; link to the file, [title](file)"


def test_every_link_to_another_file_reaches_a_label_there():
    texts = texts_by_file()
    labels = {path: set(LABEL.findall(text)) for path, text in texts.items()}
    links = 0
    for path, text in texts.items():
        where = path.relative_to(ROOT)
        for words, target in LINK.findall(text):
            if re.match(r"[a-z]+:|#", target):
                continue  # another site, or an anchor in the same file
            links += 1
            name, _, label = target.partition("#")
            file = (path.parent / name).resolve()
            assert words.strip(), f"{where}: ({target}) has no text (JupyterLab shows the path)"
            assert file in texts, f"{where}: ({target}) is not a chapter or page of the book"
            assert not label or label in labels[file], f"{where}: ({target}): no such label"
    assert links >= 50, f"only {links} links between the book's files"


def test_every_citation_is_in_the_bibliography():
    bib = (ROOT / "book" / "references.bib").read_text()
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, re.M))
    for name in CHAPTERS:
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", markdown(load(name))):
            for key in group.split(","):
                assert key.strip() in keys, f"{name}: cites {key!r}, not in references.bib"


def test_questions_page_lists_q1_to_q5_with_answers():
    text = (ROOT / "book" / "questions.md").read_text()
    parts = re.split(r"^\(q\d\)=\n", text, flags=re.M)[1:]
    assert [p.split("\n", 1)[0][:5] for p in parts] == ["## Q1", "## Q2", "## Q3", "## Q4", "## Q5"]
    chapter_links = r"\]\(\.\./notebooks/\d\d_\w+\.ipynb(#[\w-]+)?\)"
    for part in parts[:2]:
        assert len(re.findall(chapter_links, part)) >= 4, "Q1/Q2 link to their answers"
    q3, q4 = parts[2], parts[3]
    assert "06_channels_filters.ipynb#ch-channels-q3)" in q3
    assert "06_channels_filters.ipynb#ch-channels-swap)" in q3
    assert len(re.findall(chapter_links, q4)) >= 3 and "still to come" not in q4
    assert "still to come" not in text  # every question is answered by a chapter now
    assert "G1 = V1 W1 + V2 W2 + V4 W3 + V5 W4" in parts[0]  # the reader's own words


# --- the check machinery: it passes on right answers and raises on wrong ones ----------


def test_numeric_verdict_agrees_and_prints_a_table():
    result = numeric_verdict(
        "a title",
        {"g": np.array([1.0, 2.0])},
        {"reference loops": {"g": np.array([1.0, 2.0])}, "PyTorch autograd": "not installed"},
    )
    text = str(result)
    assert result.ok and "a title" in text and "agrees" in text
    assert "skipped (not installed)" in text and "skipped: PyTorch autograd" in text


def test_numeric_verdict_raises_on_a_wrong_value_naming_it():
    with pytest.raises(AssertionError, match=r"g differs from central differences"):
        numeric_verdict(
            "t", {"g": np.array([1.0, 2.0])}, {"central differences": {"g": np.array([1.0, 2.1])}}
        )


def test_numeric_verdict_raises_on_nan_and_on_a_shape_mismatch():
    with pytest.raises(AssertionError, match="DIFFERS"):
        numeric_verdict("t", {"g": np.array([np.nan])}, {"reference loops": {"g": np.zeros(1)}})
    with pytest.raises(AssertionError, match="shape"):
        numeric_verdict("t", {"g": np.zeros((2, 2))}, {"reference loops": {"g": np.zeros(4)}})


def test_tolerances_are_tight_enough_to_see_an_off_by_one_scale():
    ours = {"g": np.array([1.0, 1.0 + 1e-9])}
    numeric_verdict("t", ours, {"central differences": {"g": np.ones(2)}})
    with pytest.raises(AssertionError):
        numeric_verdict("t", ours, {"reference loops": {"g": np.ones(2)}})


def f_of(x, y, z):
    return ((x + y) * z).sum()


def test_gradient_verdict_passes_on_the_right_gradient():
    inputs = {"x": 2.0, "y": -5.0, "z": 3.0}
    result = gradient_verdict(f_of, inputs, {"x": 3.0, "y": 3.0, "z": -3.0}, torch_f=f_of)
    assert result.ok
    assert "central differences" in result.sources_run


@pytest.mark.parametrize(
    "grads", [{"x": 3.0, "y": 3.0, "z": 3.0}, {"x": -3.0, "y": 3.0, "z": -3.0}]
)
def test_gradient_verdict_raises_on_a_wrong_gradient(grads):
    with pytest.raises(AssertionError, match="DIFFERS"):
        gradient_verdict(f_of, {"x": 2.0, "y": -5.0, "z": 3.0}, grads, torch_f=f_of)


def test_pytorch_runs_when_importable_and_is_reported_skipped_when_not(monkeypatch):
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, -1.0], [2.0, 0.0]]]])
    delta = np.array([[[[0.5, -1.0], [2.0, 1.0]]]])
    try:
        import torch  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PyTorch cross-checks: torch is not importable")
    else:
        ran = conv_gradient_verdict(x, w, delta).sources_run
        assert any(source.startswith("PyTorch") for source in ran)
    monkeypatch.setattr(verdict, "import_torch", lambda: None)
    result = conv_gradient_verdict(x, w, delta)
    assert result.sources_skipped == ("PyTorch autograd",)
    assert "PyTorch not installed" in str(result)


CASES = [
    dict(x=(1, 1, 3, 3), w=(1, 1, 2, 2), settings={}),
    dict(x=(2, 3, 7, 6), w=(4, 3, 3, 2), settings=dict(stride=2, padding=1)),
    dict(x=(1, 2, 9), w=(2, 2, 3), settings=dict(dilation=2)),
]


def case_arrays(case, seed=0):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=case["x"]), rng.normal(size=case["w"])
    delta = rng.normal(size=convgrad.output_shape(x.shape, w.shape, **case["settings"]))
    return x, w, delta


@pytest.mark.parametrize("case", CASES)
def test_conv_gradient_verdict_passes_on_convgrad(case):
    x, w, delta = case_arrays(case)
    assert conv_gradient_verdict(x, w, delta, **case["settings"]).ok


def unrotated_grad_x(grad_y, x, w, **settings):
    """The classic mistake: the full convolution with the kernel *not* rotated."""
    right = convgrad.conv_backward(grad_y, x, w, **settings)
    flipped = w[(..., *[slice(None, None, -1)] * (w.ndim - 2))]
    wrong_x = convgrad.conv_backward(grad_y, x, flipped, **settings).x
    return convgrad.Gradients(x=wrong_x, w=right.w, b=right.b)


def shifted_grad_w(grad_y, x, w, **settings):
    """An off-by-one: the weight gradient read one tap too far."""
    right = convgrad.conv_backward(grad_y, x, w, **settings)
    return convgrad.Gradients(x=right.x, w=np.roll(right.w, 1, axis=-1), b=right.b)


def doubled_grad_b(grad_y, x, w, **settings):
    right = convgrad.conv_backward(grad_y, x, w, **settings)
    return convgrad.Gradients(x=right.x, w=right.w, b=2 * right.b)


def stride_ignored(grad_y, x, w, **settings):
    """Gradients of the stride-1 layer, cut to the right shapes."""
    settings = {**settings, "stride": 1}
    grad_y_dense = np.zeros(convgrad.output_shape(x.shape, w.shape, **settings))
    grad_y_dense[(..., *[slice(0, n) for n in grad_y.shape[2:]])] = grad_y
    return convgrad.conv_backward(grad_y_dense, x, w, **settings)


@pytest.mark.parametrize(
    "broken", [unrotated_grad_x, shifted_grad_w, doubled_grad_b], ids=lambda f: f.__name__
)
@pytest.mark.parametrize("case", CASES)
def test_conv_gradient_verdict_raises_on_a_wrong_backward(case, broken):
    x, w, delta = case_arrays(case, seed=1)
    with pytest.raises(AssertionError, match="DIFFERS"):
        conv_gradient_verdict(x, w, delta, **case["settings"], backward=broken)


def test_conv_gradient_verdict_raises_when_the_stride_is_ignored():
    x, w, delta = case_arrays(CASES[1], seed=2)
    with pytest.raises(AssertionError, match="DIFFERS"):
        conv_gradient_verdict(x, w, delta, stride=2, padding=1, backward=stride_ignored)


def test_conv_gradient_verdict_checks_only_what_it_shows():
    x, w, delta = case_arrays(CASES[0])
    result = conv_gradient_verdict(x, w, delta, which=("w",), backward=unrotated_grad_x)
    assert {row.quantity for row in result.rows} == {"∂L/∂W"}
    with pytest.raises(AssertionError):
        conv_gradient_verdict(x, w, delta, which=("x",), backward=unrotated_grad_x)


def test_conv_forward_verdict_passes_on_convgrad_and_raises_on_a_flipped_kernel():
    x, w, _ = case_arrays(CASES[1])
    b = np.arange(4.0)
    assert conv_forward_verdict(x, w, b, stride=2, padding=1).ok

    def true_convolution(x, w, b=None, **settings):
        return convgrad.conv(x, w[..., ::-1, ::-1], b, **settings)

    with pytest.raises(AssertionError, match="Y differs from reference loops"):
        conv_forward_verdict(x, w, b, stride=2, padding=1, forward=true_convolution)


def test_transpose_backward_verdict_passes_and_raises_on_a_wrong_output_padding():
    # r = 1 row past the last window: output_padding matters
    case = dict(x=(2, 3, 8, 7), w=(4, 3, 3, 2), settings=dict(stride=2, padding=1))
    x, w, delta = case_arrays(case, seed=3)
    settings = case["settings"]
    assert verdict.transpose_backward_verdict(x, w, delta, **settings).ok
    x_asym = np.random.default_rng(4).normal(size=(1, 3, 8, 6))
    pads = dict(stride=2, padding=((0, 1), (2, 1)))
    delta_asym = np.ones(convgrad.output_shape(x_asym.shape, w.shape, **pads))
    assert verdict.transpose_backward_verdict(x_asym, w, delta_asym, **pads).ok

    def no_output_padding(grad_y, x_shape, w, **settings):
        """conv_transpose as the backward, output_padding forgotten, zero-filled to size."""
        short = convgrad.conv_transpose(grad_y, w, **settings)
        grad_x = np.zeros(x_shape)
        grad_x[(..., *(slice(0, n) for n in short.shape[2:]))] = short
        return grad_x

    with pytest.raises(AssertionError, match="DIFFERS"):
        verdict.transpose_backward_verdict(
            x, w, delta, **settings, grad_x_as_transpose=no_output_padding
        )


# --- the chapters themselves: they run, and they stop when convgrad is wrong ------------


def execute(name: str, prelude: str | None = None) -> nbformat.NotebookNode:
    nb = load(name)
    if prelude:
        nb.cells.insert(0, nbformat.v4.new_code_cell(prelude))
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    return nb


def printed(nb) -> str:
    return "\n".join(
        output.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    )


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_runs_and_its_checks_report_agreement(name):
    text = printed(execute(name))
    assert "comparisons agree" in text or "1 comparison agrees" in text
    assert "DIFFERS" not in text and "FAILED" not in text


def test_training_chapter_runs_without_pytorch_and_says_what_it_skipped():
    # `make book` has no PyTorch: chapter 14 must still train, check and say what it skipped
    text = printed(execute("14_training", 'import sys\nsys.modules["torch"] = None'))
    assert "test accuracy: " in text and "DIFFERS" not in text
    assert text.count("skipped: PyTorch autograd") == 4  # gradient, W3, 20 steps, dL/dX
    assert "largest relative_error" not in text  # printed only after a comparison ran


# Each prelude breaks one function of convgrad the chapter relies on, after import.
BREAK_FORWARD = """
import convgrad
_right_conv = convgrad.conv
convgrad.conv = lambda x, w, b=None, **kw: _right_conv(x, w[..., ::-1, ::-1].copy(), b, **kw)
"""
BREAK_GRAD_W = """
import convgrad
_right_backward = convgrad.conv_backward
def _wrong_backward(grad_y, x, w, **kw):
    right = _right_backward(grad_y, x, w, **kw)
    return convgrad.Gradients(x=right.x, w=right.w[..., ::-1, ::-1].copy(), b=right.b)
convgrad.conv_backward = _wrong_backward
"""
BREAK_GRAD_W_DILATION = """
import numpy as np
import convgrad
_right_backward = convgrad.conv_backward
def _wrong_backward(grad_y, x, w, **kw):
    right = _right_backward(grad_y, x, w, **kw)
    # the filter gradient read as if the taps were adjacent: dilation ignored
    plain = {**kw, "dilation": 1}
    grad_y_plain = np.zeros(convgrad.output_shape(x.shape, w.shape, **plain))
    grad_y_plain[(..., *[slice(0, n) for n in grad_y.shape[2:]])] = grad_y
    wrong_w = _right_backward(grad_y_plain, x, w, **plain).w
    return convgrad.Gradients(x=right.x, w=wrong_w, b=right.b)
convgrad.conv_backward = _wrong_backward
"""
BREAK_GRAD_X = BREAK_GRAD_W.replace(
    "x=right.x, w=right.w[..., ::-1, ::-1].copy()", "x=right.x[..., ::-1, ::-1].copy(), w=right.w"
)
# the bias gradient of the first sample only: right whenever the batch has one sample
BREAK_GRAD_B = BREAK_GRAD_W.replace(
    "w=right.w[..., ::-1, ::-1].copy(), b=right.b", "w=right.w, b=grad_y[0].sum(axis=(1, 2))"
)
# col2im as an inverse (overlapping windows averaged), not the adjoint (summed)
BREAK_COL2IM = """
import numpy as np
import convgrad
_right_col2im = convgrad.col2im
def _averaging_col2im(cols, x_shape, kernel, **kw):
    covered = convgrad.im2col(np.ones(x_shape), kernel, **kw)
    count = _right_col2im(covered, x_shape, kernel, **kw)
    return _right_col2im(cols, x_shape, kernel, **kw) / np.maximum(count, 1)
convgrad.col2im = _averaging_col2im
"""
# the channel axes not swapped back: each input channel gets another channel's gradient
BREAK_CHANNELS = BREAK_GRAD_W.replace(
    "x=right.x, w=right.w[..., ::-1, ::-1].copy()", "x=right.x[:, ::-1].copy(), w=right.w"
)
# conv_transpose without its kernel flip (a common slip: the flip is the transpose)
BREAK_TRANSPOSE = """
import convgrad
_right_transpose = convgrad.conv_transpose
def _unflipped(x, w, b=None, **kw):
    flipped = w[(..., *[slice(None, None, -1)] * (w.ndim - 2))].copy()
    return _right_transpose(x, flipped, b, **kw)
convgrad.conv_transpose = _unflipped
"""


@pytest.mark.parametrize(
    "name, prelude",
    [
        ("03_convolution_gate", BREAK_FORWARD),
        ("04_filter_gradient", BREAK_GRAD_W),
        ("05_input_gradient", BREAK_GRAD_X),
        ("06_channels_filters", BREAK_CHANNELS),
        ("07_bias_batch", BREAK_GRAD_B),
        ("08_stride", BREAK_GRAD_X),
        ("09_padding", BREAK_GRAD_X),
        ("10_dilation_groups", BREAK_GRAD_W_DILATION),
        ("11_one_formula", BREAK_TRANSPOSE),
        ("12_vectorizing", BREAK_COL2IM),
        ("13_checking_gradients", BREAK_GRAD_X),
        ("14_training", BREAK_GRAD_W),
    ],
)
def test_chapter_stops_when_convgrad_is_wrong(name, prelude):
    assert len({BREAK_GRAD_X, BREAK_GRAD_W, BREAK_GRAD_B, BREAK_CHANNELS}) == 4
    with pytest.raises(CellExecutionError) as failure:
        execute(name, prelude)
    assert failure.value.ename == "AssertionError"
