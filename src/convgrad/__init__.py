"""convgrad: convolution forward and backward in numpy, as derived in the book.

``conv`` and ``conv_backward`` are the fast path; ``reference`` holds the same
functions as plain loops, the truth they are tested against.
"""

from . import reference
from .conv import Gradients, conv, conv_backward
from .geometry import ConvGeometry, conv_geometry, output_shape
from .gradcheck import default_eps, gradcheck, numerical_gradient, relative_error
from .im2col import col2im, im2col
from .im2col_layer import im2col_conv, im2col_conv_backward

__all__ = [
    "conv",
    "conv_backward",
    "Gradients",
    "output_shape",
    "conv_geometry",
    "ConvGeometry",
    "im2col",
    "col2im",
    "im2col_conv",
    "im2col_conv_backward",
    "numerical_gradient",
    "default_eps",
    "gradcheck",
    "relative_error",
    "reference",
]
