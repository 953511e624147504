"""Interactive figures for the book, built on anywidget.

Python computes everything a figure shows with convgrad and sends it as plain
lists; one small ES module per widget draws it in SVG and reacts to the reader.
The figures therefore work in the static HTML book as well as in JupyterLab.
"""

from .channel_gradient import ChannelGradient
from .check_form import CheckForm, check_form
from .im2col_view import Im2col
from .input_gradient import InputGradient
from .sliding_window import SlidingWindow
from .stride_gradient import StrideGradient
from .training import TrainingWatch
from .transposed_conv import TransposedConv
from .weight_gradient import WeightGradient

__all__ = [
    "SlidingWindow",
    "WeightGradient",
    "InputGradient",
    "ChannelGradient",
    "StrideGradient",
    "TransposedConv",
    "TrainingWatch",
    "Im2col",
    "CheckForm",
    "check_form",
]
