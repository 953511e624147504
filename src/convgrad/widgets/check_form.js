// CheckForm: a formula in the reader's letters, checked by the book's own check_text.
// Python sends the presets and, in JupyterLab, answers each Check (backend "kernel").
// In the static book there is no kernel: the same check_fields runs in Python (Pyodide)
// in a Web Worker, started on the reader's first use of the form; Stop terminates it.

const FIELDS = [
  ["formula", "Formula, lhs = rhs", 3],
  ["where", "where: helper names such as bounds, one a line (name = text)", 4],
  ["tensors", "tensors: each letter with indices, one a line (letter = role[axes])", 3],
  ["sizes", "sizes: each size letter, one a line (letter = size)", 3],
];
const SETTINGS = [
  ["stride", "strides"],
  ["padding", "paddings"],
  ["dilation", "dilations"],
];
const SERVE =
  "Opened from a file, this page cannot start Python: serve the book (make serve) and open it at http://127.0.0.1:8000/.";

function render({ model, el }) {
  const presets = model.get("presets");
  const suffix = Math.random().toString(36).slice(2, 8);
  // no kernel answers in a saved page: a static page runs the checker in a worker
  const staticPage =
    model.get("backend") === "worker" ||
    !!document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  const fromFile = staticPage && location.protocol === "file:";

  const root = widgetRoot(el, "CheckForm", "Check your own derivation with check_text");
  root.classList.add("cg-check-form");
  root.dataset.state = "idle";

  const bar = htmlEl("div", { class: "cg-presets", role: "group", "aria-label": "Fill in an example" }, root);
  htmlEl("span", { class: "cg-note" }, bar, "Fill in:");
  for (const preset of presets) {
    const button = htmlEl("button", { type: "button" }, bar, preset.label);
    button.addEventListener("click", () => {
      fill(preset);
      say(`${preset.label}: filled in; press Check.`);
      warm();
    });
  }

  const form = htmlEl("form", { class: "cg-form", novalidate: "" }, root);
  const inputs = {};
  for (const [name, label, rows] of FIELDS) {
    const id = `cg-${name}-${suffix}`;
    htmlEl("label", { for: id }, form, label);
    inputs[name] = htmlEl("textarea", {
      id, name, rows: String(rows), spellcheck: "false", autocapitalize: "off", autocomplete: "off",
    }, form);
  }
  const base = htmlEl("fieldset", { class: "cg-base" }, form);
  htmlEl("legend", {}, base, "indices count from");
  const bases = {};
  for (const [value, text] of [["1", "1 (one-based)"], ["0", "0 (zero-based)"]]) {
    const label = htmlEl("label", {}, base);
    bases[value] = htmlEl("input", { type: "radio", name: `base-${suffix}`, value }, label);
    label.append(` ${text}`);
  }
  const settings = htmlEl("div", { class: "cg-settings" }, form);
  for (const [name, words] of SETTINGS) {
    const id = `cg-${name}-${suffix}`;
    const box = htmlEl("div", {}, settings);
    htmlEl("label", { for: id }, box, `${words} to try`);
    inputs[name] = htmlEl("input", { id, name, type: "text", autocomplete: "off", spellcheck: "false" }, box);
  }
  const buttons = htmlEl("div", { class: "cg-controls" }, form);
  const check = htmlEl("button", { type: "submit" }, buttons, "Check");
  const stop = htmlEl("button", { type: "button", disabled: "" }, buttons, "Stop");
  if (!staticPage) stop.hidden = true; // the kernel finishes what it started (check_text has a limit)
  const status = htmlEl("p", { class: "cg-note cg-status", role: "status" }, root);
  const verdict = htmlEl("pre", { class: "cg-verdict", "aria-live": "polite", "aria-label": "verdict" }, root);
  verdict.hidden = true;

  function say(text) {
    status.textContent = text;
  }

  function fill(preset) {
    for (const [name, value] of Object.entries(preset.fields)) {
      if (name === "index_base") bases[String(value)].checked = true;
      else inputs[name].value = value;
      if (inputs[name] && inputs[name].tagName === "TEXTAREA") {
        const least = FIELDS.find(([field]) => field === name)[2];
        inputs[name].rows = Math.max(least, String(value).split("\n").length); // all lines in view
      }
    }
    root.dataset.preset = preset.id;
  }

  function fields() {
    const values = Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, input.value]));
    values.index_base = bases["0"].checked ? 0 : 1;
    return values;
  }

  function show(status_, text) {
    verdict.hidden = false;
    verdict.textContent = text;
    verdict.className = `cg-verdict cg-${status_}`;
    root.dataset.verdict = status_;
  }

  function finish(state, text) {
    running = null;
    root.dataset.state = state;
    check.disabled = false;
    stop.disabled = true;
    say(text);
  }

  // --- the checker: the kernel's, or Python in a worker --------------------------------------
  let running = null; // the id of the check waiting for its verdict
  let counter = 0;
  let worker = null;

  function here(path) {
    const root_ = document.documentElement.dataset.content_root || "";
    return new URL(root_ + path, document.baseURI).href;
  }

  function receive(message) {
    if (message.kind === "progress") {
      if (running === message.id || (running === null && message.id === 0)) say(message.text);
    } else if (message.kind === "ready") {
      if (running !== null) return;
      root.dataset.state = "ready";
      say("Python and the checker are ready.");
    } else if (message.id === running && message.kind === "verdict") {
      show(message.status, message.report);
      if (message.timings) root.dataset.timings = JSON.stringify({ ...message.timings, check: message.seconds });
      finish("done", `${message.status}: checked in ${message.seconds.toFixed(2)} s.`);
    } else if (message.kind === "failure") {
      show("error", message.text);
      if (running === message.id || running === null) finish("done", "The checker could not run.");
    }
  }

  function startWorker() {
    if (worker) return worker;
    worker = new Worker(here("_static/convgrad-checker.js"), { type: "module" });
    worker.onmessage = (event) => receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      worker = null;
      show("error", `The checker did not start: ${event.message || "its script could not be loaded"}.`);
      finish("done", "The checker could not run.");
    };
    return worker;
  }

  function warm() {
    if (!staticPage) return;
    if (fromFile) return say(SERVE);
    if (worker) return;
    root.dataset.state = running === null ? "loading" : root.dataset.state;
    startWorker().postMessage({ id: 0, kind: "boot", wheel: here(model.get("wheel")) });
  }

  const fromKernel = (message) => {
    if (message && message.id === running && message.kind === "verdict") {
      show(message.status, message.report);
      finish("done", `${message.status}.`);
    }
  };
  if (!staticPage) model.on("msg:custom", fromKernel);

  form.addEventListener("focusin", warm);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (fromFile) return say(SERVE);
    if (running !== null) return;
    running = ++counter;
    root.dataset.state = "checking";
    check.disabled = true;
    stop.disabled = !staticPage;
    const values = fields();
    if (staticPage) {
      say(worker ? "checking…" : "starting Python…");
      startWorker().postMessage({ id: running, kind: "check", wheel: here(model.get("wheel")), fields: values });
    } else {
      say("checking in the kernel…");
      model.send({ kind: "check", id: running, fields: values });
    }
  });
  stop.addEventListener("click", () => {
    if (!worker || running === null) return;
    worker.terminate();
    worker = null;
    show("stopped", "Stopped before a verdict.");
    finish("stopped", "Stopped. The next check starts Python again.");
  });

  // a link such as ...13_checking_gradients.html#ch-checking-form-q5 chooses its example
  const chosen = () =>
    presets.find((p) => p.anchor && location.hash === `#${p.anchor}`) ||
    presets.find((p) => p.id === model.get("preset")) ||
    presets[0];
  fill(chosen());
  const onHash = () => {
    const preset = presets.find((p) => p.anchor && location.hash === `#${p.anchor}`);
    if (preset) fill(preset);
  };
  window.addEventListener("hashchange", onHash);
  return () => {
    window.removeEventListener("hashchange", onHash);
    if (!staticPage) model.off("msg:custom", fromKernel);
    if (worker) worker.terminate();
  };
}

export default { render };
