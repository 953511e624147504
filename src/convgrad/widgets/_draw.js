// Drawing helpers of the widgets with grids (Python prepends them, after _elements.js).
// Python sends every number and label; these functions only lay out SVG and react.

const SVG_NS = "http://www.w3.org/2000/svg";
const CELL = 40;
const STATE_CLASSES = ["cg-read", "cg-hit", "cg-selected"];

function svgEl(tag, attrs, parent) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (parent) parent.appendChild(node);
  return node;
}

// Same rule as convgrad.widgets._common.number: 4 significant digits, true minus sign.
function fmt(value) {
  if (Math.abs(value) < 1e-12) return "0"; // round-off residue of a sum that is zero
  let text = Number(value).toPrecision(4);
  if (!text.includes("e") && text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  return text.replace("-", "\u2212");
}

// The zero-padded input X as a grid, its padding shaded (the widgets that slide a window).
function drawPaddedInput(parent, inputs) {
  const [[top, bottom], [left, right]] = inputs.padding;
  const padded = inputs.x_padded;
  const isPad = (r, c) =>
    r < top || r >= padded.length - bottom || c < left || c >= padded[0].length - right;
  const caption = top + bottom + left + right ? "input X, zero padding shaded" : "input X";
  return drawGrid(parent, caption, padded, { kind: (r, c) => (isPad(r, c) ? "cg-pad" : "") });
}

// A captioned grid of numbers. `kind(r, c)` gives fixed classes (padding, zeros);
// `pick(r, c)` makes cells clickable (pickGrid adds the arrow keys).
function drawGrid(parent, caption, values, options) {
  const { kind = () => "", pick = null } = options || {};
  const rows = values.length;
  const cols = values[0].length;
  const figure = htmlEl("figure", { class: "cg-grid" }, parent);
  htmlEl("figcaption", {}, figure, caption);
  const width = cols * CELL + 4;
  const height = rows * CELL + 4;
  const svg = svgEl("svg", {
    viewBox: `0 0 ${width} ${height}`,
    width: String(width),
    role: "img",
    "aria-label": caption,
  }, figure);
  const cells = [];
  for (let r = 0; r < rows; r++) {
    cells.push([]);
    for (let c = 0; c < cols; c++) {
      const classes = ["cg-cell", kind(r, c)].filter(Boolean).join(" ");
      const g = svgEl("g", { class: classes, transform: `translate(${2 + c * CELL},${2 + r * CELL})` }, svg);
      g.dataset.row = r;
      g.dataset.col = c;
      svgEl("rect", { width: CELL, height: CELL }, g);
      const text = fmt(values[r][c]);
      const size = text.length > 5 ? "cg-longer" : text.length > 4 ? "cg-long" : "";
      svgEl("text", { x: CELL / 2, y: CELL / 2 + 2, class: size }, g).textContent = text;
      svgEl("text", { class: "cg-tag", x: CELL - 3, y: 3 }, g);
      if (pick) {
        g.classList.add("cg-pick");
        g.addEventListener("click", () => pick(r, c));
      }
      cells[r].push(g);
    }
  }
  const overlay = svgEl("g", {}, svg);
  return {
    figure,
    svg,
    rows,
    cols,
    cells,
    reset() {
      for (const row of cells) {
        for (const g of row) {
          g.classList.remove(...STATE_CLASSES);
          g.querySelector(".cg-tag").textContent = "";
        }
      }
      overlay.replaceChildren();
    },
    mark(r, c, cls, tag) {
      const g = cells[r][c];
      g.classList.add(cls);
      if (tag !== undefined) g.querySelector(".cg-tag").textContent = tag;
    },
    outline(r0, c0, r1, c1) {
      svgEl("rect", {
        class: "cg-window",
        x: 2 + c0 * CELL - 2,
        y: 2 + r0 * CELL - 2,
        width: (c1 - c0 + 1) * CELL + 4,
        height: (r1 - r0 + 1) * CELL + 4,
      }, overlay);
    },
  };
}

// One window of a sliding kernel: every tap it reads on `grid`, tagged with the weight
// that multiplies it, the matching kernel cells, and a frame around the window.
// (The gather view of the input gradient is the same picture with the rotated kernel.)
function markWindow(grid, kernelGrid, taps, kernel) {
  const kw = kernel[0].length;
  taps.forEach(([r, c], k) => {
    const [kr, kc] = [Math.floor(k / kw), k % kw];
    grid.mark(r, c, "cg-read", "\u00d7" + fmt(kernel[kr][kc]));
    kernelGrid.mark(kr, kc, "cg-read");
  });
  const first = taps[0];
  const last = taps[taps.length - 1];
  grid.outline(first[0], first[1], last[0], last[1]);
}

// A grid whose cells pick the synced `index` (flat): by a click, or by the arrow keys.
function pickGrid(parent, caption, values, index, label, options) {
  const cols = values[0].length;
  const grid = drawGrid(parent, caption, values, { ...options, pick: (r, c) => index.set(r * cols + c) });
  grid.svg.setAttribute("tabindex", "0");
  grid.svg.setAttribute("role", "group");
  grid.svg.setAttribute("aria-label", label);
  grid.svg.addEventListener("keydown", (event) => {
    let r = Math.floor(index.get() / cols);
    let c = index.get() % cols;
    if (event.key === "ArrowRight") c = Math.min(cols - 1, c + 1);
    else if (event.key === "ArrowLeft") c = Math.max(0, c - 1);
    else if (event.key === "ArrowDown") r = Math.min(grid.rows - 1, r + 1);
    else if (event.key === "ArrowUp") r = Math.max(0, r - 1);
    else return;
    event.preventDefault();
    index.set(r * cols + c);
  });
  return grid;
}

// Slider, Play/Pause button and a caption for the synced `index`; `show` also notes on the
// widget's root what it shows (data-position, data-value: the tests read them).
function stepper(parent, index, count, label) {
  const root = parent.closest(".cg-widget");
  const bar = htmlEl("div", { class: "cg-controls" }, parent);
  const play = htmlEl("button", { type: "button", class: "cg-play", "aria-label": `Play through ${label}` }, bar, "\u25b6 Play");
  const range = htmlEl("input", {
    type: "range", min: "0", max: String(count - 1), step: "1", value: "0", class: "cg-slider", "aria-label": label,
  }, bar);
  const caption = htmlEl("span", { class: "cg-step", "aria-live": "polite" }, bar);
  let timer = null;
  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
    play.textContent = "\u25b6 Play";
  };
  range.addEventListener("input", () => index.set(Number(range.value)));
  play.addEventListener("click", () => {
    if (timer !== null) return stop();
    play.textContent = "\u275a\u275a Pause";
    const advance = () => index.set((Number(range.value) + 1) % count);
    advance();
    timer = setInterval(advance, 900);
  });
  return {
    show(index, text, value) {
      range.value = String(index);
      caption.textContent = text;
      root.dataset.position = String(index);
      if (value !== undefined) root.dataset.value = String(value);
    },
    close() {
      stop();
      index.off();
    },
  };
}

// Keep a synced integer trait and redraw on every change (from the page or from Python).
function syncedIndex(model, name, count, draw) {
  const set = (index) => {
    const clamped = Math.max(0, Math.min(count - 1, Math.round(index)));
    if (clamped === model.get(name)) return;
    model.set(name, clamped);
    model.save_changes();
  };
  model.on(`change:${name}`, draw);
  return { get: () => model.get(name), set, off: () => model.off(`change:${name}`, draw) };
}
