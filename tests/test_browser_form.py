"""Chapter 13's form in the static book, in Debian's chromium, offline (issue 19).

The form runs the book's own check_text in Python (Pyodide) in a Web Worker, loaded from
the site on first use: its verdicts are compared word for word with check_text's in this
process. Every request of the page and of its worker is recorded (the context sees both):
none leaves the site, and opening the page fetches nothing of Python.
"""

import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from convgrad.symbolic import check_text
from convgrad.symbolic.form_fields import arguments, check_fields
from convgrad.widgets.check_form import preset_fields

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
PAGE = "notebooks/13_checking_gradients.html"
PYTHON_FILES = ("vendor/pyodide/", "vendor/wheels/", "vendor/checker.json", ".whl")
PYTHON_FILES += ("convgrad-checker.js",)
WIDGET_MANAGER = ("embed-amd.js", "require.js", "anywidget/index.js")
VERDICT = 120_000  # ms: the first check loads Python (seconds; minutes on a crowded machine)


@pytest.fixture(scope="module")
def page_url(site_url):
    if not (SITE / PAGE).exists():
        pytest.fail(f"{SITE / PAGE} was not built: run `make book` first (make test does)")
    return f"{site_url}/{PAGE}"


class Form:
    """Chapter 13 in a fresh browser context; every request (page and worker) recorded."""

    def __init__(self, browser, url, viewport=None):
        self.context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
        self.requests, self.errors = [], []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        self.root = self.page.locator(".cg-check-form")
        self.root.wait_for(timeout=20_000)
        self.loaded = list(self.requests)

    def field(self, name):
        return self.root.locator(f'[name="{name}"]')

    def choose(self, label):
        self.page.get_by_role("button", name=label).click()

    def check(self):
        """Press Check and wait for the verdict: (status, text)."""
        self.page.get_by_role("button", name="Check", exact=True).click()
        return self.verdict()

    def verdict(self):
        self.page.wait_for_function(
            "root => root.dataset.state === 'done'", arg=self.root.element_handle(), timeout=VERDICT
        )
        verdict = self.root.locator(".cg-verdict")
        return self.root.get_attribute("data-verdict"), verdict.text_content()

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def form(browser, page_url):
    form = Form(browser, page_url)
    yield form
    form.close()


def unwrapped(text):
    return " ".join(line.strip() for line in text.splitlines())


def test_opening_the_page_fetches_nothing_of_python_nor_the_widget_manager(form):
    fetched = [url for url in form.loaded if any(part in url for part in PYTHON_FILES)]
    assert not fetched, f"opening chapter 13 fetched {fetched}"
    manager = [url for url in form.loaded if any(part in url for part in WIDGET_MANAGER)]
    assert not manager, f"chapter 13 loads the widget manager: {manager}"
    assert form.root.get_attribute("data-state") == "idle"
    assert form.page.get_by_role("button", name=re.compile(r"Q5.*as asked")).count() == 1


def test_q5_as_asked_is_wrong_at_the_entry_check_text_names_in_python(form):
    form.root.evaluate(
        """root => { window.cgSaid = [];
             new MutationObserver(() => window.cgSaid.push(root.querySelector('.cg-status')
               .textContent)).observe(root.querySelector('.cg-status'), {childList: true}); }"""
    )
    # choosing an example starts Python, before any Check, and says what it loads
    form.choose(re.compile(r"Q5.*as asked"))
    form.page.wait_for_function(
        "root => root.dataset.state === 'ready'", arg=form.root.element_handle(), timeout=VERDICT
    )
    assert any("pyodide.asm.wasm" in url for url in form.requests)
    status, text = form.check()
    said = form.page.evaluate("window.cgSaid")
    assert any(
        re.fullmatch(r"loading Python, sympy and the checker \(\d+\.\d MB\)…", s) for s in said
    )
    assert "importing sympy and the checker…" in said
    assert "checking at stride 1, 2, 3, padding 0, dilation 1…" in said, said
    assert status == "wrong"
    assert text == check_fields(preset_fields("q5-as-asked"))["report"]
    formula, kwargs = arguments(preset_fields("q5-as-asked"))
    python = check_text(formula, **kwargs)
    assert f"first wrong entry: {python.first_wrong}" in unwrapped(text)
    assert not form.errors, form.errors
    # what each step took, for the benchmark (scripts/bench_checker.py)
    assert set(form.root.get_attribute("data-timings")) and "boot" in form.root.get_attribute(
        "data-timings"
    )


def test_q5_corrected_is_correct(form):
    form.choose("Q5 corrected")
    status, text = form.check()
    assert status == "correct" and "correct: equals the true gradient at all" in text
    assert text == check_fields(preset_fields("q5-corrected"))["report"]


