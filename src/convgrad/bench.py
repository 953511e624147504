"""Benchmark: convgrad's forward plus its three gradients against PyTorch on the CPU.

Run ``python -m convgrad.bench`` (``--quick`` for fewer rounds). Chapter 12 discusses
the numbers. Each round times convgrad in one block and PyTorch in another, never call
by call alternating: both thread pools spin on two cores and would distort each other.
The ratio is taken per round and the median over rounds is reported.

Beside PyTorch, a yardstick that does not move with the implementation: the bound, the
three im2col matrix products of forward + backward with their operands prepared
beforehand, ``W @ cols``, ``grad_y @ cols.T`` and ``W.T @ grad_y`` (W (F, C*K*K), cols
(C*K*K, N*P), grad_y (F, N*P), P the output positions). convgrad's time over the bound
is numpy against numpy, far steadier on a shared machine than the ratio to PyTorch.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tracemalloc
from dataclasses import dataclass
from functools import partial

import numpy as np

import convgrad
from convgrad import reference
from convgrad.fast_path import _release_scratch


@dataclass(frozen=True)
class Workload:
    name: str
    batch: int
    channels: int
    size: int
    filters: int
    kernel: int
    stride: int
    padding: int

    def shapes(self):
        x_shape = (self.batch, self.channels, self.size, self.size)
        w_shape = (self.filters, self.channels, self.kernel, self.kernel)
        return x_shape, w_shape

    def multiply_adds(self) -> int:
        """Of the forward and both gradients: the backward costs two forwards (Chapter 12)."""
        out = (self.size + 2 * self.padding - self.kernel) // self.stride + 1
        return 3 * self.batch * self.filters * self.channels * self.kernel**2 * out**2

    def flops(self) -> float:
        return 2.0 * self.multiply_adds()


WORKLOADS = [
    Workload("small", 8, 3, 32, 16, 3, 1, 1),
    Workload("medium", 32, 64, 32, 64, 3, 1, 1),
    Workload("strided", 32, 32, 64, 64, 5, 2, 2),
    Workload("large-kernel", 4, 16, 128, 16, 7, 1, 3),
]

# Targets: median of convgrad time / PyTorch time.
TARGETS = {
    "float64": {"small": 1.0, "medium": 0.7, "strided": 0.7, "large-kernel": 0.7},
    "float32": {"small": 1.2, "medium": 1.8, "strided": 1.8, "large-kernel": 3.0},
}

# Targets: median of convgrad time / the bound (float32; float64 is reported only).
BOUND_TARGETS = {"small": 1.5, "medium": 1.0, "strided": 1.2, "large-kernel": 0.8}


def make_inputs(workload: Workload, dtype, seed: int = 0):
    rng = np.random.default_rng(seed)
    x_shape, w_shape = workload.shapes()
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(workload.filters).astype(dtype)
    geometry = dict(stride=workload.stride, padding=workload.padding)
    y_shape = convgrad.output_shape(x_shape, w_shape, **geometry)
    grad_y = rng.standard_normal(y_shape).astype(dtype)
    return x, w, b, grad_y, geometry


def convgrad_step(x, w, b, grad_y, geometry):
    convgrad.conv(x, w, b, **geometry)
    return convgrad.conv_backward(grad_y, x, w, **geometry)


def bound_factory(workload: Workload, dtype, seed: int = 2):
    """The yardstick: the three im2col products of forward + backward, operands ready."""
    rng = np.random.default_rng(seed)
    out = (workload.size + 2 * workload.padding - workload.kernel) // workload.stride + 1
    columns = workload.batch * out * out  # N * P: one column per window
    taps = workload.channels * workload.kernel**2  # C * K * K
    w_matrix = rng.standard_normal((workload.filters, taps)).astype(dtype)
    cols = rng.standard_normal((taps, columns)).astype(dtype)
    grad_y = rng.standard_normal((workload.filters, columns)).astype(dtype)

    def step():
        w_matrix @ cols  # y
        grad_y @ cols.T  # dL/dW
        w_matrix.T @ grad_y  # the columns of dL/dx, before col2im

    return step


def reference_step(x, w, b, grad_y, geometry):
    reference.conv(x, w, b, **geometry)
    return reference.conv_backward(grad_y, x, w, **geometry)


def time_block(step, repeats: int, summary=statistics.median) -> float:
    """Median seconds of `repeats` calls, after one warm-up call; Chapter 12 takes the min."""
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return summary(times)


def gemm_ceiling(dtype, size: int = 1024, repeats: int = 5) -> float:
    """GFLOP/s of a square numpy matmul: the most the BLAS gives on this machine now."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((size, size)).astype(dtype)
    c = rng.standard_normal((size, size)).astype(dtype)
    seconds = time_block(lambda: a @ c, repeats)
    return 2.0 * size**3 / seconds / 1e9


def peak_traced_mib(step) -> float:
    """Peak memory traced during one step, scratch memory kept from earlier calls included."""
    _release_scratch()  # so that the step allocates it again, traced
    tracemalloc.start()
    tracemalloc.reset_peak()
    step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def torch_step_factory(torch, x, w, b, grad_y, geometry):
    tx = torch.from_numpy(x).requires_grad_()
    tw = torch.from_numpy(w).requires_grad_()
    tb = torch.from_numpy(b).requires_grad_()
    tgrad_y = torch.from_numpy(grad_y)

    def step():
        tx.grad = tw.grad = tb.grad = None
        y = torch.nn.functional.conv2d(tx, tw, tb, **geometry)
        y.backward(tgrad_y)

    return step


