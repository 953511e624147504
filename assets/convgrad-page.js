// Loaded on every page of the book, before the theme's deferred scripts.

// FontAwesome (from the theme) would otherwise swap <i class="fa ..."> nodes for <svg>
// nodes, and widget views that later update their icons (a Play button) lose them.
window.FontAwesomeConfig = Object.assign(window.FontAwesomeConfig || {}, {
  autoReplaceSvg: "nest",
});

// The ipywidgets base typesets labels with MathJax 2's `MathJax.Hub.Queue`; the book
// runs MathJax 3, which has no Hub. Translate those calls to MathJax 3's typesetPromise.
(function () {
  function typesetLater(element) {
    const mathjax = window.MathJax;
    const ready = mathjax.startup && mathjax.startup.promise;
    const run = () => (mathjax.typesetPromise ? mathjax.typesetPromise(element ? [element] : undefined) : null);
    Promise.resolve(ready)
      .then(run)
      .catch((err) => console.warn("MathJax could not typeset a widget label:", err));
  }
  function installHub() {
    const mathjax = window.MathJax;
    if (!mathjax || mathjax.Hub || !mathjax.version) return;
    mathjax.Hub = {
      Queue(...jobs) {
        for (const job of jobs) {
          if (Array.isArray(job) && job[0] === "Typeset") typesetLater(job[2]);
        }
      },
    };
  }
  document.addEventListener("DOMContentLoaded", installHub);
  window.addEventListener("load", installHub);
})();

// pydata-sphinx-theme 0.17 wires its sidebar buttons by `querySelector`, so only the first
// `.primary-toggle` and `.secondary-toggle` get handlers: the navbar's copies, which the book
// theme hides. The buttons a reader sees, in the article header, did nothing (no menu on a
// phone, no collapsing the sidebar on a desktop). Pass their clicks on to the wired copies.
document.addEventListener("DOMContentLoaded", () => {
  for (const name of ["primary-toggle", "secondary-toggle"]) {
    const [wired, ...visible] = document.querySelectorAll(`.${name}`);
    for (const button of visible) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        wired.click();
      });
    }
  }
});

// Every chapter runs outside the book too: the download menu offers the bundle of all
// chapters with the convgrad wheel (written to the site's root by scripts/site_extras.py).
document.addEventListener("DOMContentLoaded", () => {
  const menu = document.querySelector(".dropdown-download-buttons .dropdown-menu");
  if (!menu) return;
  const root = document.documentElement.dataset.content_root || "";
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `${root}convgrad-book.zip`;
  link.className = "btn btn-sm dropdown-item cg-bundle-link";
  link.title = "All chapters with the convgrad package, ready to run";
  link.textContent = "all chapters (.zip)";
  item.appendChild(link);
  menu.appendChild(item);
});

// Widgets the static book writes as HTML blocks instead of saved widget state
// (convgrad.widgets.StaticCheckForm, chapter 13's form): the widget's own ES module and
// state, drawn here without the widget manager, which would add 3.7 MB to the page.
document.addEventListener("DOMContentLoaded", () => {
  for (const holder of document.querySelectorAll(".cg-static-widget")) {
    const source = holder.querySelector("script.cg-static-state");
    if (!source) continue;
    const state = JSON.parse(source.textContent);
    if (!document.querySelector("style[data-cg-widgets]")) {
      const style = document.createElement("style");
      style.dataset.cgWidgets = "";
      style.textContent = state._css;
      document.head.appendChild(style);
    }
    const listeners = {};
    const model = {
      get: (name) => state[name],
      set(name, value) {
        state[name] = value;
        for (const listener of listeners[`change:${name}`] || []) listener();
      },
      save_changes() {},
      send() {},
      on: (event, listener) => (listeners[event] = listeners[event] || []).push(listener),
      off(event, listener) {
        listeners[event] = (listeners[event] || []).filter((other) => other !== listener);
      },
    };
    const module = URL.createObjectURL(new Blob([state._esm], { type: "text/javascript" }));
    import(module)
      .then((widget) => widget.default.render({ model, el: holder }))
      .catch((error) => console.error("a convgrad widget could not be drawn:", error));
  }
});
