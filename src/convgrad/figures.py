"""The book's figures: one palette, grids of cells, and the framing every drawing shares.

The chapters' saved plotting helpers, as in d2l: a figure cell draws what its chapter
teaches (which cells a window covers, where a gradient goes) and calls these for the rest.
The one module of convgrad that imports matplotlib; ``import convgrad`` never loads it.
"""

import matplotlib.pyplot as plt
import numpy as np

# The Okabe-Ito palette, told apart with every common colour-vision deficiency
BLUE, VERMILLION, GREEN = "#0072B2", "#D55E00", "#009E73"
ORANGE, SKY_BLUE, PURPLE = "#E69F00", "#56B4E9", "#CC79A7"
#: a pale purple for the input cells that no window reads (Chapter 8)
UNREAD = "#f6e1ec"


def use_svg() -> None:
    """Show figures as SVG, sharp at any screen width (the first cell of every chapter)."""
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("svg")


def finish(ax, xlim, ylim) -> None:
    """Frame a drawing: these limits, equal scales, no axes (Chapters 1, 3-10)."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")


def cell(ax, row, col, text="", face="white", *, edge="0.3", height=1, **style) -> None:
    """One square of a grid drawn downwards, its ``text`` centred (Chapters 3-10).

    Row r spans y from -r to -r + height, column c spans x from c to c + 1, so a grid of
    R rows and C columns fills ``finish(ax, (0, C), (1 - R, 1))``. ``hatch``, ``lw`` and
    ``alpha`` in ``style`` style the square, the rest the text.
    """
    square = {key: style.pop(key) for key in ("hatch", "lw", "alpha") if key in style}
    ax.add_patch(plt.Rectangle((col, -row), 1, height, fc=face, ec=edge, **square))
    if text:
        ax.text(col + 0.5, -row + height / 2, text, ha="center", va="center", **style)


def cells(ax, values, faces="white", *, fmt="{:g}".format, at=(0, 0), **style) -> None:
    """A ``cell`` for each entry of ``values`` (a 1-D array is one row), written by
    ``fmt``, the first at (row, column) ``at`` (Chapters 7-9).

    ``faces`` and each keyword in ``style`` is one value for every cell or an array of one
    value per entry of ``values``.
    """
    values = np.asarray(values)
    for index in np.ndindex(values.shape):
        row, col = index if values.ndim == 2 else (0, *index)
        own = {key: _entry(value, index, values.shape) for key, value in style.items()}
        face = _entry(faces, index, values.shape)
        cell(ax, at[0] + row, at[1] + col, fmt(values[index]), face, **own)


def _entry(value, index, shape):
    """``value``, or its entry at ``index`` when it holds one value per cell."""
    if np.shape(value)[: len(shape)] != shape:
        return value
    for i in index:
        value = value[i]
    return value


def outline(ax, row, col, rows, cols, colour, *, inset=0.0, lw=2.5) -> None:
    """An unfilled box around ``rows`` x ``cols`` cells of a ``cell`` grid, from (row, col),
    ``inset`` inside their edges (Chapters 5, 8)."""
    corner = (col + inset, 1 - row - rows + inset)
    size = (cols - 2 * inset, rows - 2 * inset)
    ax.add_patch(plt.Rectangle(corner, *size, fill=False, ec=colour, lw=lw))
