"""The package list, which pyproject.toml cannot express: every convlab package found
on disk plus ``convlab.lessons``, the repository's ``lessons/`` folder shipped as data."""

from setuptools import find_packages, setup

setup(packages=find_packages(include=["convlab", "convlab.*"]) + ["convlab.lessons"])