def run(workloads, dtypes, rounds: int, repeats: int, with_reference: bool):
    try:
        import torch
    except ImportError:  # the benchmark is about the ratio; without torch it cannot run
        raise SystemExit("the benchmark needs PyTorch: pip install torch==2.13.0") from None

    print(
        f"machine: {platform.processor() or platform.machine()}, {_cores()} cores, "
        f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads)"
    )
    print(_load())
    rows = []
    for dtype in dtypes:
        ceiling = gemm_ceiling(dtype)
        print(f"\n{np.dtype(dtype).name}: GEMM ceiling {ceiling:.0f} GFLOP/s (square 1024 matmul)")
        for workload in workloads:
            inputs = make_inputs(workload, dtype)
            ours = partial(convgrad_step, *inputs)
            theirs = torch_step_factory(torch, *inputs)
            bound = bound_factory(workload, dtype)
            times = {"ours": [], "bound": [], "theirs": []}
            for _ in range(rounds):  # each in its own block, every round
                for name, step in (("ours", ours), ("bound", bound), ("theirs", theirs)):
                    times[name].append(time_block(step, repeats))
            del bound  # its column matrix is large
            ratios = [o / t for o, t in zip(times["ours"], times["theirs"], strict=True)]
            bound_ratios = [o / b for o, b in zip(times["ours"], times["bound"], strict=True)]
            ratio = statistics.median(ratios)
            ours_seconds = statistics.median(times["ours"])
            loop_seconds = None
            if with_reference and workload.name == "small":
                loop_seconds = time_block(partial(reference_step, *inputs), repeats=1)
            target = TARGETS[np.dtype(dtype).name][workload.name]
            rows.append(
                dict(
                    dtype=np.dtype(dtype).name,
                    workload=workload.name,
                    convgrad_ms=1e3 * ours_seconds,
                    torch_ms=1e3 * statistics.median(times["theirs"]),
                    loops_ms=None if loop_seconds is None else 1e3 * loop_seconds,
                    ratio=ratio,
                    spread=(min(ratios), max(ratios)),
                    target=target,
                    bound_ms=1e3 * statistics.median(times["bound"]),
                    bound_ratio=statistics.median(bound_ratios),
                    bound_spread=(min(bound_ratios), max(bound_ratios)),
                    bound_target=BOUND_TARGETS[workload.name] if dtype == np.float32 else None,
                    gflops=workload.flops() / ours_seconds / 1e9,
                    ceiling=ceiling,
                    peak_mib=peak_traced_mib(ours),
                )
            )
            _print_row(rows[-1])
    return rows


def _load() -> str:
    """The load average: on a shared machine, the context every timing needs."""
    if not hasattr(os, "getloadavg"):
        return "load average: unknown"
    return "load average (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


HEADER = (
    f"{'workload':<13}{'convgrad ms':>12}{'torch ms':>10}{'loops ms':>10}"
    f"{'ratio':>7}{'target':>10}{'bound ms':>10}{'/bound':>8}{'target':>10}"
    f"{'GFLOP/s':>9}{'of GEMM':>9}{'peak MiB':>10}"
)


def _against(value, target) -> str:
    """'≤1.2 ok' or '≤1.2 SLOW', or blank without a target."""
    if target is None:
        return ""
    return f"≤{target:.1f} " + ("ok" if value <= target else "SLOW")


def _print_row(row) -> None:
    if _print_row.last_dtype != row["dtype"]:
        print(HEADER)
        _print_row.last_dtype = row["dtype"]
    loops = "-" if row["loops_ms"] is None else f"{row['loops_ms']:.0f}"
    print(
        f"{row['workload']:<13}{row['convgrad_ms']:>12.2f}{row['torch_ms']:>10.2f}{loops:>10}"
        f"{row['ratio']:>7.2f}{_against(row['ratio'], row['target']):>10}"
        f"{row['bound_ms']:>10.2f}{row['bound_ratio']:>8.2f}"
        f"{_against(row['bound_ratio'], row['bound_target']):>10}"
        f"{row['gflops']:>9.0f}{row['gflops'] / row['ceiling']:>9.0%}{row['peak_mib']:>10.1f}"
    )
    low, high = row["spread"]
    bound_low, bound_high = row["bound_spread"]
    print(f"{'':<13}rounds: ratio {low:.2f}-{high:.2f}, /bound {bound_low:.2f}-{bound_high:.2f}")


_print_row.last_dtype = None


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 3 calls")
    parser.add_argument("--dtype", choices=["float64", "float32"], action="append")
    parser.add_argument("--workload", choices=[w.name for w in WORKLOADS], action="append")
    parser.add_argument("--no-loops", action="store_true", help="skip the loop reference")
    args = parser.parse_args(argv)
    dtypes = [np.dtype(d).type for d in (args.dtype or ["float64", "float32"])]
    workloads = [w for w in WORKLOADS if not args.workload or w.name in args.workload]
    rounds, repeats = (3, 3) if args.quick else (7, 5)
    run(workloads, dtypes, rounds, repeats, with_reference=not args.no_loops)
    print(_load())


if __name__ == "__main__":
    main()
