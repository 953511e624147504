"""The book's figures: the palette, cells of a grid, and the framing every drawing shares.

Saved helpers in the manner of d2l: a chapter's figure cell draws what the chapter teaches
and calls these for the rest. The only module of convgrad that imports matplotlib.
"""

import matplotlib.pyplot as plt
import numpy as np

# Okabe-Ito, told apart with every common colour-vision deficiency (Chapters 1-6, 8, 10, 13, 14)
BLUE, VERMILLION, GREEN = "#0072B2", "#D55E00", "#009E73"
ORANGE, SKY_BLUE, PURPLE = "#E69F00", "#56B4E9", "#CC79A7"
UNREAD = "#f6e1ec"  # pale purple: the input cells that no window reads (Chapter 8)


def use_svg() -> None:
    """Show figures as SVG, sharp at any screen width (first cell of each chapter that draws)."""
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("svg")


def finish(ax, xlim, ylim) -> None:
    """Frame a drawing: these limits, equal scales, no axes (Chapters 1, 3-10)."""
    ax.set(xlim=xlim, ylim=ylim, aspect="equal")
    ax.axis("off")


def cell(ax, row, col, text="", face="white", *, edge="0.3", height=1, **style) -> None:
    """A square at row r (y from -r to -r + height: rows run down) and column c (x from c to
    c + 1), ``text`` centred; ``hatch``, ``lw``, ``alpha`` style the square, the rest the
    text (Chapters 3-5, 10; 7-9 through ``cells``). R x C cells fill
    ``finish(ax, (0, C), (1 - R, 1))``."""
    square = {key: style.pop(key) for key in ("hatch", "lw", "alpha") if key in style}
    ax.add_patch(plt.Rectangle((col, -row), 1, height, fc=face, ec=edge, **square))
    if text:
        ax.text(col + 0.5, -row + height / 2, text, ha="center", va="center", **style)


def cells(ax, values, faces="white", *, fmt=None, at=(0, 0), **style) -> None:
    """A ``cell`` per entry of ``values`` (1-D: one row) from (row, column) ``at``, showing
    ``fmt(entry)`` (``"{:g}".format`` by default); ``faces`` and each ``style`` keyword: one
    value, or one per entry (Chapters 7-9)."""
    values, style = np.asarray(values), {"face": faces, **style}
    for index in np.ndindex(values.shape):
        own = {key: _entry(value, index, values.shape) for key, value in style.items()}
        row, col = index if values.ndim == 2 else (0, *index)
        cell(ax, at[0] + row, at[1] + col, (fmt or "{:g}".format)(values[index]), **own)


def _entry(value, index, shape):
    """``value``, or its entry at ``index`` when it holds one per cell."""
    return np.asarray(value)[index] if np.shape(value)[: len(shape)] == shape else value


def outline(ax, row, col, rows, cols, colour, *, inset=0.0, lw=2.5) -> None:
    """An unfilled box around ``rows`` x ``cols`` cells from (row, col), ``inset`` inside
    their edges (Chapters 5, 8)."""
    corner, size = (col + inset, 1 - row - rows + inset), (cols - 2 * inset, rows - 2 * inset)
    ax.add_patch(plt.Rectangle(corner, *size, fill=False, ec=colour, lw=lw))
