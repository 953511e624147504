"""check_text without numpy: the checker as it runs in the reader's browser (Chapter 13).

In Pyodide there is no numpy (nor matplotlib, IPython, the widget packages): ``check_text``
runs on sympy alone and leaves out only the comparison with convgrad's numbers. A
subprocess where those packages cannot be imported runs every ``check_text`` example of
Chapter 13 and the readers' Q3 and Q5 formulas, and gets the same verdicts, first wrong
entries and reports (less the numeric line) as this process, where numpy is there.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

from convgrad.symbolic import check_text
from convgrad.symbolic.questions import q3_configs, q5_configs

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "notebooks" / "13_checking_gradients.ipynb"
#: what the browser does not have
ABSENT = ("numpy", "matplotlib", "IPython", "anywidget", "ipywidgets")

Q5 = (
    "dX[ch,p,q] = Sum(dO[f,i,j]*W[f,ch,p-(i-1)*s,q-(j-1)*s],"
    " (f,1,n_f), (i,i_lo,i_hi), (j,j_lo,j_hi))"
)
Q5_LETTERS = dict(
    tensors={"dX": "grad_x[c,h,w]", "dO": "delta[f,h,w]", "W": "w[f,c,h,w]"},
    sizes={"s": "stride", "f_r": "kernel_h", "f_c": "kernel_w", "n_f": "filters"}
    | {"h_O": "out_h", "w_O": "out_w"},
    index_base=1,
)
Q5_WHERE = {
    "as asked": {
        "i_lo": "floor((p-f_r)/s+1)",
        "i_hi": "floor((p-1)/s+1)",
        "j_lo": "floor((q-f_c)/s+1)",
        "j_hi": "floor((q-1)/s+1)",
    },
    "clipped": {
        "i_lo": "max(1, floor((p-f_r)/s+1))",
        "i_hi": "min(h_O, floor((p-1)/s+1))",
        "j_lo": "max(1, floor((q-f_c)/s+1))",
        "j_hi": "min(w_O, floor((q-1)/s+1))",
    },
    "corrected": {
        "i_lo": "max(1, ceil((p-f_r)/s)+1)",
        "i_hi": "min(h_O, floor((p-1)/s)+1)",
        "j_lo": "max(1, ceil((q-f_c)/s)+1)",
        "j_hi": "min(w_O, floor((q-1)/s)+1)",
    },
}
Q3 = "dl[m,n,u] = Sum(dn[m-a+1,n-b+1,k]*w[a,b,u,k], (k,1,F), (a,a_lo,a_hi), (b,b_lo,b_hi))"
Q3_LETTERS = dict(
    tensors={"dl": "grad_x[h,w,c]", "dn": "delta[h,w,f]", "w": "w[h,w,c,f]"},
    sizes={"F": "filters", "K_h": "kernel_h", "K_w": "kernel_w", "H": "out_h", "W": "out_w"},
    index_base=1,
)
Q3_WHERE = {
    "as asked": {"a_lo": "1", "a_hi": "K_h", "b_lo": "1", "b_hi": "K_w"},
    "exact": {"a_lo": "max(1, m-H+1)", "a_hi": "min(K_h, m)"}
    | {"b_lo": "max(1, n-W+1)", "b_hi": "min(K_w, n)"},
}


def readers_cases():
    """The Q5 and Q3 formulas typed as text: on the default grid and on the catalog's."""
    for name, where in Q5_WHERE.items():
        letters = Q5_LETTERS | {"where": where}
        yield f"Q5 {name}, stride 1, 2, 3", Q5, letters | {"stride": (1, 2, 3)}
        yield f"Q5 {name}, the catalog's grid", Q5, letters | {"grid": q5_configs("small")}
    for name, where in Q3_WHERE.items():
        yield f"Q3 {name}", Q3, Q3_LETTERS | {"where": where}
        grid = q3_configs("small")
        yield f"Q3 {name}, the catalog's grid", Q3, Q3_LETTERS | {"where": where, "grid": grid}


def chapter_cells() -> list[str]:
    """The code cells of Chapter 13 that call check_text, in order (they share variables)."""
    cells = json.loads(CHAPTER.read_text())["cells"]
    sources = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    return [source for source in sources if "check_text(" in source]


