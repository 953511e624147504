// StrideGradient: pick a stride and an input pixel. dL/dY is spread by the stride (zeros
// inserted), padded, and the rotated kernel slides over it; rows no window reads are marked.

function render({ model, el }) {
  const cases = model.get("cases");
  const strides = cases.map((c) => c.stride);
  const first = cases[0];
  const count = first.frames.length;

  const root = widgetRoot(el, "StrideGradient",
    "Input gradient under a stride: zeros inserted into dL/dY");
  const strideBar = htmlEl("div", { class: "cg-controls" }, root);
  const strideLabel = htmlEl("label", {}, strideBar, "stride s");
  const strideRange = htmlEl("input", {
    type: "range", min: "0", max: String(cases.length - 1), step: "1",
    class: "cg-stride", "aria-label": "stride s",
  }, strideLabel);
  const strideText = htmlEl("span", { class: "cg-step", "aria-live": "polite" }, strideBar);
  strideRange.addEventListener("input", () => {
    model.set("stride", strides[Number(strideRange.value)]);
    model.save_changes();
  });

  const pixel = syncedIndex(model, "pixel", count, () => draw());
  model.on("change:stride", () => build());
  const top = htmlEl("div", { class: "cg-row" }, root);
  const inputGrid = pickGrid(top, "input X (click a pixel); dashed: never read", first.inputs.x,
    pixel, "input X: arrow keys pick a pixel");
  const kernelGrid = drawGrid(top, "kernel W", first.inputs.w);
  const rotatedGrid = drawGrid(top, "W rotated 180\u00b0", first.w_rotated);
  const perStride = htmlEl("div", { class: "cg-row" }, root);
  const summary = htmlEl("p", { class: "cg-note" }, root);
  const equation = htmlEl("div", { class: "cg-equation cg-gather", "aria-live": "polite" }, root);
  const note = htmlEl("p", { class: "cg-note cg-unread-note" }, root);
  const steps = stepper(root, pixel, count, "input pixel");
  htmlEl("p", { class: "cg-note" }, root,
    "In \u03b4\u0302: white cells are entries of \u03b4, green dotted cells the s \u2212 1 " +
    "zeros inserted between them, grey dashed italic cells the padding. The rotated kernel " +
    "slides over it one cell at a time.");

  let current = null;
  let deltaGrid = null;
  let fullGrid = null;
  let gradGrid = null;

  function build() {
    const index = Math.max(0, strides.indexOf(model.get("stride")));
    current = cases[index];
    strideRange.value = String(index);
    strideText.textContent = `s = ${current.stride}`;
    perStride.replaceChildren();
    const unreadRows = new Set(current.never_read[0]);
    const unreadCols = new Set(current.never_read[1]);
    const unread = (r, c) => (unreadRows.has(r) || unreadCols.has(c) ? "cg-unread" : "");
    deltaGrid = drawGrid(perStride, "\u03b4 = \u2202L/\u2202Y", current.inputs.delta);
    const kinds = current.delta_kind;
    fullGrid = drawGrid(perStride, "\u03b4\u0302: zeros inserted, padded", current.delta_full, {
      kind: (r, c) => (kinds[r][c] === "delta" ? "" : kinds[r][c] === "inserted" ? "cg-inserted" : "cg-pad"),
    });
    gradGrid = drawGrid(perStride, "\u2202L/\u2202X (dashed: never read)", current.grad_x, { kind: unread });
    for (const row of inputGrid.cells) {
      for (const g of row) g.classList.toggle("cg-unread", Boolean(unread(+g.dataset.row, +g.dataset.col)));
    }
    summary.textContent = current.summary;
    root.dataset.inputs = JSON.stringify(current.inputs);
    root.dataset.stride = String(current.stride);
    draw();
  }

  function draw() {
    if (!current) return;
    const index = pixel.get();
    const frame = current.frames[index];
    for (const g of [inputGrid, kernelGrid, rotatedGrid, deltaGrid, fullGrid, gradGrid]) g.reset();
    const [r, c] = frame.pixel;
    inputGrid.mark(r, c, "cg-selected");
    gradGrid.mark(r, c, "cg-selected");
    markWindow(fullGrid, rotatedGrid, frame.taps, current.w_rotated);
    equation.textContent = frame.equation;
    note.textContent = frame.note;
    steps.show(index, `pixel X[${r},${c}], ${index + 1} of ${count}`, frame.value);
  }
  build();
  return steps.close;
}

export default { render };
