"""The widgets live in JupyterLab: drawn by the same ES modules, synced with Python (issue 3).

Starts JupyterLab on 127.0.0.1 with a small notebook, runs it in Debian's chromium,
and checks both directions: Python sets a trait and the drawing follows; the reader
moves a slider and Python sees the new value.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]

SETUP = """\
import numpy as np
from convgrad.widgets import InputGradient, SlidingWindow, WeightGradient

x = np.arange(16.0).reshape(4, 4) - 5
w = np.array([[1.0, -1.0], [2.0, 0.0]])
delta = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0], [0.0, -2.0, 1.0]])
widgets = [SlidingWindow(x, w), WeightGradient(x, w, delta), InputGradient(x, w, delta)]
traits = ["position", "weight", "pixel"]
"""
FROM_PYTHON = "for widget, trait in zip(widgets, traits):\n    setattr(widget, trait, 2)"
REPORT = "print('TRAITS', [getattr(wg, t) for wg, t in zip(widgets, traits)])"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    cells = [SETUP, "widgets[0]", "widgets[1]", "widgets[2]", FROM_PYTHON, REPORT]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, root / "live.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(root / "runtime"))
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
        yield f"{url}/lab/tree/live.ipynb?token={token}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_widgets_run_live_in_jupyterlab(lab, playwright_api):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
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
        roots = page.locator(".cg-widget")
        page.wait_for_function(
            "() => document.querySelectorAll('.cg-widget').length === 3", timeout=60_000
        )
        # Python -> drawing: the last-but-one cell set every widget's index to 2
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.cg-widget'))"
            ".every(r => r.dataset.position === '2')",
            timeout=30_000,
        )
        # drawing -> Python: move each slider, then ask the kernel
        for n, target in enumerate((5, 3, 7)):
            roots.nth(n).locator("input.cg-slider").fill(str(target))
            assert roots.nth(n).get_attribute("data-position") == str(target)
        page.wait_for_timeout(500)  # let the comm messages reach the kernel
        page.evaluate(
            """() => {
              const panel = jupyterapp.shell.currentWidget;
              panel.content.activeCellIndex = panel.content.widgets.length - 1;
              return jupyterapp.commands.execute('notebook:run-cell');
            }"""
        )
        report = page.locator(".jp-OutputArea-output", has_text="TRAITS")
        report.wait_for(timeout=30_000)
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
            ".some(o => o.textContent.includes('TRAITS [5, 3, 7]'))",
            timeout=30_000,
        )
        assert json.loads(report.inner_text().split("TRAITS", 1)[1]) == [5, 3, 7]
        browser.close()
