"""Chapter 13's form, Python side: its fields, as typed, to ``check_text``'s verdict.

The form (``convgrad.widgets.CheckForm``) sends its fields as text; ``check_fields``
reads them into ``check_text``'s arguments, runs it and returns its report word for word
(``str`` of the ``DerivationCheck``), or the words of the ``ValueError`` it raised. The
same function answers in JupyterLab (the kernel) and in the static book (Pyodide, in a
Web Worker), so it needs sympy alone, like ``check_text``.

Fields: ``formula``; ``where``, ``tensors``, ``sizes``: one ``name = text`` a line;
``index_base``: 0 or 1; ``stride``, ``padding``, ``dilation``: whole numbers separated
by commas (the layers of the grid).
"""

from __future__ import annotations

import re

from .own_derivation import check_text

#: each setting of the grid -> its value when the field is left empty
SETTINGS = {"stride": 1, "padding": 0, "dilation": 1}
_LINE = re.compile(r"\s*([A-Za-z_]\w*)\s*[=:]\s*(\S.*?)\s*")


def lines(text: str, field: str) -> dict[str, str]:
    """``name = text`` (or ``name: text``), one a line, in order; blank lines skipped."""
    pairs = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _LINE.fullmatch(line)
        if not match:
            raise ValueError(f"line {number} of {field}, {line.strip()!r}, is not 'name = text'")
        pairs[match.group(1)] = match.group(2)
    return pairs


def values(text: str, field: str) -> tuple[int, ...]:
    """Whole numbers separated by commas; an empty field gives the setting's default."""
    parts = [part.strip() for part in str(text).replace(";", ",").split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise ValueError(f"{field} {text!r}: write whole numbers separated by commas, e.g. 1, 2")
    return tuple(int(part) for part in parts) or (SETTINGS[field],)


def arguments(fields: dict) -> tuple[str, dict]:
    """The form's fields as ``check_text``'s text and keyword arguments."""
    base = str(fields.get("index_base", 1)).strip()
    if base not in ("0", "1"):
        raise ValueError(f"index_base must be 0 or 1, not {base!r}")
    kwargs = {name: lines(fields.get(name, ""), name) for name in ("tensors", "sizes", "where")}
    kwargs["index_base"] = int(base)
    kwargs |= {name: values(fields.get(name, ""), name) for name in SETTINGS}
    return str(fields.get("formula", "")).strip(), kwargs


def check_fields(fields: dict) -> dict:
    """``{"status": "correct" | "wrong" | "error", "report": text}`` for the form to show:
    ``check_text``'s report, or the words of the error that stopped it."""
    try:
        text, kwargs = arguments(fields)
        result = check_text(text, **kwargs)
    except ValueError as error:
        return {"status": "error", "report": str(error)}
    except Exception as error:  # noqa: BLE001  (whatever sympy raises, the reader sees it)
        return {"status": "error", "report": f"{type(error).__name__}: {error}"}
    return {"status": "correct" if result.passed else "wrong", "report": str(result)}
