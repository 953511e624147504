"""convgrad: convolution forward and backward in numpy, as derived in the book.

``conv`` and ``conv_backward`` are the fast path, ``conv_transpose`` and its backward
a view of them; ``reference`` holds the same functions as plain loops, the truth
they are tested against.
"""

from . import reference
from .conv import conv, conv_backward, conv_transpose, conv_transpose_backward
from .geometry import (
    ConvGeometry,
    TransposeGeometry,
    conv_geometry,
    conv_transpose_geometry,
    output_shape,
)
from .gradcheck import default_eps, gradcheck, numerical_gradient, relative_error
from .gradients import Gradients
from .identities import grad_w_as_conv, grad_x_as_conv_transpose
from .im2col import col2im, im2col
from .im2col_layer import im2col_conv, im2col_conv_backward

__all__ = [
    "conv",
    "conv_backward",
    "conv_transpose",
    "conv_transpose_backward",
    "Gradients",
    "output_shape",
    "conv_geometry",
    "ConvGeometry",
    "conv_transpose_geometry",
    "TransposeGeometry",
    "grad_x_as_conv_transpose",
    "grad_w_as_conv",
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
