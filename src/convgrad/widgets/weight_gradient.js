// WeightGradient: pick a kernel weight; the inputs it multiplied and the matching
// entries of dL/dY light up in numbered pairs, and their products sum to dL/dW.

function render({ model, el }) {
  const inputs = model.get("inputs");
  const frames = model.get("frames");

  const root = widgetRoot(el, "WeightGradient",
    "Weight gradient: pick a kernel weight to see the inputs it multiplied and the dL/dY entries they pair with");
  root.dataset.inputs = JSON.stringify(inputs);
  const row = htmlEl("div", { class: "cg-row" }, root);
  const weight = syncedIndex(model, "weight", frames.length, () => draw());
  const kernelGrid = pickGrid(row, "kernel W (click a weight)", inputs.w, weight,
    "kernel W: arrow keys pick a weight");
  const inputGrid = drawPaddedInput(row, inputs);
  const deltaGrid = drawGrid(row, "\u03b4 = \u2202L/\u2202Y", inputs.delta);
  const gradGrid = drawGrid(row, "\u2202L/\u2202W", inputs.grad_w);
  const equation = htmlEl("div", { class: "cg-equation", "aria-live": "polite" }, root);
  const steps = stepper(root, weight, frames.length, "kernel weight");
  htmlEl("p", { class: "cg-note" }, root,
    "Pair n: the input tagged n times the \u03b4 tagged n. One weight, shared by every window, " +
    "collects one product per output position.");

  function draw() {
    const index = weight.get();
    const frame = frames[index];
    for (const g of [kernelGrid, inputGrid, deltaGrid, gradGrid]) g.reset();
    const [a, b] = frame.weight;
    kernelGrid.mark(a, b, "cg-selected");
    gradGrid.mark(a, b, "cg-selected");
    frame.pairs.forEach((pair, n) => {
      inputGrid.mark(pair.input[0], pair.input[1], "cg-read", String(n + 1));
      deltaGrid.mark(pair.out[0], pair.out[1], "cg-hit", String(n + 1));
    });
    equation.textContent = frame.equation;
    steps.show(index, `weight W[${a},${b}], ${index + 1} of ${frames.length}`, frame.value);
  }
  draw();
  return steps.close;
}

export default { render };
