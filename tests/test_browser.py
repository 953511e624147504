"""The built book in a real browser (Debian's chromium driven by playwright), issue 3.

Every page: no console errors, no failed requests, nothing fetched from any host but
the local server, and all math typeset by MathJax. Every widget on the widgets page:
each control changes the drawing, and the numbers shown are convgrad's.
"""

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

import convgrad

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
WIDGETS_PAGE = "book/widgets.html"


def pages():
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE} has no built book: run `make book` first (make test does)")
    # _static/ holds theme templates and vendored files, not pages of the book
    return sorted(
        str(p.relative_to(SITE)) for p in SITE.rglob("*.html") if "_static" not in p.parts
    )


class Visit:
    """One page load with every console message, failure and request recorded."""

    def __init__(self, browser, url, viewport=None):
        self.context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors, self.failed, self.foreign = [], [], []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.on("response", self._response)
        self.page.on("request", self._request)
        self.page.goto(url, wait_until="load")
        self.settle()

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"{message.text} at {message.location.get('url')}")

    def _response(self, response):
        if response.status >= 400:
            self.failed.append(f"{response.url} (HTTP {response.status})")

    def _request(self, request):
        host = urlparse(request.url).hostname
        if request.url.startswith(("http:", "https:", "ws:", "wss:")) and host != "127.0.0.1":
            self.foreign.append(request.url)

    def settle(self):
        page = self.page
        page.wait_for_load_state("networkidle")
        # widget views: every saved view has been rendered into its output cell
        page.wait_for_function(
            """() => Array.from(document.querySelectorAll(
                 'script[type="application/vnd.jupyter.widget-view+json"]'))
               .every(s => s.parentElement.querySelector('.widget-subarea > *'))""",
            timeout=20_000,
        )
        # math: MathJax has finished its first typesetting pass
        page.wait_for_function(
            """() => !document.querySelector('.math') ||
                 (window.MathJax && MathJax.startup && MathJax.startup.promise)""",
            timeout=20_000,
        )
        page.evaluate(
            "() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => 1) : 0"
        )

    def close(self):
        self.context.close()


# collected without failing, so a missing site fails these tests, not the whole run
PAGES = pages() if (SITE / "index.html").exists() else ["index.html"]


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly_and_offline(browser, site_url, path):
    visit = Visit(browser, f"{site_url}/{path}")
    try:
        assert not visit.errors, f"console errors on {path}: {visit.errors}"
        assert not visit.failed, f"failed requests on {path}: {visit.failed}"
        assert not visit.foreign, f"{path} contacted other hosts: {visit.foreign}"
        math = visit.page.evaluate(
            """() => {
              const math = Array.from(document.querySelectorAll('.math'));
              const untypeset = math.filter(m => !m.querySelector('mjx-container'));
              const article = (document.querySelector('article') || document.body).cloneNode(true);
              article.querySelectorAll('pre, code, script, style, mjx-container, .cg-widget')
                .forEach(n => n.remove());
              return {count: math.length, untypeset: untypeset.length,
                      containers: document.querySelectorAll('mjx-container').length,
                      text: article.textContent};
            }"""
        )
        assert math["untypeset"] == 0, f"{math['untypeset']} formulas left untypeset on {path}"
        if math["count"]:
            assert math["containers"] >= math["count"], f"MathJax did not render {path}"
        raw = [m for m in ("$$", "\\(", "\\[", "\\frac", "\\partial") if m in math["text"]]
        assert not raw, f"raw TeX {raw} left on {path}"
    finally:
        visit.close()


# --- widgets ---------------------------------------------------------------------------

NUMBER = re.compile(r"\(?(\u2212?\d+(?:\.\d+)?(?:e[+\u2212-]?\d+)?)\)?")


def as_float(text):
    return float(text.replace("\u2212", "-"))


def displayed_total(equation):
    """The number after the last '=' of an equation the widget writes out."""
    return as_float(equation.rsplit("=", 1)[1].strip())


def displayed_terms(equation):
    """The products a·b written between the last two '=' signs, as floats."""
    body = equation.rsplit("=", 2)[1]
    terms = []
    for term in body.split(" + "):
        if "\u00b7" not in term:
            continue
        a, b = term.strip().split("\u00b7")
        terms.append(as_float(a.strip("()")) * as_float(b.strip("()")))
    return terms


