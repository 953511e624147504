"""Sphinx hook for the API reference: shapes written as in Python, ``(N, C, *spatial)``.

In reStructuredText a lone ``*`` opens emphasis, so a docstring that writes a shape as
plain text, ``(N, C, *spatial)``, would fail the build (-W). This escapes exactly that
form, a ``*`` unpacking a name just before ``)`` or ``,``; emphasis (``*word*``) and
literals are left alone. Docstrings that quote shapes as literals need no help.
"""

import re

UNPACKED_NAME = re.compile(r"(?<=[(\s])\*(?=\w+[),])")
LITERAL = re.compile(r"``.*?``")


def _escape(line: str) -> str:
    # literals are kept as they are; only the text between them is escaped
    parts, last = [], 0
    for match in LITERAL.finditer(line):
        parts += [UNPACKED_NAME.sub(r"\\*", line[last : match.start()]), match.group(0)]
        last = match.end()
    return "".join(parts) + UNPACKED_NAME.sub(r"\\*", line[last:])


def escape_shapes(app, what, name, obj, options, lines):
    lines[:] = [_escape(line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", escape_shapes)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
