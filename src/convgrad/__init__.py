"""convgrad: convolution forward and backward in numpy, as derived in the book.

``conv`` and ``conv_backward`` are the fast path (module ``fast_path``), ``conv_transpose``
and its backward a view of them; ``reference`` holds the same functions as plain loops, the truth
they are tested against.

Each name is imported from its module at first use, numpy with it: ``convgrad.symbolic``
needs sympy alone, so that its checker also runs in the browser (Chapter 13).
"""

import importlib

#: each public name -> the module that defines it
_MODULES = {
    "conv": "fast_path",
    "conv_backward": "fast_path",
    "conv_transpose": "fast_path",
    "conv_transpose_backward": "fast_path",
    "backward_kernel": "fast_path",
    "Gradients": "gradients",
    "output_shape": "geometry",
    "conv_geometry": "geometry",
    "ConvGeometry": "geometry",
    "conv_transpose_geometry": "geometry",
    "TransposeGeometry": "geometry",
    "grad_x_as_conv_transpose": "identities",
    "grad_w_as_conv": "identities",
    "im2col": "unfold",
    "col2im": "unfold",
    "im2col_conv": "im2col_layer",
    "im2col_conv_backward": "im2col_layer",
    "numerical_gradient": "finite_differences",
    "central_differences": "finite_differences",
    "default_eps": "finite_differences",
    "gradcheck": "finite_differences",
    "relative_error": "finite_differences",
    "reference": None,  # the module itself
}
__all__ = list(_MODULES)


def __getattr__(name: str):
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f".{_MODULES[name] or name}", __name__)
    value = getattr(module, name) if _MODULES[name] else module
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