BAD = {
    "a syntax error": ("formula", lambda f: f.replace("(f,1,n_f)", "(f,1,n_f")),
    "an unknown tensor": ("formula", lambda f: f.replace("dO[f,i,j]", "dP[f,i,j]")),
    "a sum too large": ("where", lambda w: re.sub(r"i_hi = .*", "i_hi = 10**6", w)),
}
SAYS = {
    "a syntax error": "'(' was never closed (column 4)",  # Sum( is left open
    "an unknown tensor": "tensors does not say what dP is",
    "a sum too large": "the sums take more than 2,000,000 steps",
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_gets_check_texts_words_and_the_next_check_works(form, case):
    form.choose(re.compile(r"Q5.*as asked"))
    name, change = BAD[case]
    typed = dict(preset_fields("q5-as-asked"), **{name: change(preset_fields("q5-as-asked")[name])})
    form.field(name).fill(typed[name])
    status, text = form.check()
    assert (status, text) == ("error", check_fields(typed)["report"])
    assert SAYS[case] in text
    form.choose("Q5 corrected")
    assert form.check()[0] == "correct"


def test_stop_ends_a_long_check_and_the_next_check_starts_python_again(form):
    # every tap of 14 x 14 windows: about 134,000 steps, most reading entries that do not
    # exist: under the limit, and seconds of work
    form.choose(re.compile(r"Q5.*as asked"))
    slow = "i_lo = 1\ni_hi = 14\nj_lo = 1\nj_hi = 14"
    form.field("where").fill(slow)
    form.page.get_by_role("button", name="Check", exact=True).click()
    form.page.wait_for_function(
        "root => root.querySelector('.cg-status').textContent.startsWith('checking at stride')",
        arg=form.root.element_handle(),
        timeout=10_000,
    )
    # the page answers while Python works in its worker
    start = time.perf_counter()
    assert form.page.evaluate("() => document.querySelectorAll('textarea').length") >= 4
    assert time.perf_counter() - start < 1
    assert form.root.get_attribute("data-state") == "checking", "the check ended too soon"
    form.page.get_by_role("button", name="Stop").click()
    assert form.root.get_attribute("data-state") == "stopped"
    assert "Stopped" in form.root.locator(".cg-status").text_content()
    booted = sum("pyodide.mjs" in url for url in form.requests)
    form.choose("Q5 corrected")
    assert form.check()[0] == "correct"
    assert sum("pyodide.mjs" in url for url in form.requests) == booted + 1


def test_no_request_left_the_site(form, site_url):
    host = urlparse(site_url).hostname
    assert any("pyodide.asm.wasm" in url for url in form.requests), "Python never loaded"
    assert any(url.endswith("-py3-none-any.whl") for url in form.requests)
    web = [url for url in form.requests if url.startswith(("http:", "https:", "ws:", "wss:"))]
    foreign = [url for url in web if urlparse(url).hostname != host]
    assert not foreign, f"requests that left the site: {foreign}"


def test_a_link_chooses_its_example_and_the_form_fits_a_phone(browser, page_url):
    phone = Form(browser, f"{page_url}#ch-checking-form-q3", {"width": 390, "height": 844})
    try:
        page = phone.page
        assert phone.field("formula").input_value() == preset_fields("q3-as-asked")["formula"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        box = phone.root.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        unlabelled = phone.root.evaluate(
            """root => Array.from(root.querySelectorAll('textarea, input'))
                 .filter(el => !el.labels || !el.labels.length).map(el => el.name)"""
        )
        assert not unlabelled, f"fields without a label: {unlabelled}"
        assert phone.root.locator(".cg-verdict").get_attribute("aria-live") == "polite"
        assert phone.root.locator(".cg-status").get_attribute("role") == "status"
        # by keyboard: the Check button takes the focus and Enter presses it
        page.get_by_role("button", name="Check", exact=True).focus()
        page.keyboard.press("Enter")
        status, text = phone.verdict()
        assert (status, text) == ("wrong", check_fields(preset_fields("q3-as-asked"))["report"])
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        phone.close()


def test_opened_from_a_file_the_form_says_to_serve_the_site(browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto((SITE / PAGE).as_uri(), wait_until="load")
        root = page.locator(".cg-check-form")
        root.wait_for(timeout=20_000)
        page.get_by_role("button", name="Check", exact=True).click()
        status = root.locator(".cg-status").text_content()
        assert "make serve" in status
        assert len(re.findall(r"[.!?](?:\s|$)", status)) == 1, f"not one sentence: {status}"
        assert root.get_attribute("data-state") == "idle"
    finally:
        context.close()
