"""Chapter 14's data file: still scikit-learn's digits, with its provenance.

notebooks/data/digits.npz is written once by scripts/make_digits.py so that the book needs no
scikit-learn. This test (scikit-learn is a test-only requirement) checks that the file still
holds exactly what sklearn.datasets.load_digits() returns.
"""

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "notebooks" / "data" / "digits.npz"


@pytest.fixture(scope="module")
def sklearn_digits(required):
    why = "scikit-learn (requirements-test.txt) is needed to check the digits file"
    return required("sklearn.datasets", why).load_digits()


def stored():
    with np.load(DATA, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def test_the_file_is_small_and_says_where_it_comes_from():
    assert DATA.stat().st_size < 100_000
    data = stored()
    assert set(data) == {"images", "labels", "about"}
    about = str(data["about"])
    for fact in ("Alpaydin", "Kaynak", "UCI", "10.24432/C50P49", "CC BY 4.0", "scikit-learn"):
        assert fact in about, f"the provenance note does not mention {fact}"
    assert data["images"].shape == (1797, 8, 8) and data["images"].dtype == np.uint8
    assert data["labels"].shape == (1797,) and data["labels"].dtype == np.uint8
    assert data["images"].max() == 16 and set(np.unique(data["labels"])) == set(range(10))


def test_the_file_equals_scikit_learns_digits(sklearn_digits):
    data = stored()
    np.testing.assert_array_equal(data["images"].astype(np.float64), sklearn_digits.images)
    np.testing.assert_array_equal(data["labels"].astype(np.int64), sklearn_digits.target)
