"""CheckForm: type a formula, get check_text's verdict in the page (Chapter 13).

Python sends the presets (the chapter's own examples) and answers each *Check* with
``convgrad.symbolic.check_fields``: ``check_text``'s report word for word. In
JupyterLab the kernel answers through the widget's messages. The static book has no
kernel: there the same ES module starts Python (Pyodide) in a Web Worker, from files the
site serves (``assets/convgrad-checker.js``), on the reader's first use of the form.

A widget's saved state makes a static page load the widget manager (about 3.7 MB), so
while the book is built (``CONVGRAD_STATIC_BOOK``, set by the book's Sphinx extension
``scripts/site_extras.py``) ``check_form`` gives the same module and state as a small
HTML block that the page script mounts instead.
"""

from __future__ import annotations

import html
import json
import os
from importlib.metadata import PackageNotFoundError, version

import traitlets

from ..symbolic import check_fields
from ._common import Widget, esm

#: set while the static book is built: the form is then a page script, not a widget
STATIC_BOOK = "CONVGRAD_STATIC_BOOK"


def _fields(formula, where=(), tensors=(), sizes=(), index_base=1, stride="1"):
    """A preset's fields as the form shows them: definitions one ``name = text`` a line."""
    return {
        "formula": formula,
        "where": "\n".join(f"{name} = {text}" for name, text in dict(where).items()),
        "tensors": "\n".join(f"{name} = {text}" for name, text in dict(tensors).items()),
        "sizes": "\n".join(f"{name} = {text}" for name, text in dict(sizes).items()),
        "index_base": index_base,
        "stride": stride,
        "padding": "0",
        "dilation": "1",
    }


# The chapter's own examples (Chapter 13, "Check your own derivation", and its exercise 2).
_Q5_TEXT = (
    "dX[ch,p,q] = Sum(dO[f,i,j] * W[f,ch,p-(i-1)*s,q-(j-1)*s],"
    " (f,1,n_f), (i,i_lo,i_hi), (j,j_lo,j_hi))"
)
_Q5_LETTERS = dict(
    tensors={"dX": "grad_x[c,h,w]", "dO": "delta[f,h,w]", "W": "w[f,c,h,w]"},
    sizes={
        "s": "stride",
        "f_r": "kernel_h",
        "f_c": "kernel_w",
        "n_f": "filters",
        "h_O": "out_h",
        "w_O": "out_w",
    },
    stride="1, 2, 3",
)
_Q3_TEXT = "dl[m,n,u] = Sum(dn[m-a+1,n-b+1,k] * w[a,b,u,k], (k,1,F), (a,a_lo,a_hi), (b,b_lo,b_hi))"
_Q3_LETTERS = dict(
    tensors={"dl": "grad_x[h,w,c]", "dn": "delta[h,w,f]", "w": "w[h,w,c,f]"},
    sizes={"F": "filters", "K_h": "kernel_h", "K_w": "kernel_w", "H": "out_h", "W": "out_w"},
)
#: each preset: id, the label of its button, the page anchor that fills it in (chapters 6
#: and 8 link there), its fields
PRESETS = [
    {
        "id": "q3-as-asked",
        "label": "Q3 as asked",
        "anchor": "ch-checking-form-q3",
        "fields": _fields(
            _Q3_TEXT, {"a_lo": "1", "a_hi": "K_h", "b_lo": "1", "b_hi": "K_w"}, **_Q3_LETTERS
        ),
    },
    {
        "id": "q5-as-asked",
        "label": "Q5 as asked",
        "anchor": "ch-checking-form-q5",
        "fields": _fields(
            _Q5_TEXT,
            {
                "i_lo": "floor((p-f_r)/s+1)",
                "i_hi": "floor((p-1)/s+1)",
                "j_lo": "floor((q-f_c)/s+1)",
                "j_hi": "floor((q-1)/s+1)",
            },
            **_Q5_LETTERS,
        ),
    },
    {
        "id": "q5-corrected",
        "label": "Q5 corrected",
        "anchor": "",
        "fields": _fields(
            _Q5_TEXT,
            {
                "i_lo": "max(1, ceil((p-f_r)/s)+1)",
                "i_hi": "min(h_O, floor((p-1)/s)+1)",
                "j_lo": "max(1, ceil((q-f_c)/s)+1)",
                "j_hi": "min(w_O, floor((q-1)/s)+1)",
            },
            **_Q5_LETTERS,
        ),
    },
    {
        "id": "weight-gradient",
        "label": "a weight gradient (correct)",
        "anchor": "",
        "fields": _fields(
            "gW[k,l] = Sum(d[i,j] * X[i+k,j+l], (i,0,Ho-1), (j,0,Wo-1))",
            tensors={"gW": "grad_w[h,w]", "d": "delta[h,w]", "X": "x[h,w]"},
            sizes={"Ho": "out_h", "Wo": "out_w"},
            index_base=0,
        ),
    },
]