def expected_value(kind, inputs, index):
    """What convgrad computes for the widget's inputs at this index (reading order)."""
    if kind == "TransposedConv":
        delta = np.array(inputs["delta"], dtype=float)[None, None]
        w = np.array(inputs["w"], dtype=float)[None, None]
        z = convgrad.conv_transpose(
            delta,
            w,
            stride=tuple(inputs["stride"]),
            padding=inputs["padding"],
            output_padding=inputs["output_padding"],
        )
        return z[0, 0].flat[index]
    x = np.array(inputs["x"], dtype=float)[None, None]
    w = np.array(inputs["w"], dtype=float)[None, None]
    options = dict(
        stride=tuple(inputs["stride"]),
        padding=tuple(tuple(p) for p in inputs["padding"]),
        dilation=tuple(inputs["dilation"]),
    )
    if kind == "SlidingWindow":
        y = convgrad.conv(x, w, **options)[0, 0]
        return y.flat[index]
    delta = np.array(inputs["delta"], dtype=float)[None, None]
    grads = convgrad.conv_backward(delta, x, w, **options)
    if kind == "WeightGradient":
        return grads.w[0, 0].flat[index]
    assert kind in ("InputGradient", "StrideGradient")
    return grads.x[0, 0].flat[index]


@pytest.fixture(scope="module")
def widgets_visit(browser, site_url):
    if WIDGETS_PAGE not in pages():
        pytest.fail(f"{WIDGETS_PAGE} was not built")
    visit = Visit(browser, f"{site_url}/{WIDGETS_PAGE}")
    yield visit
    visit.close()


# The widgets that pick a cell of a grid; TrainingWatch (a slider over training steps) has
# its own test below.
GRID_WIDGETS = '.cg-widget:not([data-widget="TrainingWatch"])'


def widget_states(page=WIDGETS_PAGE):
    """The saved state of every convgrad widget on `page`, as (kind, state) pairs."""
    html = (SITE / page).read_text()
    state_json = re.search(
        r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', html, re.S
    )
    assert state_json, f"{page} carries no widget state"
    states = []
    for model in json.loads(state_json.group(1))["state"].values():
        # each widget names its kind where it makes its root: widgetRoot(el, "Kind", ...)
        kind = re.search(r'widgetRoot\(el, "(\w+)"', model["state"].get("_esm", ""))
        if kind:
            states.append((kind.group(1), model["state"]))
    return states


def widget_count():
    return sum(kind != "TrainingWatch" for kind, _ in widget_states())


WIDGETS = range(widget_count()) if (SITE / WIDGETS_PAGE).exists() else [0]


def snapshot(root):
    """Everything a widget draws: its SVG markup (classes, tags) and its written sums."""
    return root.evaluate(
        "r => Array.from(r.querySelectorAll('svg, .cg-equation')).map(n => n.outerHTML).join()"
    )


def shown_grid(figure):
    """The numbers a widget's grid shows, as an array (the corner tags left out)."""
    cells = figure.locator("g.cg-cell").evaluate_all(
        "cells => cells.map(g => [+g.dataset.row, +g.dataset.col, g.querySelector('text')"
        ".textContent])"
    )
    values = np.zeros((max(r for r, _, _ in cells) + 1, max(c for _, c, _ in cells) + 1))
    for r, c, text in cells:
        values[r, c] = as_float(text)
    return values


def check_channel_numbers(root):
    """ChannelGradient: every map it draws for channel c is convgrad's, and the framed
    slices are column c of W and row c of the backward kernel (the channel axes swap)."""
    inputs = json.loads(root.get_attribute("data-inputs"))
    c = int(root.get_attribute("data-position"))
    x = np.array(inputs["x"], dtype=float)[None]
    w = np.array(inputs["w"], dtype=float)
    delta = np.array(inputs["delta"], dtype=float)[None]
    filters, _, kh, kw = w.shape
    grad_x = convgrad.conv_backward(delta, x, w).x[0, c]
    close = dict(rel=1e-3, abs=1e-9)  # the widget shows 4 significant digits
    assert shown_grid(root.locator('figure[data-role="sum"]')) == pytest.approx(grad_x, **close)
    rotated = root.locator('figure[data-role="rotated"]')
    partials = root.locator('figure[data-role="partial"]')
    assert rotated.count() == partials.count() == filters
    ring = ((kh - 1, kh - 1), (kw - 1, kw - 1))
    for f in range(filters):
        kernel = w[f, c, ::-1, ::-1]
        assert shown_grid(rotated.nth(f)) == pytest.approx(kernel, **close)
        share = convgrad.conv(np.pad(delta[0, f], ring)[None, None], kernel[None, None])
        assert shown_grid(partials.nth(f)) == pytest.approx(share[0, 0], **close)
    chosen = root.locator(".cg-blocks").evaluate_all(
        "figs => figs.map(fig => Array.from(fig.querySelectorAll('.cg-block.cg-chosen'))"
        ".map(b => [+b.dataset.row, +b.dataset.col]))"
    )
    assert sorted(chosen[0]) == [[f, c] for f in range(filters)], "column c of W framed"
    assert sorted(chosen[1]) == [[c, f] for f in range(filters)], "row c of W_back framed"
    assert f"\u2202L/\u2202X[{c}]" in root.locator(".cg-equation").inner_text()
    return c


