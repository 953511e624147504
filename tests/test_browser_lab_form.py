"""Chapter 13's form is live in JupyterLab: the kernel's check_text answers (issue 19).

Starts JupyterLab on 127.0.0.1 with a notebook whose one cell is the chapter's form cell,
runs it in Debian's chromium, fills in a preset, presses Check and reads the verdict the
kernel sent back through the widget: check_text's report, word for word.
"""

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from convgrad.symbolic.form import check_fields
from convgrad.widgets.check_form import STATIC_BOOK, preset_fields

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "13_checking_gradients.ipynb"


def form_cell() -> str:
    (cell,) = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.id == "ch13-form"]
    return cell.source


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab-form")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(form_cell())])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, root / "form.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(root / "runtime"))
    env.pop(STATIC_BOOK, None)  # a reader's JupyterLab, not the book's build
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"JupyterLab exited: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        yield f"{url}/lab/tree/form.ipynb?token={token}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_form_is_live_in_jupyterlab(lab, playwright_api):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        requests = []
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        page.goto(lab)
        page.wait_for_function(
            "() => window.jupyterapp && jupyterapp.shell.currentWidget"
            " && jupyterapp.shell.currentWidget.sessionContext"
            " && jupyterapp.shell.currentWidget.sessionContext.session",
            timeout=60_000,
        )
        page.evaluate(
            "() => jupyterapp.shell.currentWidget.sessionContext.ready"
            ".then(() => jupyterapp.commands.execute('notebook:run-all-cells'))"
        )
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
        browser.close()
