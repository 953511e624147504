"""The geometry of a convolution: output sizes, "same" padding, rows a stride never reads."""

import dataclasses

import numpy as np
import pytest

import convgrad


@pytest.mark.parametrize(
    "size, kernel, stride, padding, dilation, out_size",
    [
        (5, 3, 1, 0, 1, 3),
        (20, 3, 1, 0, 1, 18),  # Q4: 20 -> 18
        (32, 3, 1, 1, 1, 32),
        (64, 5, 2, 2, 1, 32),
        (10, 3, 3, 0, 1, 3),
        (9, 3, 1, 0, 2, 5),  # a dilated 3-tap window spans 5
        (7, 1, 2, 0, 1, 4),
    ],
)
def test_output_size_formula(size, kernel, stride, padding, dilation, out_size):
    # H_out = floor((H + 2p - d(K-1) - 1)/s) + 1
    assert (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1 == out_size
    shape = convgrad.output_shape(
        (2, 3, size), (4, 3, kernel), stride=stride, padding=padding, dilation=dilation
    )
    assert shape == (2, 4, out_size)


@pytest.mark.parametrize(
    "kernel, dilation, pairs",
    [
        (3, 1, (1, 1)),
        (2, 1, (0, 1)),  # even kernel: the extra zero goes at the end
        (4, 1, (1, 2)),
        (2, 3, (1, 2)),
        (3, 2, (2, 2)),
        (1, 1, (0, 0)),
    ],
)
def test_same_padding_keeps_the_size(kernel, dilation, pairs):
    geometry = convgrad.conv_geometry(
        (1, 1, 9, 8), (1, 1, kernel, kernel), padding="same", dilation=dilation
    )
    assert geometry.padding == (pairs, pairs)
    assert geometry.out_size == geometry.in_size == (9, 8)


def test_geometry_fields_per_dimension():
    geometry = convgrad.conv_geometry(
        (2, 6, 11, 9, 7),
        (4, 3, 3, 2, 1),
        stride=(2, 1, 3),
        padding=(1, (0, 2), 0),
        dilation=(1, 2, 1),
        groups=2,
    )
    assert geometry.ndim == 3
    assert geometry.kernel == (3, 2, 1)
    assert geometry.stride == (2, 1, 3)
    assert geometry.padding == ((1, 1), (0, 2), (0, 0))
    assert geometry.dilation == (1, 2, 1)
    assert geometry.in_size == (11, 9, 7)
    assert geometry.padded_size == (13, 11, 7)
    assert geometry.dilated_kernel == (3, 3, 1)
    assert geometry.out_size == (6, 9, 3)
    # dim 0: windows end at padded 12 = last row; dim 2: windows at 0, 3, 6 read all 7
    assert geometry.unread == (0, 0, 0)
    assert geometry.x_shape == (2, 6, 11, 9, 7)
    assert geometry.w_shape == (4, 3, 3, 2, 1)
    assert geometry.y_shape == (2, 4, 6, 9, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        geometry.stride = (1, 1, 1)


def test_unread_counts_trailing_rows_past_the_last_window():
    geometry = convgrad.conv_geometry((1, 1, 10, 11, 12), (1, 1, 3, 3, 3), stride=3)
    assert geometry.out_size == (3, 3, 4)
    assert geometry.unread == (1, 2, 0)


def test_unread_never_exceeds_the_input():
    # one sample, 3 zeros before it, stride 5: the only window reads padding zeros only
    geometry = convgrad.conv_geometry((1, 1, 1), (1, 1, 1), stride=5, padding=((3, 0),))
    assert geometry.out_size == (1,)
    assert geometry.unread == (1,)
    assert geometry.never_read() == ((0,),)


def test_asymmetric_padding_pairs_match_explicit_zeros(rng):
    x, w = rng.standard_normal((1, 2, 6, 5)), rng.standard_normal((3, 2, 2, 3))
    padded = convgrad.conv(x, w, padding=((0, 1), (2, 1)))
    x_zeros = np.pad(x, ((0, 0), (0, 0), (0, 1), (2, 1)))
    assert convgrad.relative_error(padded, convgrad.conv(x_zeros, w)) == 0.0


def test_never_read_lists_gaps_inside_and_between_windows():
    # stride 3 > kernel 2: rows 2, 5 between windows and the trailing row 8 are skipped
    geometry = convgrad.conv_geometry((1, 1, 9), (1, 1, 2), stride=3)
    assert geometry.never_read() == ((2, 5, 8),)
    assert geometry.unread == (1,)
    # stride 2 and dilation 2: the odd rows are never read
    geometry = convgrad.conv_geometry((1, 1, 7), (1, 1, 2), stride=2, dilation=2)
    assert geometry.never_read() == ((1, 3, 5),)
    assert geometry.unread == (0,)


def test_never_read_rows_get_exactly_zero_gradient(rng):
    x, w = rng.standard_normal((2, 2, 11, 9)), rng.standard_normal((3, 2, 2, 2))
    options = dict(stride=(3, 2), dilation=(1, 3), padding=(1, 0))
    geometry = convgrad.conv_geometry(x.shape, w.shape, **options)
    rows, cols = geometry.never_read()
    assert rows and cols
    grad_y = rng.standard_normal(geometry.y_shape)
    grad_x = convgrad.conv_backward(grad_y, x, w, **options).x
    assert np.all(grad_x[:, :, list(rows), :] == 0)
    assert np.all(grad_x[:, :, :, list(cols)] == 0)
    read_rows = [r for r in range(11) if r not in rows]
    read_cols = [c for c in range(9) if c not in cols]
    assert np.all(grad_x[:, :, read_rows][:, :, :, read_cols] != 0)
