"""Bad input: every malformed call raises ValueError/TypeError naming the shapes and the rule."""

import numpy as np
import pytest

import convgrad
from convgrad import reference


def arr(*shape, dtype=np.float64):
    return np.ones(shape, dtype=dtype)


X2, W2 = arr(1, 3, 5, 5), arr(4, 3, 3, 3)

# (id, function, args, kwargs, exception type, fragments the message must contain)
BAD_CALLS = [
    # wrong number of axes
    ("x_2d", convgrad.conv, (arr(5, 5), W2), {}, ValueError, ["(5, 5)", "(N, C, H, W_in)"]),
    ("x_6d", convgrad.conv, (arr(1, 1, 2, 2, 2, 2), W2), {}, ValueError, ["6 axes"]),
    ("w_ndim", convgrad.conv, (X2, arr(4, 3, 3)), {}, ValueError, ["(4, 3, 3)", "4 axes like x"]),
    # channels and groups
    (
        "channels",
        convgrad.conv,
        (X2, arr(4, 2, 3, 3)),
        {},
        ValueError,
        ["w has 2 input channels per group but x has 3 channels (groups=1)"],
    ),
    (
        "groups_channels",
        convgrad.conv,
        (arr(1, 4, 5, 5), arr(4, 2, 3, 3)),
        {"groups": 3},
        ValueError,
        ["groups=3 does not divide the 4 channels"],
    ),
    (
        "groups_filters",
        convgrad.conv,
        (arr(1, 4, 5, 5), arr(3, 2, 3, 3)),
        {"groups": 2},
        ValueError,
        ["groups=2 does not divide the 3 filters"],
    ),
    (
        "depthwise_mismatch",
        convgrad.conv,
        (arr(1, 4, 5, 5), arr(4, 4, 3, 3)),
        {"groups": 4},
        ValueError,
        ["w has 4 input channels per group", "groups=4", "C // groups = 1"],
    ),
    # stride, dilation, groups: positive ints only
    ("stride_zero", convgrad.conv, (X2, W2), {"stride": 0}, ValueError, ["stride", "positive"]),
    ("stride_negative", convgrad.conv, (X2, W2), {"stride": -1}, ValueError, ["got -1"]),
    ("stride_float", convgrad.conv, (X2, W2), {"stride": 1.5}, TypeError, ["stride", "1.5"]),
    ("stride_bool", convgrad.conv, (X2, W2), {"stride": True}, TypeError, ["stride", "bool"]),
    ("stride_entry", convgrad.conv, (X2, W2), {"stride": (1, 0)}, ValueError, ["stride[1]"]),
    ("dilation_zero", convgrad.conv, (X2, W2), {"dilation": 0}, ValueError, ["dilation"]),
    ("dilation_float", convgrad.conv, (X2, W2), {"dilation": 2.0}, TypeError, ["dilation"]),
    ("groups_zero", convgrad.conv, (X2, W2), {"groups": 0}, ValueError, ["groups", "positive"]),
    ("groups_float", convgrad.conv, (X2, W2), {"groups": 1.0}, TypeError, ["groups", "int"]),
    ("groups_bool", convgrad.conv, (X2, W2), {"groups": True}, TypeError, ["groups", "bool"]),
    # input_dilation: a positive int, or one per spatial dimension
    (
        "input_dilation_zero",
        convgrad.conv,
        (X2, W2),
        {"input_dilation": 0},
        ValueError,
        ["input_dilation must be positive", "got 0"],
    ),
    (
        "input_dilation_entry",
        convgrad.conv_backward,
        (arr(1, 4, 3, 3), X2, W2),
        {"input_dilation": (2, -1)},
        ValueError,
        ["input_dilation[1]", "got -1"],
    ),
    ("input_dilation_float", convgrad.conv, (X2, W2), {"input_dilation": 2.0}, TypeError, ["2.0"]),
    (
        "input_dilation_length",
        convgrad.conv,
        (X2, W2),
        {"input_dilation": (2, 2, 2)},
        ValueError,
        ["input_dilation=(2, 2, 2) has 3 entries", "2 spatial dimension(s)"],
    ),
    (
        "input_dilation_kernel_too_big",
        convgrad.conv,
        (arr(1, 3, 2, 5), arr(4, 3, 5, 3)),
        {"input_dilation": (2, 1), "dilation": (2, 1)},
        ValueError,
        ["dimension 0", "2*(5-1)+1 = 9", "input_dilation*(H-1)+1 = 2*(2-1)+1+0+0 = 3"],
    ),
    (
        "input_dilation_grad_y",
        reference.conv_backward,
        (arr(1, 4, 3, 3), X2, W2),
        {"input_dilation": 2},
        ValueError,
        ["(1, 4, 7, 7)", "input_dilation=(2, 2)"],
    ),
    # padding
    ("padding_negative", convgrad.conv, (X2, W2), {"padding": -1}, ValueError, ["non-negative"]),
    ("padding_entry", convgrad.conv, (X2, W2), {"padding": (1, -2)}, ValueError, ["padding[1]"]),
    ("padding_string", convgrad.conv, (X2, W2), {"padding": "full"}, ValueError, ["'full'"]),
    ("padding_float", convgrad.conv, (X2, W2), {"padding": 0.5}, TypeError, ["padding", "0.5"]),
    (
        "same_strided",
        convgrad.conv,
        (X2, W2),
        {"padding": "same", "stride": 2},
        ValueError,
        ['padding="same" needs stride 1', "(2, 2)"],
    ),
    # per-dimension tuples of the wrong length
    (
        "stride_length",
        convgrad.conv,
        (X2, W2),
        {"stride": (1, 1, 1)},
        ValueError,
        ["stride=(1, 1, 1) has 3 entries", "2 spatial dimension(s)"],
    ),
    ("padding_length", convgrad.conv, (X2, W2), {"padding": (1,)}, ValueError, ["1 entries"]),
    ("dilation_length", convgrad.conv, (X2, W2), {"dilation": [1, 2, 1]}, ValueError, ["3"]),
    # empty output
    (
        "kernel_too_big",
        convgrad.conv,
        (arr(1, 3, 2, 5), W2),
        {},
        ValueError,
        ["larger than the padded input", "dimension 0", "empty"],
    ),
    (
        "dilated_kernel_too_big",
        convgrad.conv,
        (X2, W2),
        {"dilation": (1, 3)},
        ValueError,
        ["3*(3-1)+1 = 7", "5+0+0 = 5"],
    ),
    ("zero_axis", convgrad.conv, (arr(0, 3, 5, 5), W2), {}, ValueError, ["(0, 3, 5, 5)"]),
    # bias
    (
        "bias_shape",
        convgrad.conv,
        (X2, W2, arr(3)),
        {},
        ValueError,
        ["b has shape (3,)", "4 filters", "(4,)"],
    ),
    ("bias_2d", convgrad.conv, (X2, W2, arr(4, 1)), {}, ValueError, ["(4, 1)"]),
    # grad_y must have the forward output's shape
    (
        "grad_y_shape",
        convgrad.conv_backward,
        (arr(1, 4, 4, 4), X2, W2),
        {},
        ValueError,
        ["grad_y has shape (1, 4, 4, 4)", "(1, 4, 3, 3)"],
    ),
    (
        "grad_y_strided_shape",
        convgrad.conv_backward,
        (arr(1, 4, 3, 3), X2, W2),
        {"stride": 2},
        ValueError,
        ["(1, 4, 2, 2)"],
    ),
    # dtypes: real float32/float64 only, one dtype per call
    ("x_int", convgrad.conv, (np.ones((1, 3, 5, 5), int), W2), {}, TypeError, ["int64", "float32"]),
    ("w_complex", convgrad.conv, (X2, W2.astype(complex)), {}, TypeError, ["complex128"]),
    ("x_object", convgrad.conv, (X2.astype(object), W2), {}, TypeError, ["object"]),
    ("x_float16", convgrad.conv, (X2.astype(np.float16), W2), {}, TypeError, ["float16"]),
    ("x_bool", convgrad.conv, (X2.astype(bool), W2), {}, TypeError, ["bool"]),
    ("x_none", convgrad.conv, (None, W2), {}, TypeError, ["x has dtype object"]),
    (
        "mixed",
        convgrad.conv,
        (X2.astype(np.float32), W2),
        {},
        TypeError,
        ["x is float32", "w is float64"],
    ),
    (
        "mixed_grad_y",
        convgrad.conv_backward,
        (arr(1, 4, 3, 3, dtype=np.float32), X2, W2),
        {},
        TypeError,
        ["grad_y is float32"],
    ),
    # conv_transpose: w is (C_in, C_out // groups, *kernel), PyTorch's rules
    (
        "transpose_channels",
        convgrad.conv_transpose,
        (arr(1, 3, 4, 4), arr(4, 3, 3, 3)),
        {},
        ValueError,
        ["w has 4 input channels but x has 3", "(C_in, C_out // groups, *kernel)"],
    ),
    (
        "transpose_forward_layout",
        convgrad.conv_transpose,
        (arr(1, 4, 4, 4), arr(2, 4, 3, 3)),
        {},
        ValueError,
        ["w has 2 input channels but x has 4", "w.shape[0] must be x's C_in = 4"],
    ),
    (
        "transpose_groups",
        convgrad.conv_transpose,
        (arr(1, 3, 4, 4), arr(3, 1, 3, 3)),
        {"groups": 2},
        ValueError,
        ["groups=2 does not divide the 3 channels of x"],
    ),
    (
        "transpose_output_padding",
        convgrad.conv_transpose,
        (arr(1, 3, 4, 4), arr(3, 2, 3, 3)),
        {"stride": 2, "output_padding": 2},
        ValueError,
        ["output_padding=2", "max(stride, dilation) = max(2, 1) = 2"],
    ),
    (
        "transpose_output_padding_stride_one",
        convgrad.conv_transpose,
        (arr(1, 3, 4), arr(3, 2, 3)),
        {"output_padding": 1},
        ValueError,
        ["max(1, 1) = 1"],
    ),
    (
        "transpose_output_padding_entry",
        convgrad.conv_transpose,
        (arr(1, 3, 4, 4), arr(3, 2, 3, 3)),
        {"stride": 2, "output_padding": (1, -1)},
        ValueError,
        ["output_padding[1]", "non-negative"],
    ),
    (
        "transpose_padding_same",
        convgrad.conv_transpose,
        (arr(1, 3, 4, 4), arr(3, 2, 3, 3)),
        {"padding": "same"},
        TypeError,
        ["'same'", "an int or a tuple of 2 ints"],
    ),
    (
        "transpose_padding_pair",
        convgrad.conv_transpose,
        (arr(1, 3, 4, 4), arr(3, 2, 3, 3)),
        {"padding": ((1, 2), 0)},
        TypeError,
        ["padding[0] must be an int", "(1, 2)"],
    ),
    (
        "transpose_empty",
        convgrad.conv_transpose,
        (arr(1, 3, 2), arr(3, 2, 2)),
        {"padding": 2},
        ValueError,
        ["(2-1)*1 - 2*2 + 1*(2-1) + 0 + 1 = -1", "empty"],
    ),
    (
        "transpose_stride",
        convgrad.conv_transpose,
        (arr(1, 3, 4, 4), arr(3, 2, 3, 3)),
        {"stride": 0},
        ValueError,
        ["stride must be positive"],
    ),
    (
        "transpose_ndim",
        convgrad.conv_transpose,
        (arr(1, 3, 4, 4), arr(3, 2, 3)),
        {},
        ValueError,
        ["(3, 2, 3)", "(C_in, C_out // groups, *kernel)"],
    ),
    (
        "transpose_bias",
        convgrad.conv_transpose,
        (arr(1, 4, 4, 4), arr(4, 3, 3, 3), arr(3)),
        {"groups": 2},
        ValueError,
        ["b has shape (3,)", "6 output channels", "(6,)"],
    ),
    (
        "transpose_grad_y",
        convgrad.conv_transpose_backward,
        (arr(1, 2, 6, 6), arr(1, 3, 4, 4), arr(3, 2, 3, 3)),
        {"stride": 2, "padding": 1, "output_padding": 1},
        ValueError,
        ["grad_y has shape (1, 2, 6, 6)", "(1, 2, 8, 8)", "output_padding=(1, 1)"],
    ),
    (
        "transpose_mixed",
        convgrad.conv_transpose,
        (arr(1, 3, 4), arr(3, 2, 3, dtype=np.float32)),
        {},
        TypeError,
        ["x is float64", "w is float32"],
    ),
    (
        "transpose_reference",
        reference.conv_transpose,
        (arr(1, 3, 4, 4), arr(3, 2, 3, 3)),
        {"stride": 3, "output_padding": 3},
        ValueError,
        ["output_padding=3"],
    ),
    (
        "transpose_geometry",
        convgrad.conv_transpose_geometry,
        ((1, 3, 4), (3, 2, 3)),
        {"dilation": 2, "output_padding": 2},
        ValueError,
        ["max(1, 2) = 2"],
    ),
    # the identities check their arguments like conv_backward
    (
        "identity_grad_x_grad_y",
        convgrad.grad_x_as_conv_transpose,
        (arr(1, 4, 4, 4), (1, 3, 5, 5), W2),
        {},
        ValueError,
        ["grad_y has shape (1, 4, 4, 4)", "(1, 4, 3, 3)"],
    ),
    (
        "identity_grad_x_shape",
        convgrad.grad_x_as_conv_transpose,
        (arr(1, 4, 3, 3), (1, 2, 5, 5), W2),
        {},
        ValueError,
        ["w has 3 input channels per group but x has 2 channels"],
    ),
    (
        "identity_grad_w_shape",
        convgrad.grad_w_as_conv,
        (arr(1, 4, 3, 3), X2, (4, 2, 3, 3)),
        {},
        ValueError,
        ["w has 2 input channels per group but x has 3 channels"],
    ),
    (
        "identity_grad_w_mixed",
        convgrad.grad_w_as_conv,
        (arr(1, 4, 3, 3, dtype=np.float32), X2, (4, 3, 3, 3)),
        {},
        TypeError,
        ["grad_y is float32"],
    ),
    # the same checks guard the other entry points
    ("shape_helper", convgrad.output_shape, ((1, 3, 5, 5), (4, 2, 3, 3)), {}, ValueError, ["2"]),
    (
        "geometry_shapes",
        convgrad.conv_geometry,
        ((1, 3, 5.0, 5), (4, 3, 3, 3)),
        {},
        TypeError,
        ["tuple of ints"],
    ),
    ("reference", reference.conv, (X2, W2), {"stride": 0}, ValueError, ["stride"]),
    (
        "reference_backward",
        reference.conv_backward,
        (arr(1, 4, 2, 2), X2, W2),
        {},
        ValueError,
        ["grad_y has shape"],
    ),
    ("im2col_kernel", convgrad.im2col, (X2, 0), {}, ValueError, ["kernel", "positive"]),
    ("im2col_ndim", convgrad.im2col, (arr(3, 5), 2), {}, ValueError, ["(3, 5)"]),
    (
        "col2im_shape",
        convgrad.col2im,
        (arr(1, 27, 8), (1, 3, 5, 5), 3),
        {},
        ValueError,
        ["(1, 27, 8)", "(1, 27, 9)"],
    ),
]


