"""Markdown links to a label in another file, ``[Q5](../book/questions.md#q5)`` (a Sphinx
extension of the book).

The chapters link to other chapters and pages with Markdown links to the target file, because
that is the one form JupyterLab (jupyterlab-myst) can follow as well: it resolves a {ref} only
within the file it shows. myst-parser 3 resolves ``file#name`` only when ``name`` is a heading
slug (``myst_heading_anchors``) and warns "local id not found" otherwise, which fails the build
(-W). This extension adds every label of a document, ``(q5)=``, to that document's slugs, so
``file#label`` links to the label exactly as {ref}`Q5 <q5>` would. A name that is neither a
label nor a slug still fails the build.
"""

from __future__ import annotations


def _labels_as_slugs(app, env) -> None:
    for label, (docname, labelid, title) in env.domaindata["std"]["labels"].items():
        if docname in env.all_docs:
            slugs = env.metadata[docname].setdefault("myst_slugs", {})
            slugs.setdefault(label, (0, labelid, title))


def setup(app):
    # after every document is read (labels known), before any reference is resolved
    app.connect("env-updated", _labels_as_slugs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
