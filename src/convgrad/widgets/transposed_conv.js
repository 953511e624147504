// TransposedConv: dL/dY spread by the stride and padded, the rotated kernel sliding over it;
// every output is one sum. Stride and output_padding pick one of the settings Python computed.

function render({ model, el }) {
  const settings = model.get("settings");
  const root = widgetRoot(el, "TransposedConv",
    "Transposed convolution: dL/dY with zeros inserted by the stride, the rotated kernel sliding over it, and the rows output_padding adds");
  const bar = htmlEl("div", { class: "cg-controls" }, root);
  const strides = [...new Set(settings.map((s) => s.inputs.stride[0]))];
  const strideLabel = htmlEl("label", {}, bar, "stride ");
  const strideSelect = htmlEl("select", { class: "cg-stride", "aria-label": "stride of the forward convolution" }, strideLabel);
  for (const s of strides) htmlEl("option", { value: String(s) }, strideSelect, String(s));
  const padLabel = htmlEl("label", {}, bar, "output_padding ");
  const padSelect = htmlEl("select", { class: "cg-output-padding", "aria-label": "output_padding of conv_transpose" }, padLabel);
  const body = htmlEl("div", {}, root);

  const find = (s, op) => settings.findIndex((t) => t.inputs.stride[0] === s && t.inputs.output_padding === op);
  const chooseSetting = (index) => {
    if (index < 0 || index === model.get("setting")) return;
    const count = settings[index].frames.length;
    model.set("position", Math.min(model.get("position"), count - 1));
    model.set("setting", index);
    model.save_changes();
  };
  strideSelect.addEventListener("change", () => {
    const s = Number(strideSelect.value);
    chooseSetting(settings.findIndex((t) => t.inputs.stride[0] === s && t.inputs.matches));
  });
  padSelect.addEventListener("change", () => {
    chooseSetting(find(Number(strideSelect.value), Number(padSelect.value)));
  });

  let view = null;
  function build() {
    if (view) view.close();
    body.replaceChildren();
    const { inputs, frames } = settings[model.get("setting")];
    const [s] = inputs.stride;
    strideSelect.value = String(s);
    padSelect.replaceChildren();
    for (let op = 0; op < s; op++) htmlEl("option", { value: String(op) }, padSelect, String(op));
    padSelect.value = String(inputs.output_padding);
    root.dataset.inputs = JSON.stringify(inputs);
    const op = inputs.output_padding;
    const cols = inputs.z[0].length;
    const classes = { padding: "cg-pad", inserted: "cg-zero", extra: "cg-zero cg-extra", delta: "" };

    const row = htmlEl("div", { class: "cg-row" }, body);
    const deltaGrid = drawGrid(row, "\u03b4 = \u2202L/\u2202Y", inputs.delta);
    const rotatedGrid = drawGrid(row, "W rotated 180\u00b0", inputs.w_rotated);
    const row2 = htmlEl("div", { class: "cg-row" }, body);
    const spreadCaption = `spread \u03b4: ${s - 1} zero${s === 2 ? "" : "s"} between entries, ` +
      `K\u22121\u2212p around (italic)` + (op ? `, +${op} from output_padding (dashed red)` : "");
    const spreadGrid = drawGrid(row2, spreadCaption, inputs.spread, {
      kind: (r, c) => classes[inputs.spread_kind[r][c]],
    });
    const [fromRow, fromCol] = inputs.extra_from;
    const position = syncedIndex(model, "position", frames.length, () => draw());
    const zGrid = pickGrid(row2, "Z = conv_transpose(\u03b4, W) (click an output)", inputs.z, position,
      "output Z: arrow keys pick an output", { kind: (r, c) => (r >= fromRow || c >= fromCol ? "cg-extra" : "") });
    const equation = htmlEl("div", { class: "cg-equation", "aria-live": "polite" }, body);
    const [inH, inW] = inputs.x_size; // the forward input, H x W_in
    const [zh, zw] = [inputs.z.length, cols];
    const verdict = inputs.matches
      ? `Z is ${zh}\u00d7${zw}, the forward input's size: Z = \u2202L/\u2202X. ` +
        `output_padding = r = ${inputs.r[0]}, the padded rows past the last window.`
      : `Z is ${zh}\u00d7${zw}, but the forward input was ${inH}\u00d7${inW}: with stride ${s} ` +
        `output_padding must be r = ${inputs.r[0]}.`;
    htmlEl("p", { class: inputs.matches ? "cg-note cg-ok" : "cg-note cg-wrong" }, body, verdict);
    const steps = stepper(body, position, frames.length, "output position");

    function draw() {
      const index = Math.min(position.get(), frames.length - 1);
      const frame = frames[index];
      for (const g of [deltaGrid, rotatedGrid, spreadGrid, zGrid]) g.reset();
      const [r, c] = frame.out;
      zGrid.mark(r, c, "cg-selected");
      markWindow(spreadGrid, rotatedGrid, frame.taps, inputs.w_rotated);
      frame.taps.forEach(([tr, tc]) => {
        if (inputs.spread_kind[tr][tc] !== "delta") return;
        const [i, j] = [(tr - (inputs.w.length - 1 - inputs.padding)) / s,
          (tc - (inputs.w[0].length - 1 - inputs.padding)) / s];
        deltaGrid.mark(i, j, "cg-hit");
      });
      equation.textContent = frame.equation;
      steps.show(index, `Z[${r},${c}], ${index + 1} of ${frames.length}`, frame.value);
    }
    draw();
    view = steps;
  }
  build();
  model.on("change:setting", build);
  return () => {
    if (view) view.close();
    model.off("change:setting", build);
  };
}

export default { render };