def check_im2col_numbers(root):
    """Im2col: the matrix is convgrad.im2col's with column t framed, and the two lower grids
    are col2im of the columns 0..t and of as many columns of ones (the overlap count)."""
    inputs = json.loads(root.get_attribute("data-inputs"))
    t = int(root.get_attribute("data-position"))
    x = np.array(inputs["x"], dtype=float)[None, None]
    options = dict(stride=tuple(inputs["stride"]), dilation=tuple(inputs["dilation"]))
    kernel = tuple(inputs["kernel"])
    cols = convgrad.im2col(x, kernel, **options)
    close = dict(rel=1e-3, abs=1e-9)  # the widget shows 4 significant digits
    matrix = root.locator('figure[data-role="cols"]')
    assert shown_grid(matrix) == pytest.approx(cols[0], **close)
    hit = matrix.locator("g.cg-hit").evaluate_all("cells => cells.map(g => +g.dataset.col)")
    assert sorted(set(hit)) == [t] and len(hit) == cols.shape[1], "column t marked"
    kept = np.zeros_like(cols)
    kept[..., : t + 1] = 1
    added = convgrad.col2im(cols * kept, x.shape, kernel, **options)[0, 0]
    ones = convgrad.im2col(np.ones_like(x), kernel, **options)
    count = convgrad.col2im(ones * kept, x.shape, kernel, **options)[0, 0]
    assert shown_grid(root.locator('figure[data-role="added"]')) == pytest.approx(added, **close)
    assert shown_grid(root.locator('figure[data-role="count"]')) == pytest.approx(count, **close)
    return t


def check_numbers(root):
    kind = root.get_attribute("data-widget")
    if kind == "ChannelGradient":
        return check_channel_numbers(root)
    if kind == "Im2col":
        return check_im2col_numbers(root)
    inputs = json.loads(root.get_attribute("data-inputs"))
    index = int(root.get_attribute("data-position"))
    expected = expected_value(kind, inputs, index)
    assert float(root.get_attribute("data-value")) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    for equation in root.locator(".cg-equation").all_inner_texts():
        shown = displayed_total(equation)
        assert shown == pytest.approx(expected, rel=1e-3, abs=1e-9), f"{kind}[{index}]: {equation}"
        terms = displayed_terms(equation)
        assert sum(terms) == pytest.approx(expected, rel=1e-3, abs=1e-6), f"terms of {equation}"
    return index


def test_widgets_page_has_every_widget(widgets_visit):
    kinds = widgets_visit.page.locator(".cg-widget").evaluate_all(
        "roots => roots.map(r => r.dataset.widget)"
    )
    assert sorted(kinds) == sorted(kind for kind, _ in widget_states())
    assert {
        "SlidingWindow",
        "WeightGradient",
        "InputGradient",
        "ChannelGradient",
        "StrideGradient",
        "TrainingWatch",
        "Im2col",
    } <= set(kinds)


def test_every_widget_and_control_has_an_accessible_name(widgets_visit):
    unnamed = widgets_visit.page.locator(".cg-widget").evaluate_all(
        """roots => roots.flatMap(root => {
             const name = el => (el.getAttribute('aria-label') || el.textContent || '').trim();
             const bad = [];
             if (root.getAttribute('role') !== 'group' || !root.getAttribute('aria-label'))
               bad.push(`${root.dataset.widget} root`);
             root.querySelectorAll('input, button, select').forEach(control => {
               if (!name(control)) bad.push(`${root.dataset.widget} ${control.tagName}`);
             });
             return bad;
           })"""
    )
    assert not unnamed, f"widget parts a screen reader cannot name: {unnamed}"


