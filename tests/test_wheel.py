"""The built wheel carries the lessons, and ``python -m convlab`` works from it.

The wheel is built from a copy of the source tree, installed (without its
dependencies) into a fresh virtual environment that borrows this environment's
site-packages through a ``.pth`` line (so torch is not installed twice), and its
commands run in a folder far from the source tree.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and installs the wheel

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                ".ipynb_checkpoints", ".hypothesis", ".pytest_cache", "student")


def _run(args, cwd, timeout=300, **env):
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=dict({k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, **env))
    assert done.returncode == 0, f"{args}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python of a fresh venv with the wheel installed, the wheel, a working folder, timings)."""
    pytest.importorskip("setuptools")
    tmp = tmp_path_factory.mktemp("wheel")
    timings = {}
    start = time.perf_counter()
    source = tmp / "src"
    shutil.copytree(ROOT, source, ignore=IGNORE)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", str(tmp / "dist"), str(source)], cwd=tmp)
    timings["build wheel"] = time.perf_counter() - start
    wheel = next((tmp / "dist").glob("convlab-*.whl"))

    start = time.perf_counter()
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=tmp).strip())
    # This environment's packages (torch, numpy, nbgrader, ...) after the venv's own.
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
          "-q", str(wheel)], cwd=tmp)
    timings["venv + install"] = time.perf_counter() - start
    far = tmp / "far" / "away"
    far.mkdir(parents=True)
    print("wheel test timings (s):", {k: round(v, 1) for k, v in timings.items()},
          f"wheel {wheel.stat().st_size / 1e6:.2f} MB")
    return python, wheel, far


def test_the_wheel_holds_the_lessons_but_not_the_writers_catalogue(installed):
    _, wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    lessons = sorted(n for n in names if n.startswith("convlab/lessons/") and n.endswith(".ipynb"))
    assert [Path(n).name for n in lessons] == sorted(p.name for p in (ROOT / "lessons").glob("[0-9][0-9]*_*.ipynb"))
    assert not any("EXERCISES" in n for n in names)
    assert "convlab/__main__.py" in names and "convlab/course/copies.py" in names
    # Data files of the package itself (the explorers' JavaScript and CSS, ...) ship too.
    data = [p.relative_to(ROOT).as_posix() for p in (ROOT / "convlab").rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert not [n for n in data if n not in names], "package data missing from the wheel"


def test_convlab_is_imported_from_the_installed_wheel(installed):
    python, _, far = installed
    location = _run([str(python), "-c", "import convlab; print(convlab.__file__)"], cwd=far).strip()
    assert Path(location).is_relative_to(python.parent.parent), location


def test_help_lists_what_the_package_offers(installed):
    python, _, far = installed
    out = _run([str(python), "-m", "convlab", "--help"], cwd=far)
    for command in ("lessons", "student", "course", "bench", "misconceptions", "latency"):
        assert command in out


def test_lessons_are_copied_and_an_edited_copy_is_kept(installed):
    python, _, far = installed
    out = _run([str(python), "-m", "convlab", "lessons"], cwd=far)
    dest = far / "convlab-lessons"
    copied = sorted(p.name for p in dest.glob("*.ipynb"))
    assert copied == sorted(p.name for p in (ROOT / "lessons").glob("[0-9][0-9]*_*.ipynb"))
    shipped = len(copied) + len(list((ROOT / "lessons").glob("*.md")))  # the notes beside the lessons too
    assert "jupyter lab convlab-lessons" in out and f"{shipped} written" in out
    edited = dest / copied[0]
    edited.write_text(edited.read_text().replace('"source": [', '"source": [\n    "My notes\\n",', 1))
    (dest / copied[1]).unlink()
    out = _run([str(python), "-m", "convlab", "lessons"], cwd=far)
    assert "1 written" in out and f"{shipped - 2} already up to date" in out and "1 kept" in out
    assert copied[0] in out.split("Kept your edited copies")[1]
    assert "My notes" in edited.read_text()
    assert set(copied) <= set(json.loads((dest / ".convlab-copies.json").read_text()))


def test_student_copies_come_from_the_wheel(installed):
    python, _, far = installed
    out = _run([str(python), "-m", "convlab", "student", "mine"], cwd=far)
    first = sorted((far / "mine").glob("01_*.ipynb"))[0].read_text()
    assert "BEGIN SOLUTION" not in first and "your solution goes here" in first
    assert "jupyter lab mine" in out


def test_a_course_directory_comes_from_the_wheel(installed):
    python, _, far = installed
    out = _run([str(python), "-m", "convlab", "course", "course"], cwd=far)
    assert (far / "course" / "nbgrader_config.py").is_file()
    sources = sorted(p.name for p in (far / "course" / "source").glob("*/*.ipynb"))
    assert sources == sorted(p.name for p in (ROOT / "lessons").glob("[0-9][0-9]*_*.ipynb"))
    assert all(f"{Path(name).stem}: " in out for name in sources) and "autograded cells" in out
