// TrainingWatch: slide over training steps; the first-layer filters, their gradient, one
// digit's input gradient and the loss so far are redrawn for the step chosen.

const TILE_CELL = 12;
const TILE_GAP = 6;

// Colour of a signed value on a white-centred blue (negative) / vermillion (positive) scale.
function signedColour(value, scale) {
  const t = scale > 0 ? Math.max(-1, Math.min(1, value / scale)) : 0;
  const [r, g, b] = t >= 0 ? [213, 94, 0] : [0, 114, 178];
  const a = Math.abs(t);
  const mix = (c) => Math.round(255 + (c - 255) * a);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

function inkColour(value, max) {
  const level = Math.round(255 * (1 - Math.max(0, Math.min(1, value / max))));
  return `rgb(${level},${level},${level})`;
}

// `count` small heat maps of rows x cols cells, four to a row; returns a redraw function.
function tiles(parent, caption, count, rows, cols, label) {
  const perRow = Math.min(count, 4);
  const lines = Math.ceil(count / perRow);
  const tileW = cols * TILE_CELL;
  const tileH = rows * TILE_CELL;
  const width = perRow * tileW + (perRow - 1) * TILE_GAP + 2;
  const height = lines * tileH + (lines - 1) * TILE_GAP + 2;
  const figure = htmlEl("figure", { class: "cg-grid cg-tiles" }, parent);
  const text = htmlEl("figcaption", {}, figure, caption);
  const svg = svgEl("svg", {
    viewBox: `0 0 ${width} ${height}`, width: String(Math.round(width * 1.25)), role: "img", "aria-label": label,
  }, figure);
  const cells = [];
  for (let t = 0; t < count; t++) {
    const x0 = 1 + (t % perRow) * (tileW + TILE_GAP);
    const y0 = 1 + Math.floor(t / perRow) * (tileH + TILE_GAP);
    const tile = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        tile.push(svgEl("rect", {
          class: "cg-heat", x: x0 + c * TILE_CELL, y: y0 + r * TILE_CELL, width: TILE_CELL, height: TILE_CELL,
        }, svg));
      }
    }
    svgEl("rect", { class: "cg-tile-frame", x: x0, y: y0, width: tileW, height: tileH }, svg);
    cells.push(tile);
  }
  return {
    svg,
    draw(grids, colour, captionText) {
      grids.forEach((values, t) => {
        values.flat().forEach((v, k) => cells[t][k].setAttribute("fill", colour(v)));
      });
      if (captionText !== undefined) text.textContent = captionText;
    },
  };
}

// The batch loss against the step, log scale, drawn up to the current step.
function lossChart(parent, inputs) {
  const [W, H, left, right, top, bottom] = [300, 130, 56, 10, 8, 22];
  const [lo, hi] = inputs.log_range;
  const last = inputs.last_step;
  const px = (s) => left + (s / last) * (W - left - right);
  const py = (loss) => top + (1 - (Math.log10(loss) - lo) / (hi - lo || 1)) * (H - top - bottom);
  const figure = htmlEl("figure", { class: "cg-grid cg-chart" }, parent);
  htmlEl("figcaption", {}, figure, "batch loss L (log scale) up to this step");
  const svg = svgEl("svg", {
    viewBox: `0 0 ${W} ${H}`, width: String(W), role: "img", "aria-label": "batch loss against training step",
  }, figure);
  svgEl("path", { class: "cg-axis", d: `M${left},${top} V${H - bottom} H${W - right}` }, svg);
  const labels = [
    [left - 4, top + 4, inputs.loss_labels[1], "end"],
    [left - 4, H - bottom, inputs.loss_labels[0], "end"],
    [left, H - 6, "step 0", "start"],
    [W - right, H - 6, `step ${last}`, "end"],
  ];
  for (const [x, y, text, anchor] of labels) {
    svgEl("text", { class: "cg-axis-label", x, y, "text-anchor": anchor }, svg).textContent = text;
  }
  const line = svgEl("polyline", { class: "cg-loss" }, svg);
  const dot = svgEl("circle", { class: "cg-loss-dot", r: 3.5 }, svg);
  return (step) => {
    const points = inputs.losses.slice(0, step + 1).map((loss, s) => `${px(s).toFixed(1)},${py(loss).toFixed(1)}`);
    line.setAttribute("points", points.join(" "));
    dot.setAttribute("cx", px(step).toFixed(1));
    dot.setAttribute("cy", py(inputs.losses[step]).toFixed(1));
  };
}

function render({ model, el }) {
  const inputs = model.get("inputs");
  const frames = model.get("frames");
  const first = frames[0];
  const [kh, kw] = [first.filters[0].length, first.filters[0][0].length];
  const [h, w] = [inputs.sample.length, inputs.sample[0].length];
  const count = first.filters.length;

  const root = widgetRoot(el, "TrainingWatch",
    "Training watch: first-layer filters, their gradients, a digit's input gradient and the loss, by training step");
  const position = syncedIndex(model, "position", frames.length, () => draw());
  const top = htmlEl("div", { class: "cg-row" }, root);
  const filters = tiles(top, "", count, kh, kw, `the ${count} first-layer filters W`);
  const grads = tiles(top, "", count, kh, kw, `their gradients \u2202L/\u2202W for the batch`);
  const bottom = htmlEl("div", { class: "cg-row" }, root);
  const digit = tiles(bottom, inputs.label, 1, h, w, `the input ${inputs.label}`);
  const gradX = tiles(bottom, "", 1, h, w, `\u2202L/\u2202X for ${inputs.label}`);
  const chart = lossChart(bottom, inputs);
  const summary = htmlEl("div", { class: "cg-equation", "aria-live": "polite" }, root);
  const steps = stepper(root, position, frames.length, "training step");
  htmlEl("p", { class: "cg-note" }, root,
    "Vermillion: positive, blue: negative, white: zero; each panel's scale is in its caption. " +
    "The filters keep one scale for all steps; the gradients are rescaled at every step.");
  digit.draw([inputs.sample], (v) => inkColour(v, inputs.sample_max));

  function draw() {
    const index = position.get();
    const frame = frames[index];
    const scale = inputs.filter_scale;
    filters.draw(frame.filters, (v) => signedColour(v, scale), `filters W (\u00b1${fmt(scale)})`);
    grads.draw(frame.grads, (v) => signedColour(v, frame.grad_w_scale),
      `\u2202L/\u2202W of the batch (\u00b1${fmt(frame.grad_w_scale)})`);
    gradX.draw([frame.grad_x], (v) => signedColour(v, frame.grad_x_scale),
      `\u2202L/\u2202X (\u00b1${fmt(frame.grad_x_scale)})`);
    chart(frame.step);
    summary.textContent = frame.text;
    steps.show(index, `step ${frame.step} of ${inputs.last_step}`);
    root.dataset.step = String(frame.step);
    root.dataset.loss = String(frame.loss);
  }
  draw();
  return steps.close;
}

export default { render };