def test_download_menu_offers_the_bundle(browser, site_url):
    visit = Visit(browser, f"{site_url}/notebooks/04_filter_gradient.html")
    try:
        link = visit.page.locator(".dropdown-download-buttons .cg-bundle-link")
        assert link.count() == 1, "no 'all chapters (.zip)' entry in the download menu"
        href = link.evaluate("a => a.href")
        assert href == f"{site_url}/convgrad-book.zip"
        response = visit.page.request.get(href)
        assert response.ok and response.body()[:2] == b"PK", "the bundle is not a zip"
    finally:
        visit.close()


@pytest.mark.parametrize("n", WIDGETS)
def test_widget_slider_moves_the_drawing(widgets_visit, n):
    root = widgets_visit.page.locator(GRID_WIDGETS).nth(n)
    slider = root.locator("input.cg-slider")
    last = int(slider.get_attribute("max"))
    assert last >= 1, "a widget with one position has nothing to show"
    start = check_numbers(root)
    for target in sorted({last, last // 2, 1} - {start}):
        before = snapshot(root)
        slider.fill(str(target))
        assert root.get_attribute("data-position") == str(target)
        assert snapshot(root) != before, f"moving the slider to {target} changed nothing"
        check_numbers(root)
    slider.fill("0")
    assert check_numbers(root) == 0


@pytest.mark.parametrize("n", WIDGETS)
def test_widget_keyboard_moves_the_selection(widgets_visit, n):
    root = widgets_visit.page.locator(GRID_WIDGETS).nth(n)
    root.locator("input.cg-slider").fill("0")
    grid = root.locator('svg[tabindex="0"]')
    assert grid.count() == 1, "each widget has one keyboard-focusable grid"
    grid.focus()
    cols = grid.locator("g.cg-cell").evaluate_all(
        "cells => Math.max(...cells.map(c => +c.dataset.col)) + 1"
    )
    rows = grid.locator("g.cg-cell").evaluate_all(
        "cells => Math.max(...cells.map(c => +c.dataset.row)) + 1"
    )
    moves = [("ArrowRight", 1)] if cols > 1 else []
    moves += [("ArrowDown", cols)] if rows > 1 else []
    assert moves, "a 1x1 grid cannot be navigated"
    position = 0
    for key, step in moves:
        before = snapshot(root)
        grid.press(key)
        position += step
        assert root.get_attribute("data-position") == str(position), f"{key} did not move"
        assert snapshot(root) != before
        check_numbers(root)
    before = snapshot(root)
    grid.press("ArrowLeft" if cols > 1 else "ArrowUp")
    assert snapshot(root) != before


@pytest.mark.parametrize("n", WIDGETS)
def test_widget_click_picks_a_cell(widgets_visit, n):
    root = widgets_visit.page.locator(GRID_WIDGETS).nth(n)
    root.locator("input.cg-slider").fill("0")
    cells = root.locator("g.cg-pick")
    count = cells.count()
    assert count >= 2
    cols = cells.evaluate_all("cells => Math.max(...cells.map(c => +c.dataset.col)) + 1")
    for index in (count - 1, count // 2):
        before = snapshot(root)
        cells.nth(index).click()
        assert root.get_attribute("data-position") == str(index)
        row, col = divmod(index, cols)
        assert cells.nth(index).get_attribute("data-row") == str(row)
        assert cells.nth(index).get_attribute("data-col") == str(col)
        assert snapshot(root) != before
        check_numbers(root)


@pytest.mark.parametrize("n", WIDGETS)
def test_widget_play_steps_through_positions(widgets_visit, n):
    root = widgets_visit.page.locator(GRID_WIDGETS).nth(n)
    root.locator("input.cg-slider").fill("0")
    play = root.locator("button.cg-play")
    before = snapshot(root)
    play.click()
    try:
        widgets_visit.page.wait_for_function(
            "r => Number(r.dataset.position) >= 2", arg=root.element_handle(), timeout=5_000
        )
    finally:
        play.click()  # pause
    assert "Play" in play.inner_text()
    assert snapshot(root) != before
    check_numbers(root)


def test_stride_control_redraws_and_the_numbers_follow(widgets_visit):
    roots = widgets_visit.page.locator('.cg-widget[data-widget="StrideGradient"]')
    assert roots.count() >= 1
    root = roots.first
    stride = root.locator("input.cg-stride")
    assert stride.get_attribute("aria-label")
    last = int(stride.get_attribute("max"))
    assert last >= 1, "a stride control with one stride has nothing to show"
    root.locator("input.cg-slider").fill(
        str(int(root.locator("input.cg-slider").get_attribute("max")))
    )
    seen = set()
    for index in [*range(last, -1, -1), last]:
        before = snapshot(root)
        stride.fill(str(index))
        shown = int(root.get_attribute("data-stride"))
        inputs = json.loads(root.get_attribute("data-inputs"))
        assert inputs["stride"] == [shown, shown]
        assert snapshot(root) != before or shown in seen, f"stride {shown} changed nothing"
        seen.add(shown)
        check_numbers(root)
        # the rows and columns no window reads are marked, and only those
        size = np.array(inputs["x"]).shape
        geometry = convgrad.conv_geometry(
            (1, 1, *size), (1, 1, *np.shape(inputs["w"])), stride=shown
        )
        rows, cols = geometry.never_read()
        marked = (
            root.locator("svg")
            .first.locator("g.cg-unread")
            .evaluate_all("cells => cells.map(c => [+c.dataset.row, +c.dataset.col])")
        )
        expected = [
            [r, c] for r in range(size[0]) for c in range(size[1]) if r in rows or c in cols
        ]
        assert sorted(marked) == expected
    assert len(seen) == last + 1


def test_training_watch_slider_moves_the_picture(widgets_visit):
    # the slider over training steps redraws filters, gradients and the loss curve
    frames = next(state for kind, state in widget_states() if kind == "TrainingWatch")["frames"]
    root = widgets_visit.page.locator('.cg-widget[data-widget="TrainingWatch"]').first
    slider = root.locator("input.cg-slider")
    assert slider.get_attribute("aria-label") == "training step"
    assert root.locator('svg[role="img"][aria-label]').count() == 5
    last = int(slider.get_attribute("max"))
    assert last == len(frames) - 1 >= 2
    slider.fill("0")
    for target in (last, last // 2, 1, 0):
        before = snapshot(root)
        slider.fill(str(target))
        frame = frames[target]
        assert root.get_attribute("data-position") == str(target)
        assert snapshot(root) != before, f"moving the slider to {target} changed nothing"
        assert root.get_attribute("data-step") == str(frame["step"])
        assert float(root.get_attribute("data-loss")) == frame["loss"]
        assert root.locator(".cg-equation").inner_text() == frame["text"]
        points = root.locator("polyline.cg-loss").get_attribute("points").split()
        assert len(points) == frame["step"] + 1, "the loss curve ends at the step shown"
        # colours come from the frame's numbers: its largest |gradient| gets the full colour
        fills = (
            root.locator("svg")
            .nth(1)
            .locator("rect.cg-heat")
            .evaluate_all("cells => cells.map(c => c.getAttribute('fill'))")
        )
        grads = np.array(frame["grads"]).ravel()
        assert len(fills) == grads.size
        strongest = int(np.argmax(np.abs(grads)))
        assert fills[strongest] in ("rgb(213,94,0)", "rgb(0,114,178)")


def transposed_conv_roots(visit):
    roots = visit.page.locator('.cg-widget[data-widget="TransposedConv"]')
    assert roots.count() >= 1, "no TransposedConv on the widgets page"
    return roots


def test_transposed_conv_stride_and_output_padding_change_the_picture(widgets_visit):
    root = transposed_conv_roots(widgets_visit).first
    stride = root.locator("select.cg-stride")
    output_padding = root.locator("select.cg-output-padding")
    root.locator("input.cg-slider").fill("3")
    seen = set()
    for s in stride.locator("option").all_inner_texts():
        before = snapshot(root)
        was = json.loads(root.get_attribute("data-inputs"))["stride"][0]
        stride.select_option(s)
        inputs = json.loads(root.get_attribute("data-inputs"))
        assert inputs["stride"] == [int(s), int(s)]
        if int(s) != was:
            assert snapshot(root) != before, f"stride {s} changed nothing"
        # a new stride starts at the output_padding that gives dL/dX back: r
        assert inputs["matches"] and inputs["output_padding"] == inputs["r"][0]
        assert output_padding.locator("option").count() == int(s)
        check_numbers(root)
        for op in output_padding.locator("option").all_inner_texts():
            before = snapshot(root)
            was = json.loads(root.get_attribute("data-inputs"))["output_padding"]
            output_padding.select_option(op)
            inputs = json.loads(root.get_attribute("data-inputs"))
            assert inputs["output_padding"] == int(op)
            if int(op) != was:
                assert snapshot(root) != before, f"output_padding {op} changed nothing"
            z = np.array(inputs["z"])
            matches = z.shape == tuple(inputs["x_size"])
            assert matches == (int(op) == inputs["r"][0]) == inputs["matches"]
            verdict = root.locator("p.cg-ok, p.cg-wrong").inner_text()
            assert ("must be" in verdict) != matches, verdict
            # the marked outputs: exactly the rows and columns output_padding adds
            extra = root.locator('svg[tabindex="0"] g.cg-extra').count()
            assert extra == z.size - (z.shape[0] - int(op)) * (z.shape[1] - int(op))
            check_numbers(root)
            seen.add((int(s), int(op)))
    assert len(seen) == 1 + 2 + 3, f"stride 1..3 and every output_padding < stride: {seen}"


def test_widgets_fit_a_phone(browser, site_url):
    visit = Visit(browser, f"{site_url}/{WIDGETS_PAGE}", viewport={"width": 360, "height": 740})
    try:
        overflow = visit.page.locator(".cg-widget").evaluate_all(
            "roots => roots.filter(r => r.scrollWidth > r.clientWidth + 1).length"
        )
        assert overflow == 0, f"{overflow} widget(s) wider than a 360 px screen"
    finally:
        visit.close()


# --- the page scripts (assets/convgrad-page.js) -----------------------------------------


def test_mathjax2_calls_from_the_widget_base_are_typeset(browser, site_url):
    # the ipywidgets base typesets labels through MathJax 2's Hub.Queue
    visit = Visit(browser, f"{site_url}/book/notation.html")
    try:
        typeset = visit.page.evaluate(
            """async () => {
              const label = document.createElement('div');
              label.textContent = '\\\\(a + b\\\\)';
              document.querySelector('article').appendChild(label);
              MathJax.Hub.Queue(['Typeset', MathJax.Hub, label]);
              for (let i = 0; i < 50 && !label.querySelector('mjx-container'); i++) {
                await new Promise(done => setTimeout(done, 100));
              }
              return label.querySelector('mjx-container') !== null;
            }"""
        )
        assert typeset, "MathJax.Hub.Queue(['Typeset', ...]) did not typeset the element"
        assert not visit.errors, visit.errors
    finally:
        visit.close()


def test_fontawesome_nests_icons_instead_of_replacing_them(browser, site_url):
    # widget views keep references to their <i> icon nodes; replacing them breaks updates
    visit = Visit(browser, f"{site_url}/{WIDGETS_PAGE}")
    try:
        kept = visit.page.evaluate(
            """async () => {
              const icon = document.createElement('i');
              icon.className = 'fa fa-play';
              document.querySelector('article').appendChild(icon);
              for (let i = 0; i < 30 && !icon.querySelector('svg'); i++) {
                await new Promise(done => setTimeout(done, 100));
              }
              return {attached: icon.isConnected, nested: icon.querySelector('svg') !== null};
            }"""
        )
        assert kept == {"attached": True, "nested": True}, kept
    finally:
        visit.close()


def test_sidebar_buttons_a_reader_sees_open_the_menus(browser, site_url):
    # the theme wires only its hidden navbar copies; the page script forwards the clicks
    page_path = "notebooks/04_filter_gradient.html"
    phone = Visit(browser, f"{site_url}/{page_path}", viewport={"width": 390, "height": 844})
    try:
        for name in ("primary", "secondary"):
            phone.page.locator(f".{name}-toggle:visible").first.click()
            phone.page.wait_for_function(
                f"() => document.querySelector('#pst-{name}-sidebar-modal').open", timeout=5_000
            )
            phone.page.keyboard.press("Escape")
        assert not phone.errors, phone.errors
    finally:
        phone.close()
    desktop = Visit(browser, f"{site_url}/{page_path}")
    try:
        sidebar = desktop.page.locator("#pst-primary-sidebar")
        assert "pst-sidebar-hidden" not in (sidebar.get_attribute("class") or "")
        desktop.page.locator(".primary-toggle:visible").first.click()
        assert "pst-sidebar-hidden" in (sidebar.get_attribute("class") or "")
        assert not desktop.errors, desktop.errors
    finally:
        desktop.close()
