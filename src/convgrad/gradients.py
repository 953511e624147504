"""The result of every backward function: the three gradients of a convolution, by name."""

from collections import namedtuple

Gradients = namedtuple("Gradients", ["x", "w", "b"])
Gradients.__doc__ = "The three gradients of a convolution: dL/dx, dL/dw and dL/db (Chapter 7)."
Gradients.x.__doc__ = "dL/dx, the shape of the layer's input x."
Gradients.w.__doc__ = "dL/dw, the shape of the layer's weight w."
Gradients.b.__doc__ = "dL/db, one entry per output channel (always returned, bias or not)."
