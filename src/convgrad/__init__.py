"""convgrad: convolution forward and backward in numpy, as derived in the book."""
