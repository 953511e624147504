// ChannelGradient: pick an input channel c. Column c of the forward weights (one slice per
// filter) becomes row c of the backward kernel, every slice rotated; each filter's full
// correlation with its zero-padded delta adds one map, and the maps sum to dL/dX[c].

const SLICE_CELL = 26;
const SLICE_GAP = 10;
const HEAD = 22;

// A grid of kernel slices: blocks[r][s] is a K_h x K_w array. Rows and columns are named
// (e.g. "f" and "c"); one row or one column can be framed as the selection.
function drawBlocks(parent, caption, blocks, rowName, colName, label) {
  const rows = blocks.length;
  const cols = blocks[0].length;
  const kh = blocks[0][0].length;
  const kw = blocks[0][0][0].length;
  const blockW = kw * SLICE_CELL;
  const blockH = kh * SLICE_CELL;
  const figure = htmlEl("figure", { class: "cg-grid cg-blocks" }, parent);
  htmlEl("figcaption", {}, figure, caption);
  const width = HEAD + 8 + cols * (blockW + SLICE_GAP);
  const height = HEAD + 6 + rows * (blockH + SLICE_GAP);
  const svg = svgEl("svg", {
    viewBox: `0 0 ${width} ${height}`, width: String(width), role: "img", "aria-label": label,
  }, figure);
  const x0 = (s) => HEAD + 6 + s * (blockW + SLICE_GAP);
  const y0 = (r) => HEAD + 4 + r * (blockH + SLICE_GAP);
  for (let s = 0; s < cols; s++) {
    svgEl("text", { class: "cg-head", x: x0(s) + blockW / 2, y: HEAD / 2 - 2 }, svg).textContent = `${colName}=${s}`;
  }
  for (let r = 0; r < rows; r++) {
    const head = svgEl("text", { class: "cg-head", x: HEAD / 2, y: y0(r) + blockH / 2 }, svg);
    head.textContent = `${rowName}${r}`;
  }
  const groups = [];
  for (let r = 0; r < rows; r++) {
    groups.push([]);
    for (let s = 0; s < cols; s++) {
      const block = svgEl("g", { class: "cg-block", transform: `translate(${x0(s)},${y0(r)})` }, svg);
      block.dataset.row = r;
      block.dataset.col = s;
      blocks[r][s].forEach((line, a) => line.forEach((value, b) => {
        const cell = svgEl("g", { class: "cg-cell", transform: `translate(${b * SLICE_CELL},${a * SLICE_CELL})` }, block);
        svgEl("rect", { width: SLICE_CELL, height: SLICE_CELL }, cell);
        svgEl("text", { x: SLICE_CELL / 2, y: SLICE_CELL / 2 + 1, class: "cg-small" }, cell).textContent = fmt(value);
      }));
      groups[r].push(block);
    }
  }
  const overlay = svgEl("g", {}, svg);
  return {
    svg,
    select(r0, s0, r1, s1) {
      for (const row of groups) for (const g of row) g.classList.remove("cg-chosen");
      for (let r = r0; r <= r1; r++) for (let s = s0; s <= s1; s++) groups[r][s].classList.add("cg-chosen");
      overlay.replaceChildren();
      svgEl("rect", {
        class: "cg-window",
        x: x0(s0) - 4,
        y: y0(r0) - 4,
        width: (s1 - s0) * (blockW + SLICE_GAP) + blockW + 8,
        height: (r1 - r0) * (blockH + SLICE_GAP) + blockH + 8,
      }, overlay);
    },
  };
}

// Draw a grid smaller than drawGrid's cells (its viewBox scales the numbers with it).
function shrink(grid, factor) {
  const width = Number(grid.svg.getAttribute("width"));
  grid.svg.setAttribute("width", String(Math.round(width * factor)));
  return grid;
}

function render({ model, el }) {
  const inputs = model.get("inputs");
  const frames = model.get("frames");
  const channels = frames.length;
  const filters = inputs.w.length;

  const root = widgetRoot(el, "ChannelGradient",
    "Input gradient of one channel, summed over the filters");
  root.dataset.inputs = JSON.stringify(inputs);
  const channel = syncedIndex(model, "channel", channels, () => draw());

  const top = htmlEl("div", { class: "cg-row" }, root);
  const picker = pickGrid(top, "input channel c (click one)", [frames.map((_, c) => c)], channel,
    "input channel c: arrow keys pick a channel");
  const forward = drawBlocks(top, `forward W: ${filters} filters (rows f) \u00d7 ${channels} channels`,
    inputs.w, "f", "c", "forward weights W, one kernel slice per filter and channel");
  const backward = drawBlocks(top, `backward W_back: ${channels} filters (rows c) \u00d7 ${filters} channels, rotated`,
    inputs.w_back, "c", "f", "backward kernel: channel axes swapped, every slice rotated 180 degrees");
  const swap = htmlEl("p", { class: "cg-note cg-swap", "aria-live": "polite" }, root);

  const perFilter = htmlEl("div", { class: "cg-filters" }, root);
  const sumRow = htmlEl("div", { class: "cg-row cg-filter" }, root);
  const equation = htmlEl("div", { class: "cg-equation" }, root);
  const steps = stepper(root, channel, channels, "input channel");
  htmlEl("p", { class: "cg-note" }, root,
    "Each row is one filter f: its slice for channel c, rotated, slides over \u03b4[f] padded " +
    "with zeros (shaded). The filters' maps add up to the gradient of channel c, " +
    "convgrad.conv_backward's dL/dX[c].");

  const [ringH, ringW] = inputs.delta_ring;
  const isRing = (grid) => (r, c) =>
    r < ringH || r >= grid.length - ringH || c < ringW || c >= grid[0].length - ringW ? "cg-zero" : "";

  function draw() {
    const c = channel.get();
    const frame = frames[c];
    picker.reset();
    picker.mark(0, c, "cg-selected");
    forward.select(0, c, filters - 1, c);
    backward.select(c, 0, c, filters - 1);
    swap.textContent = frame.swap;
    perFilter.replaceChildren();
    frame.partials.forEach((partial, f) => {
      const row = htmlEl("div", { class: "cg-row cg-filter", "data-filter": String(f) }, perFilter);
      const rotated = shrink(drawGrid(row, `rot180 W[${f},${c}]`, inputs.w_back[c][f], {
        kind: () => "cg-read",
      }), 0.7);
      rotated.figure.dataset.role = "rotated";
      htmlEl("span", { class: "cg-op cg-op-words" }, row, "slides over");
      const padded = inputs.delta_padded[f];
      shrink(drawGrid(row, `\u03b4[${f}], zero-padded`, padded, { kind: isRing(padded) }), 0.7);
      htmlEl("span", { class: "cg-op", "aria-hidden": "true" }, row, "=");
      const share = shrink(drawGrid(row, `filter ${f}'s share`, partial), 0.7);
      share.figure.dataset.role = "partial";
    });
    sumRow.replaceChildren();
    htmlEl("span", { class: "cg-op", "aria-hidden": "true" }, sumRow, "\u03a3 over f =");
    const total = drawGrid(sumRow, `\u2202L/\u2202X[${c}], the sum`, inputs.grad_x[c], {
      kind: () => "cg-selected",
    });
    total.figure.dataset.role = "sum";
    equation.textContent = frame.equation;
    steps.show(c, `channel c = ${c}, ${c + 1} of ${channels}`, c);
  }
  draw();
  return steps.close;
}

export default { render };
