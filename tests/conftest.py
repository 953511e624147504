"""Shared fixtures: PyTorch as the independent reference for convgrad's results.

Locally a missing torch skips the cross-checks; in CI (CI=true) it fails them,
so a run without PyTorch can never pass by skipping.
"""

import os
import warnings

import numpy as np
import pytest


def _import_torch():
    try:
        import torch
    except ImportError:
        message = "PyTorch (torch==2.13.0, requirements-test.txt) is needed for the cross-checks"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI=true, so a missing torch fails instead of skipping")
        pytest.skip(message)
    # tiny problems: one thread avoids thread-pool spin on a 2-core machine
    torch.set_num_threads(1)
    return torch


@pytest.fixture(scope="session")
def torch():
    """The torch module (skips locally, fails in CI if it is missing)."""
    return _import_torch()


@pytest.fixture(scope="session")
def torch_conv(torch):
    """conv forward + backward by PyTorch autograd: returns (y, grad_x, grad_w, grad_b).

    Call as torch_conv(x, w, b, grad_y, stride=..., padding=..., dilation=..., groups=...);
    b may be None (grad_b is then grad_y summed over batch and positions, via torch).
    """
    functions = {
        1: torch.nn.functional.conv1d,
        2: torch.nn.functional.conv2d,
        3: torch.nn.functional.conv3d,
    }

    def run(x, w, b, grad_y, *, stride=1, padding=0, dilation=1, groups=1):
        x_t = torch.tensor(x, requires_grad=True)
        w_t = torch.tensor(w, requires_grad=True)
        b_t = torch.tensor(b, requires_grad=True) if b is not None else None
        with warnings.catch_warnings():
            # torch warns that "same" with an even kernel copies the input: expected here
            warnings.filterwarnings("ignore", message="Using padding='same'")
            y_t = functions[x.ndim - 2](
                x_t, w_t, b_t, stride=stride, padding=padding, dilation=dilation, groups=groups
            )
        if grad_y is None:
            return y_t.detach().numpy(), None, None, None
        grad_y_t = torch.tensor(grad_y)
        y_t.backward(grad_y_t)
        spatial = tuple(range(2, grad_y_t.ndim))
        grad_b = b_t.grad if b_t is not None else grad_y_t.sum(dim=(0, *spatial))
        return (
            y_t.detach().numpy(),
            x_t.grad.numpy(),
            w_t.grad.numpy(),
            grad_b.numpy(),
        )

    return run


@pytest.fixture(scope="session")
def torch_conv_transpose(torch):
    """conv_transpose forward + backward by PyTorch autograd: (y, grad_x, grad_w, grad_b).

    Call as torch_conv_transpose(x, w, b, grad_y, stride=..., padding=...,
    output_padding=..., dilation=..., groups=...); b may be None, as for torch_conv.
    """
    functions = {
        1: torch.nn.functional.conv_transpose1d,
        2: torch.nn.functional.conv_transpose2d,
        3: torch.nn.functional.conv_transpose3d,
    }

    def run(x, w, b, grad_y, **options):
        x_t = torch.tensor(x, requires_grad=True)
        w_t = torch.tensor(w, requires_grad=True)
        b_t = torch.tensor(b, requires_grad=True) if b is not None else None
        y_t = functions[x.ndim - 2](x_t, w_t, b_t, **options)
        if grad_y is None:
            return y_t.detach().numpy(), None, None, None
        grad_y_t = torch.tensor(grad_y)
        y_t.backward(grad_y_t)
        spatial = tuple(range(2, grad_y_t.ndim))
        grad_b = b_t.grad if b_t is not None else grad_y_t.sum(dim=(0, *spatial))
        return y_t.detach().numpy(), x_t.grad.numpy(), w_t.grad.numpy(), grad_b.numpy()

    return run


@pytest.fixture
def rng():
    """A fresh, seeded generator per test, so every test is reproducible on its own."""
    return np.random.default_rng(20261121)


@pytest.fixture(scope="session")
def playwright_api():
    """playwright's sync API: skips locally when missing, fails in CI (CI=true) like torch."""
    try:
        from playwright import sync_api
    except ImportError:
        message = "the browser tests need playwright (requirements-test.txt)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI=true, so a missing playwright fails instead of skipping")
        pytest.skip(message)
    return sync_api
