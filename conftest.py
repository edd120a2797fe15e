"""Project-wide pytest set-up: doctests see ``np`` and ``cl``; matplotlib draws off-screen."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import convlab  # noqa: E402


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    doctest_namespace.update(np=np, cl=convlab)


@pytest.fixture(autouse=True)
def _close_new_figures():
    """Close the matplotlib figures a test or doctest opened (figures are never shown)."""
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    yield
    for num in set(plt.get_fignums()) - before:
        plt.close(num)