def preset_fields(preset: str) -> dict:
    """The fields of the preset whose id is `preset`, else a ValueError naming the presets."""
    for known in PRESETS:
        if known["id"] == preset:
            return known["fields"]
    raise ValueError(f"preset must be one of {[p['id'] for p in PRESETS]}, not {preset!r}")


def wheel_name() -> str:
    """The file name of convgrad's wheel, which scripts/site_extras.py puts at the site's root."""
    try:
        return f"convgrad-{version('convgrad')}-py3-none-any.whl"
    except PackageNotFoundError:  # run from a source tree that is not installed
        return ""


class CheckForm(Widget):
    """A form for a formula in your own letters; *Check* shows ``check_text``'s verdict.

    ``preset``: the id of the example it starts with (see ``PRESETS``). Each *Check*
    runs ``check_fields`` in this kernel (``backend="kernel"``); in a page with no kernel
    the module runs the same function in the browser (``backend="worker"``).
    """

    _esm = esm("check_form", helpers=("_elements",))  # draws no grids: not _draw.js
    presets = traitlets.List().tag(sync=True)
    preset = traitlets.Unicode("q5-as-asked").tag(sync=True)
    backend = traitlets.Unicode("kernel").tag(sync=True)
    wheel = traitlets.Unicode().tag(sync=True)

    def __init__(self, preset: str = "q5-as-asked", **kwargs):
        preset_fields(preset)  # a ValueError if there is no such preset
        super().__init__(presets=PRESETS, preset=preset, wheel=wheel_name(), **kwargs)
        self.on_msg(self._answer)

    def _answer(self, _, content, buffers) -> None:
        if isinstance(content, dict) and content.get("kind") == "check":
            verdict = check_fields(content.get("fields") or {})
            self.send({"kind": "verdict", "id": content.get("id"), **verdict})


class StaticCheckForm:
    """The form as the static book shows it: the module and the state a ``CheckForm``
    would save, in an HTML block that the page script (assets/convgrad-page.js) mounts."""

    def __init__(self, preset: str = "q5-as-asked"):
        preset_fields(preset)  # a ValueError if there is no such preset
        self.state = {
            "presets": PRESETS,
            "preset": preset,
            "backend": "worker",
            "wheel": wheel_name(),
            "_esm": CheckForm._esm,
            "_css": CheckForm._css,
        }

    def _repr_html_(self) -> str:
        state = json.dumps(self.state).replace("</", "<\\/")  # nothing closes the script early
        return (
            '<div class="cg-static-widget">'
            f'<script type="application/json" class="cg-static-state">{state}</script>'
            f"<noscript>{html.escape('The form needs JavaScript.')}</noscript></div>"
        )

    def __repr__(self) -> str:
        return "CheckForm (mounted by the page script of the static book)"


def check_form(preset: str = "q5-as-asked"):
    """The form for a cell to show: a live ``CheckForm``, or while the static book is built
    (``CONVGRAD_STATIC_BOOK`` set), the same form as a ``StaticCheckForm``."""
    if os.environ.get(STATIC_BOOK):
        return StaticCheckForm(preset)
    return CheckForm(preset)
