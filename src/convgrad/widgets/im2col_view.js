// Im2col: a slider over the windows. Above, the window on X and the column it becomes in
// the im2col matrix; below, col2im of the columns so far, with each pixel's overlap count.

function render({ model, el }) {
  const inputs = model.get("inputs");
  const frames = model.get("frames");
  const [outRows, outCols] = inputs.out_size;
  const root = widgetRoot(el, "Im2col",
    "im2col and col2im: each window of X becomes one column; col2im adds the columns back");
  root.dataset.inputs = JSON.stringify(inputs);

  const top = htmlEl("div", { class: "cg-row" }, root);
  const xGrid = drawGrid(top, "input X", inputs.x);
  const order = [];
  for (let r = 0; r < outRows; r++) order.push(Array.from({ length: outCols }, (_, c) => r * outCols + c));
  const position = syncedIndex(model, "position", frames.length, () => draw());
  const windowGrid = pickGrid(top, "windows: column number (click one)", order, position,
    "windows: arrow keys pick a window");
  const colsGrid = drawGrid(top, "im2col(X): one column per window", inputs.cols);
  colsGrid.figure.dataset.role = "cols";

  const bottom = htmlEl("div", { class: "cg-row" }, root);
  const zeros = inputs.x.map((row) => row.map(() => 0));
  let addedGrid = drawGrid(bottom, "col2im of the columns so far", zeros);
  let countGrid = drawGrid(bottom, "windows covering each pixel", zeros);
  const equation = htmlEl("div", { class: "cg-equation", "aria-live": "polite" }, root);
  const steps = stepper(root, position, frames.length, "window");
  htmlEl("p", { class: "cg-note" }, root,
    `kernel ${inputs.kernel.join("\u00d7")}, stride ${inputs.stride.join("\u00d7")}, ` +
    `dilation ${inputs.dilation.join("\u00d7")}; the small numbers on X are the rows of the column each pixel goes to.`);

  function redrawSums(frame) {
    // the two lower grids show new numbers at every step: draw them afresh
    const addedNew = drawGrid(bottom, "col2im of the columns so far", frame.added);
    const countNew = drawGrid(bottom, "windows covering each pixel", frame.count);
    addedNew.figure.dataset.role = "added";
    countNew.figure.dataset.role = "count";
    addedGrid.figure.replaceWith(addedNew.figure);
    countGrid.figure.replaceWith(countNew.figure);
    addedGrid = addedNew;
    countGrid = countNew;
  }

  function draw() {
    const index = position.get();
    const frame = frames[index];
    for (const g of [xGrid, windowGrid, colsGrid]) g.reset();
    redrawSums(frame);
    frame.reads.forEach(([r, c], tap) => {
      xGrid.mark(r, c, "cg-read", String(tap));
      addedGrid.mark(r, c, "cg-read");
      countGrid.mark(r, c, "cg-read");
    });
    const first = frame.reads[0];
    const last = frame.reads[frame.reads.length - 1];
    xGrid.outline(first[0], first[1], last[0], last[1]);
    windowGrid.mark(frame.window[0], frame.window[1], "cg-hit");
    for (let row = 0; row < inputs.cols.length; row++) colsGrid.mark(row, index, "cg-hit");
    colsGrid.outline(0, index, inputs.cols.length - 1, index);
    equation.textContent = frame.equation;
    steps.show(index, `window (${frame.window[0]}, ${frame.window[1]}), ${index + 1} of ${frames.length}`);
  }
  draw();
  return steps.close;
}

export default { render };
