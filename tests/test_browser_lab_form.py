"""Chapter 13's form is live in JupyterLab: the kernel's check_text answers (issue 19).

Starts JupyterLab on 127.0.0.1 with a notebook whose one cell is the chapter's form cell,
runs it in Debian's chromium, fills in a preset, presses Check and reads the verdict the
kernel sent back through the widget: check_text's report, word for word.
"""

import re
from pathlib import Path

import nbformat
import pytest

from convgrad.symbolic.form_fields import check_fields
from convgrad.widgets.check_form import preset_fields

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "13_checking_gradients.ipynb"


def form_cell() -> str:
    (cell,) = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.id == "ch13-form"]
    return cell.source


@pytest.fixture(scope="module")
def lab(tmp_path_factory, jupyterlab):
    root = tmp_path_factory.mktemp("lab-form")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(form_cell())])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, root / "form.ipynb")
    return jupyterlab(root)


def test_the_form_is_live_in_jupyterlab(lab, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    lab.run_all(page, "form.ipynb")
    root = page.locator(".cg-check-form")
    root.wait_for(timeout=60_000)
    for name, label, status in [
        ("q5-as-asked", re.compile(r"Q5.*as asked"), "wrong"),
        ("q5-corrected", "Q5 corrected", "correct"),
    ]:
        page.get_by_role("button", name=label).click()
        page.get_by_role("button", name="Check", exact=True).click()
        page.wait_for_function(
            "root => root.dataset.state === 'done'", arg=root.element_handle(), timeout=60_000
        )
        assert root.get_attribute("data-verdict") == status
        shown = root.locator(".cg-verdict").text_content()
        assert shown == check_fields(preset_fields(name))["report"]
    # the kernel answered: no Python was started in the page
    assert not [url for url in requests if "pyodide" in url or "convgrad-checker" in url]
    assert root.get_by_role("button", name="Stop").is_hidden()