@pytest.mark.parametrize(
    "function, args, kwargs, error, fragments",
    [case[1:] for case in BAD_CALLS],
    ids=[case[0] for case in BAD_CALLS],
)
def test_bad_input_is_refused_with_a_clear_message(function, args, kwargs, error, fragments):
    with pytest.raises(error) as raised:
        function(*args, **kwargs)
    assert type(raised.value) is error  # exactly the type promised, not a subclass
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_accepted_dtypes_are_named():
    with pytest.raises(TypeError, match="float32 or float64"):
        convgrad.conv(np.ones((1, 1, 3), dtype=np.int32), np.ones((1, 1, 2), dtype=np.int32))


def test_numpy_integers_are_accepted_as_sizes():
    # np.int64 from shape arithmetic is an int; only bool is refused
    y = convgrad.conv(X2, W2, stride=np.int64(2), padding=np.int32(1), groups=np.int64(1))
    assert y.shape == (1, 4, 3, 3)


def test_a_cached_geometry_does_not_let_bad_arguments_through():
    # check_call caches the geometry of plain arguments; True == 1 and hash(True) == hash(1),
    # so a call with stride=1 must not make stride=True look valid
    x, w = np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3))
    convgrad.conv(x, w, stride=1, groups=1)
    with pytest.raises(TypeError, match="stride"):
        convgrad.conv(x, w, stride=True)
    with pytest.raises(TypeError, match="groups"):
        convgrad.conv_backward(np.zeros((1, 1, 3, 3)), x, w, groups=True)
    with pytest.raises(ValueError, match="padding"):  # errors are raised on every call
        convgrad.conv(x, w, padding=-1)
    with pytest.raises(ValueError, match="padding"):
        convgrad.conv(x, w, padding=-1)
