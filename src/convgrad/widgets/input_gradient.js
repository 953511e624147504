// InputGradient: pick an input pixel. Scatter (left): the outputs that read it and the
// weight each used. Gather (right): the rotated kernel over the spread, zero-padded dL/dY.

function render({ model, el }) {
  const inputs = model.get("inputs");
  const frames = model.get("frames");

  const root = widgetRoot(el, "InputGradient",
    "Input gradient: pick an input pixel to see the outputs that read it (scatter) and the rotated kernel over the padded dL/dY (gather)");
  root.dataset.inputs = JSON.stringify(inputs);
  const pixel = syncedIndex(model, "pixel", frames.length, () => draw());
  const top = htmlEl("div", { class: "cg-row" }, root);
  const inputGrid = pickGrid(top, "input X (click a pixel)", inputs.x, pixel,
    "input X: arrow keys pick a pixel");
  const gradGrid = drawGrid(top, "\u2202L/\u2202X", inputs.grad_x);

  const views = htmlEl("div", { class: "cg-views" }, root);
  const scatterView = htmlEl("div", { class: "cg-view cg-scatter-view" }, views);
  htmlEl("h4", {}, scatterView, "Scatter: where did this pixel go?");
  const scatterRow = htmlEl("div", { class: "cg-row" }, scatterView);
  const kernelGrid = drawGrid(scatterRow, "kernel W", inputs.w);
  const deltaGrid = drawGrid(scatterRow, "\u03b4 = \u2202L/\u2202Y", inputs.delta);
  const scatterEquation = htmlEl("div", { class: "cg-equation cg-scatter" }, scatterView);

  const gatherView = htmlEl("div", { class: "cg-view cg-gather-view" }, views);
  htmlEl("h4", {}, gatherView, "Gather: the full convolution");
  const gatherRow = htmlEl("div", { class: "cg-row" }, gatherView);
  const rotatedGrid = drawGrid(gatherRow, "W rotated 180\u00b0", inputs.w_rotated);
  const spread = inputs.stride.some((s) => s > 1) ? " spread by the stride," : "";
  const fullGrid = drawGrid(gatherRow, `\u03b4${spread} zero-padded`, inputs.delta_full, {
    kind: (r, c) => (inputs.delta_full_is_delta[r][c] ? "" : "cg-zero"),
  });
  const gatherEquation = htmlEl("div", { class: "cg-equation cg-gather" }, gatherView);

  const steps = stepper(root, pixel, frames.length, "input pixel");
  htmlEl("p", { class: "cg-note" }, root,
    "Scatter: the \u03b4 tagged n reached the pixel through the weight tagged n. Both sums give the " +
    "same number: the gather view only adds zero terms and reorders the scatter view.");

  function draw() {
    const index = pixel.get();
    const frame = frames[index];
    for (const g of [inputGrid, gradGrid, kernelGrid, deltaGrid, rotatedGrid, fullGrid]) g.reset();
    const [r, c] = frame.pixel;
    inputGrid.mark(r, c, "cg-selected");
    gradGrid.mark(r, c, "cg-selected");
    frame.scatter.forEach((hit, n) => {
      deltaGrid.mark(hit.out[0], hit.out[1], "cg-hit", String(n + 1));
      kernelGrid.mark(hit.k[0], hit.k[1], "cg-read", String(n + 1));
    });
    markWindow(fullGrid, rotatedGrid, frame.gather_taps, inputs.w_rotated);
    scatterEquation.textContent = frame.scatter_equation;
    gatherEquation.textContent = frame.gather_equation;
    steps.show(index, `pixel X[${r},${c}], ${index + 1} of ${frames.length}`, frame.value);
  }
  draw();
  return steps.close;
}

export default { render };
