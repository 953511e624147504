// Loaded after require.js on pages that carry widget state, before the embed script.
// Everything the saved widgets need is served by this site: map the module names the
// embed script and the widget state ask for to the vendored copies beside this file.
(function () {
  const here = document.currentScript.src;
  const vendor = (path) => new URL(`vendor/${path}`, here).href;
  requirejs.config({
    paths: {
      // anywidget's front end, named by every anywidget's saved state
      anywidget: vendor("anywidget/index"),
      // the embed script finds its icon fonts relative to this module's address
      "@jupyter-widgets/html-manager/dist": vendor("html-manager"),
    },
  });
  window.__jupyter_widgets_assets_path__ = vendor("html-manager/");
})();
