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


def pytest_collection_modifyitems(items):
    """The quick tier (``pytest -m "not slow"``) leaves out the lessons under nbval and the
    browser; test modules that start kernels, servers or builds mark themselves ``slow``."""
    for item in items:
        if item.path.suffix == ".ipynb" or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)
