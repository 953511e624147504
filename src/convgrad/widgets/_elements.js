// Helpers of every widget's ES module (Python prepends them).

function htmlEl(tag, attrs, parent, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

// A widget's root: a named group, so a screen reader announces what the figure is.
function widgetRoot(el, kind, label) {
  return htmlEl("div", { class: "cg-widget", "data-widget": kind, role: "group", "aria-label": label }, el);
}
