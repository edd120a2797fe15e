"""The README's two commands and its quickstart stay true."""

import ast
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def _command(marker):
    block = re.search(rf"<!-- {marker} -->\s*```\s*\n(.*?)\n```\s*<!-- /{marker} -->", README, re.S)
    assert block, f"README has no {marker} block"
    return block.group(1).strip()


CPU_TORCH = ("{ .venv/bin/pip install --no-deps torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
             " || true; }")


def test_both_commands_share_one_install_step_that_pins_torch():
    setup, test = _command("setup-command"), _command("test-command")
    install = f"python3 -m venv .venv && {CPU_TORCH} && .venv/bin/pip install -c constraints.txt"
    assert setup.startswith(install) and test.startswith(install)
    assert setup.split(" && ")[0] == test.split(" && ")[0]
    constraints = (ROOT / "constraints.txt").read_text().split()
    assert "torch==2.13.0" in constraints and "torch==2.13.0" in CPU_TORCH
    assert test.endswith("python -m pytest")


def test_the_cpu_torch_step_takes_only_torch_from_pytorchs_index_and_may_fail():
    """Only torch comes from PyTorch's CPU index; when it is unreachable the command goes on."""
    step = _command("setup-command").split(" && ")[1]
    words = shlex.split(step.strip("{} ;").replace("||", " || "))
    assert words.count("--index-url") == 1 and "--extra-index-url" not in words
    assert "--no-deps" in words and words[-2:] == ["||", "true"]
    done = subprocess.run(["bash", "-c", step.replace(".venv/bin/pip", "false") + " && echo went-on"],
                          capture_output=True, text=True)
    assert done.stdout.strip() == "went-on"


def test_the_learner_install_has_no_test_extra_and_the_test_command_has():
    setup, test = _command("setup-command").split(" && "), _command("test-command").split(" && ")
    assert setup[2] == ".venv/bin/pip install -c constraints.txt -e ."
    assert test[2] == '.venv/bin/pip install -c constraints.txt -e ".[test]"'


def _pyproject():
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _name(requirement):
    return re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0).lower()


def test_runtime_dependencies_are_what_a_learner_needs_and_tests_live_in_the_extra():
    project = _pyproject()["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    extras = project["optional-dependencies"]
    for tool in ("pytest", "pytest-timeout", "hypothesis", "nbval", "playwright", "nbgrader", "build"):
        assert tool not in runtime
    assert {"pytest", "hypothesis", "nbval", "playwright", "build"} <= {_name(r) for r in extras["test"]}
    assert "convlab[instructor]" in extras["test"] and [_name(r) for r in extras["instructor"]] == ["nbgrader"]
    assert not any(_name(r) == "torch" for r in _pyproject()["build-system"]["requires"])


IMPORT_NAMES = {"sklearn": "scikit-learn", "IPython": "jupyterlab", "nbclient": "jupyterlab",
                "PIL": "matplotlib", "traitlets": "ipywidgets"}
"""Import name -> the declared distribution that provides it (IPython and nbclient come with
JupyterLab, Pillow with matplotlib, traitlets with ipywidgets)."""


def test_every_third_party_module_convlab_imports_is_declared():
    project = _pyproject()["project"]
    declared = {_name(r) for r in project["dependencies"]} | {"nbgrader"}  # [instructor]
    imported = set()
    for path in (ROOT / "convlab").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "convlab"}
    missing = {m for m in third_party if IMPORT_NAMES.get(m, m).lower() not in declared}
    assert not missing, f"imported but not declared in pyproject.toml: {sorted(missing)}"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # starts JupyterLab
def test_setup_command_copies_the_self_learner_edition_and_starts_jupyterlab_on_it(tmp_path):
    """Run the setup command's last two steps (from this environment, in an empty folder): the
    copy holds no solution, and the server answers for lesson 01."""
    *_, copy, last = _command("setup-command").split(" && ")
    copy, last = shlex.split(copy), shlex.split(last)
    assert copy[:4] == [".venv/bin/python", "-m", "convlab", "lessons"]
    assert last[0] == ".venv/bin/jupyter" and last[1] == "lab"
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run([sys.executable, *copy[1:]], cwd=work, check=True, capture_output=True)
    lesson = (work / last[-1] / "01_cross_correlation.ipynb").read_text()
    assert "### BEGIN SOLUTION" not in lesson
    port, token = _free_port(), "readme-test-token"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path), JUPYTER_TOKEN=token)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", *last[2:], "--no-browser", f"--port={port}", "--ip=127.0.0.1"],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/api/contents/01_cross_correlation.ipynb?content=0&token={token}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, "jupyter lab exited: the README setup command does not start"
                assert time.monotonic() < deadline, "jupyter lab did not answer within 60 s"
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_quickstart_runs_as_pasted():
    code = re.search(r"## Quickstart\s*```python\n(.*?)```", README, re.S).group(1)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "(2, 4, 5, 5)"


def test_the_learner_install_brings_no_test_tools():
    """The runtime requirements' closure, read from the installed packages' metadata
    (what `pip install .` would add), holds no test tool and no nbgrader."""
    from importlib import metadata

    from packaging.requirements import Requirement

    seen, todo = set(), [Requirement(r) for r in _pyproject()["project"]["dependencies"]]
    while todo:
        requirement = todo.pop()
        name = requirement.name.lower().replace("_", "-")
        if name in seen or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        try:
            todo += [Requirement(r) for r in metadata.requires(requirement.name) or ()]
        except metadata.PackageNotFoundError:
            pytest.fail(f"{requirement.name} (needed by the learner install) is not installed here")
    assert {"torch", "jupyterlab", "numpy", "nbformat"} <= seen
    assert not seen & {"pytest", "pytest-timeout", "hypothesis", "nbval", "playwright", "nbgrader", "build"}
