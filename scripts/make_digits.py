"""Write notebooks/data/digits.npz, the handwritten digits Chapter 14 trains on.

Run once, with scikit-learn installed (it is not needed to read or build the book):

    python scripts/make_digits.py

The 1,797 images are scikit-learn's bundled copy of the test set of the UCI "Optical
Recognition of Handwritten Digits" data (E. Alpaydin and C. Kaynak, 1998), licensed
CC BY 4.0. Each image is 8x8 integer pixel counts 0..16; they are stored as uint8
with their labels, in scikit-learn's order, and a note saying where they come from.
tests/test_digits_data.py checks that the file still equals load_digits().
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "notebooks" / "data" / "digits.npz"

ABOUT = (
    "1,797 handwritten digits, 8x8 pixels with values 0..16, and their labels 0..9. "
    "Source: the test set of 'Optical Recognition of Handwritten Digits' by E. Alpaydin "
    "and C. Kaynak (1998), UCI Machine Learning Repository, https://doi.org/10.24432/C50P49, "
    "licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). "
    "Taken from the copy bundled with scikit-learn (sklearn.datasets.load_digits) "
    "by scripts/make_digits.py, unchanged apart from the integer type."
)


def main() -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    # the cast must lose nothing: pixels are whole numbers 0..16, labels 0..9
    assert np.array_equal(images, digits.images) and np.array_equal(labels, digits.target)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, images=images, labels=labels, about=np.array(ABOUT))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): images {images.shape}, labels {labels.shape}")


if __name__ == "__main__":
    main()
