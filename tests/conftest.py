"""Shared fixtures: PyTorch as the independent reference for convgrad's results; the
built book served locally, Debian's chromium and JupyterLab for the browser tests.

Locally a missing torch (or playwright) skips the tests that need it; in CI (CI=true) it
fails them, so a run without PyTorch can never pass by skipping.
"""

import functools
import http.server
import importlib
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"  # the built book (make book)
CHROMIUM = Path("/usr/bin/chromium")  # Debian's (make chromium)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
CHROMIUM_ARGS += ["--disable-background-networking", "--disable-component-update"]
CHROMIUM_ARGS += ["--disable-sync"]


def _required(module: str, why: str):
    """`module` imported; if it is missing, a skip locally and a failure in CI (CI=true)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            name = module.split(".")[0]
            pytest.fail(f"{why}; CI=true, so a missing {name} fails instead of skipping")
        pytest.skip(why)


@pytest.fixture(scope="session")
def required():
    """``required(module, why)``: the module, or a skip (locally) or failure (in CI)."""
    return _required


def _import_torch():
    why = "PyTorch (torch==2.13.0, requirements-test.txt) is needed for the cross-checks"
    torch = _required("torch", why)
    # tiny problems: one thread avoids thread-pool spin on a 2-core machine
    torch.set_num_threads(1)
    return torch


@pytest.fixture(scope="session")
def torch():
    """The torch module (skips locally, fails in CI if it is missing)."""
    return _import_torch()


def _autograd(torch, function, x, w, b, grad_y, **options):
    """function(x, w, b, **options) by PyTorch, then its backward for grad_y: numpy arrays
    (y, grad_x, grad_w, grad_b), the gradients None when grad_y is None."""
    x_t = torch.tensor(x, requires_grad=True)
    w_t = torch.tensor(w, requires_grad=True)
    b_t = torch.tensor(b, requires_grad=True) if b is not None else None
    with warnings.catch_warnings():
        # torch warns that "same" with an even kernel copies the input: expected here
        warnings.filterwarnings("ignore", message="Using padding='same'")
        y_t = function(x_t, w_t, b_t, **options)
    if grad_y is None:
        return y_t.detach().numpy(), None, None, None
    grad_y_t = torch.tensor(grad_y)
    y_t.backward(grad_y_t)
    spatial = tuple(range(2, grad_y_t.ndim))
    grad_b = b_t.grad if b_t is not None else grad_y_t.sum(dim=(0, *spatial))
    return y_t.detach().numpy(), x_t.grad.numpy(), w_t.grad.numpy(), grad_b.numpy()


@pytest.fixture(scope="session")
def torch_conv(torch):
    """conv forward + backward by PyTorch autograd: returns (y, grad_x, grad_w, grad_b).

    Call as torch_conv(x, w, b, grad_y, stride=..., padding=..., dilation=..., groups=...);
    b may be None (grad_b is then grad_y summed over batch and positions, via torch).
    """
    functions = {n: getattr(torch.nn.functional, f"conv{n}d") for n in (1, 2, 3)}

    def run(x, w, b, grad_y, *, stride=1, padding=0, dilation=1, groups=1):
        options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        return _autograd(torch, functions[x.ndim - 2], x, w, b, grad_y, **options)

    return run


@pytest.fixture(scope="session")
def torch_conv_transpose(torch):
    """conv_transpose forward + backward by PyTorch autograd: (y, grad_x, grad_w, grad_b).

    Call as torch_conv_transpose(x, w, b, grad_y, stride=..., padding=...,
    output_padding=..., dilation=..., groups=...); b may be None, as for torch_conv.
    """
    functions = {n: getattr(torch.nn.functional, f"conv_transpose{n}d") for n in (1, 2, 3)}

    def run(x, w, b, grad_y, **options):
        return _autograd(torch, functions[x.ndim - 2], x, w, b, grad_y, **options)

    return run


@pytest.fixture
def rng():
    """A fresh, seeded generator per test, so every test is reproducible on its own."""
    return np.random.default_rng(20261121)


@pytest.fixture(scope="session")
def playwright_api():
    """playwright's sync API: skips locally when missing, fails in CI (CI=true) like torch."""
    why = "the browser tests need playwright (requirements-test.txt)"
    return _required("playwright.sync_api", why)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url():
    """The built book's address, served from _build/html on 127.0.0.1 for the module."""
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE} has no built book: run `make book` first (make test does)")
    handler = functools.partial(_Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(playwright_api):
    """Debian's chromium, driven by playwright, for the module's tests."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Lab:
    """A running JupyterLab: ``lab(path)`` is the address of a path in its folder."""

    def __init__(self, url, token):
        self.url, self.token = url, token

    def __call__(self, path):
        return f"{self.url}/lab/tree/{path}?token={self.token}"

    def run_all(self, page, notebook):
        """Open `notebook` in `page`, wait for its kernel, run all its cells."""
        page.goto(self(notebook))
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


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """``jupyterlab(root)`` starts JupyterLab on 127.0.0.1 on the folder `root` and returns
    it (a `_Lab`). Its own settings, workspace and runtime folders (the user's would carry
    other sessions' tabs and preferences); a reader's JupyterLab, not the book's build.
    Every server stops after the module's tests.
    """
    from convgrad.widgets.check_form import STATIC_BOOK

    servers = []

    def start(root):
        port, token, state = _free_port(), secrets.token_hex(16), tmp_path_factory.mktemp("lab")
        env = dict(
            os.environ,
            JUPYTER_RUNTIME_DIR=str(state / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
        )
        env.pop(STATIC_BOOK, None)
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]  # fmt: skip
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        servers.append(server)
        url = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
                return _Lab(url, token)
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"JupyterLab exited: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.5)
        pytest.fail("JupyterLab did not start within 60 s")

    yield start
    for server in servers:
        server.terminate()
        server.wait(timeout=30)
