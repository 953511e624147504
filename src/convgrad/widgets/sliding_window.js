// SlidingWindow: padded input, kernel, output; the window for one output at a time.

function render({ model, el }) {
  const inputs = model.get("inputs");
  const frames = model.get("frames");

  const root = widgetRoot(el, "SlidingWindow",
    "Sliding window: the kernel over the padded input, one output position at a time");
  root.dataset.inputs = JSON.stringify(inputs);
  const row = htmlEl("div", { class: "cg-row" }, root);
  const inputGrid = drawPaddedInput(row, inputs);
  const kernelGrid = drawGrid(row, "kernel W", inputs.w);
  const position = syncedIndex(model, "position", frames.length, () => draw());
  const outGrid = pickGrid(row, "output Y (click a cell)", inputs.y, position,
    "output Y: arrow keys move the window");
  const equation = htmlEl("div", { class: "cg-equation", "aria-live": "polite" }, root);
  const steps = stepper(root, position, frames.length, "output position");
  htmlEl("p", { class: "cg-note" }, root,
    `stride ${inputs.stride.join("\u00d7")}, padding ${inputs.padding.map((p) => p.join("/")).join(", ")}, ` +
    `dilation ${inputs.dilation.join("\u00d7")}; the small numbers are the kernel weights on the cells they read.`);

  function draw() {
    const index = position.get();
    const frame = frames[index];
    for (const g of [inputGrid, kernelGrid, outGrid]) g.reset();
    markWindow(inputGrid, kernelGrid, frame.taps, inputs.w);
    outGrid.mark(frame.out[0], frame.out[1], "cg-hit");
    equation.textContent = frame.equation;
    steps.show(index, `output (${frame.out[0]}, ${frame.out[1]}), ${index + 1} of ${frames.length}`, frame.value);
  }
  draw();
  return steps.close;
}

export default { render };
