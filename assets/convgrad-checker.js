// Chapter 13's form in the static book: the book's own checker (convgrad.symbolic.check_text,
// through convgrad.symbolic.check_fields) in Python, in this module Web Worker, so the
// page never freezes. Everything comes from this site, and only when a reader uses the form:
// Pyodide's core and the wheels of sympy and mpmath (listed in vendor/checker.json by
// scripts/vendor_assets.py), and convgrad's own wheel (at the site's root, named by the page).
//
// Messages in: {id, kind: "boot" | "check", wheel, fields}. Out: {id, kind: "progress", text},
// {id, kind: "ready"}, {id, kind: "verdict", status, report, seconds, timings},
// {id, kind: "failure", text}. The page stops a check by terminating this worker.

const vendor = new URL("vendor/", import.meta.url);
let python = null; // a promise of {run, timings} once Python and the checker are loaded

const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const seconds = (since) => (performance.now() - since) / 1000;

async function download(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url} (HTTP ${response.status})`);
  return response;
}

async function start(id, wheel) {
  const say = (text) => postMessage({ id, kind: "progress", text });
  const manifest = await (await download(new URL("checker.json", vendor))).json();
  const core = new URL("pyodide/", vendor);
  const bytes = manifest.pyodide.bytes + manifest.wheels.reduce((sum, w) => sum + w.bytes, 0);
  say(`loading Python, sympy and the checker (${megabytes(bytes)})…`);
  let since = performance.now();
  // the wheels download while Python starts
  const urls = [...manifest.wheels.map((w) => new URL(w.file, vendor)), new URL(wheel)];
  const buffers = urls.map((url) => download(url).then((response) => response.arrayBuffer()));
  buffers.forEach((buffer) => buffer.catch(() => {})); // reported when awaited below
  const { loadPyodide } = await import(new URL("pyodide.mjs", core).href);
  const pyodide = await loadPyodide({ indexURL: core.href });
  const timings = { boot: seconds(since) };

  since = performance.now();
  for (const buffer of buffers) pyodide.unpackArchive(await buffer, "wheel");
  timings.install = seconds(since); // what is left of the download after the start, and unpacking

  say("importing sympy and the checker…");
  since = performance.now();
  pyodide.runPython(
    "import json\n" +
      "from convgrad.symbolic import check_fields\n" +
      "def _check(text):\n" +
      "    return json.dumps(check_fields(json.loads(text)))\n",
  );
  timings.imports = seconds(since);
  return { run: pyodide.globals.get("_check"), timings };
}

function describe(fields) {
  const list = (text, fallback) => String(text || "").trim() || fallback;
  return (
    `checking at stride ${list(fields.stride, "1")}, padding ${list(fields.padding, "0")}, ` +
    `dilation ${list(fields.dilation, "1")}…`
  );
}

self.onmessage = async (event) => {
  const { id, kind, wheel, fields } = event.data;
  let run, timings;
  try {
    python = python || start(id, wheel);
    ({ run, timings } = await python);
  } catch (error) {
    python = null; // a failed start is tried again on the next message
    postMessage({ id, kind: "failure", text: String((error && error.message) || error) });
    return;
  }
  try {
    if (kind === "boot") {
      postMessage({ id, kind: "ready", timings });
      return;
    }
    postMessage({ id, kind: "progress", text: describe(fields) });
    const since = performance.now();
    const verdict = JSON.parse(run(JSON.stringify(fields)));
    postMessage({ id, kind: "verdict", ...verdict, seconds: seconds(since), timings });
  } catch (error) {
    postMessage({ id, kind: "failure", text: String((error && error.message) || error) });
  }
};
