"""How long chapter 13's form takes in the static book, in headless Chromium (issue 19).

Serves _build/html (run `make book` first) on 127.0.0.1 and, RUNS times, opens chapter 13
in a fresh browser context (an empty cache: a cold page), presses Check with the form as it
opens (Q5 as asked) and waits for the verdict. The worker reports how the first verdict's
time splits: Python's start (Pyodide), loading the wheels, importing sympy and the checker,
and the check. Then FURTHER more checks on the last page, each preset in turn.

    .venv/bin/python scripts/bench_checker.py        (or: make bench-checker)
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
PAGE = "notebooks/13_checking_gradients.html"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
RUNS, FURTHER = 3, 6
PRESETS = ["Q5 corrected", "Q3 as asked", "a weight gradient (correct)", "Q5 as asked"]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def wait_verdict(page, root) -> float:
    """Press Check; the seconds until the verdict is on the page."""
    start = time.perf_counter()
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_function(
        "root => root.dataset.state === 'done'", arg=root.element_handle(), timeout=300_000
    )
    if root.get_attribute("data-verdict") not in ("correct", "wrong"):
        sys.exit(f"the check failed: {root.locator('.cg-verdict').text_content()}")
    return time.perf_counter() - start


def main() -> None:
    if not (SITE / PAGE).exists():
        sys.exit(f"{SITE / PAGE} is missing: run `make book` first")
    handler = functools.partial(Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{PAGE}"
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    firsts, splits, further = [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for run in range(RUNS):
            context = browser.new_context()  # its own, empty cache
            page = context.new_page()
            page.goto(url, wait_until="load")
            root = page.locator(".cg-check-form")
            root.wait_for()
            firsts.append(wait_verdict(page, root))
            splits.append(json.loads(root.get_attribute("data-timings")))
            parts = ", ".join(f"{k} {v:.2f} s" for k, v in splits[-1].items())
            print(f"run {run + 1}: first verdict {firsts[-1]:.2f} s ({parts})")
            if run == RUNS - 1:
                for n in range(FURTHER):
                    page.get_by_role("button", name=PRESETS[n % len(PRESETS)]).click()
                    further.append(wait_verdict(page, root))
            context.close()
        browser.close()
    server.shutdown()
    middle = {k: statistics.median(s[k] for s in splits) for k in splits[0]}
    print(
        f"first verdict on a cold page, median of {RUNS}: {statistics.median(firsts):.2f} s "
        f"(median boot {middle['boot']:.2f}, wheels {middle['install']:.2f}, "
        f"imports {middle['imports']:.2f}, check {middle['check']:.2f})"
    )
    print(
        f"further checks ({FURTHER}): median {statistics.median(further):.2f} s, "
        f"slowest {max(further):.2f} s"
    )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