def summary(result) -> dict:
    """What the reader sees of one check, and where each report found its errors."""
    reports = []
    for report in result.reports:
        text = re.sub(r"\(\d+\.\d\d s\)", "(time)", str(report))  # a run's time, not its result
        reports.append(
            {
                "text": [line for line in text.splitlines() if not line.startswith("  numeric:")],
                "numeric": report.numeric_configurations,
                "counterexamples": [
                    [c.kind, repr(c.config), repr(c.at), c.text]
                    for c in report.counterexamples
                    if c.kind != "numeric"
                ],
            }
        )
    first = result.first_wrong
    return {
        "passed": result.passed,
        "first_wrong": None if first is None else first._asdict(),
        "text": str(result),
        "reports": reports,
    }


def run_all() -> dict:
    """Every example's summary, and the text Chapter 13's cells print."""
    import contextlib
    import io

    from convgrad.symbolic import FORMULAS

    found = {}

    def recorded(text, **kwargs):
        result = check_text(text, **kwargs)
        found[f"chapter 13, call {len(found) + 1}"] = summary(result)
        return result

    printed = io.StringIO()
    namespace = {"check_text": recorded, "FORMULAS": FORMULAS}
    with contextlib.redirect_stdout(printed):
        for source in chapter_cells():
            exec(source, namespace)  # noqa: S102  (the chapter's own cells, with their asserts)
    for name, text, kwargs in readers_cases():
        found[name] = summary(check_text(text, **kwargs))
    return {"examples": found, "printed": printed.getvalue()}


#: run in a fresh interpreter: the browser's packages only
WITHOUT_NUMPY = f"""
import importlib.abc, json, sys

ABSENT, tried = {ABSENT!r}, []

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ABSENT:
            tried.append(name)
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)

sys.meta_path.insert(0, NotInstalled())
import convgrad.symbolic
assert not tried, f"import convgrad.symbolic tried to import {{tried}}"
sys.path.insert(0, {str(Path(__file__).parent)!r})
from {Path(__file__).stem} import run_all
found = run_all()
loaded = [name for name in sys.modules if name.split(".")[0] in ABSENT]
assert not loaded, f"the checks loaded {{loaded}}"
assert set(tried) <= {{"numpy"}}, f"the checks tried to import {{sorted(set(tried))}}"
print(json.dumps(found))
"""


def test_import_convgrad_symbolic_does_not_import_numpy():
    script = "import sys, convgrad.symbolic; print([m for m in sys.modules if m == 'numpy'])"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_package_imports_its_modules_at_first_use_and_names_the_same_objects():
    # importing the modules first (as convgrad.verdict does) must not hide a function
    script = """
import convgrad.verdict, convgrad.im2col_layer, convgrad.fast_path, convgrad.finite_differences
import convgrad
assert all(callable(getattr(convgrad, name)) for name in ("conv", "im2col", "gradcheck"))
from convgrad import *
names = sorted(convgrad.__all__)
assert set(names) <= set(dir(convgrad)) and reference.conv is not conv
print((names, [getattr(convgrad, name).__name__ for name in names]))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    import convgrad

    names = sorted(convgrad.__all__)
    assert out.stdout.strip() == str((names, [getattr(convgrad, n).__name__ for n in names]))


def test_check_text_without_numpy_gives_the_same_verdicts_and_reports():
    out = subprocess.run([sys.executable, "-c", WITHOUT_NUMPY], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    browser, here = json.loads(out.stdout), json.loads(json.dumps(run_all()))  # tuples as lists
    assert here["printed"] and browser["printed"] == here["printed"]
    assert sum(name.startswith("chapter 13") for name in here["examples"]) >= 5
    assert browser["examples"].keys() == here["examples"].keys()
    for name, ours in here["examples"].items():
        theirs = browser["examples"][name]
        assert all(report["numeric"] > 0 for report in ours["reports"]), name  # numpy here
        assert all(report["numeric"] == 0 for report in theirs["reports"]), name  # not there
        for report in ours["reports"] + theirs["reports"]:
            report.pop("numeric")
        assert theirs == ours, name
    verdicts = {name: found["passed"] for name, found in here["examples"].items()}
    assert verdicts["Q5 corrected, stride 1, 2, 3"] and not verdicts["Q5 as asked, stride 1, 2, 3"]
