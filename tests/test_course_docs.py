"""docs/COURSE.md and docs/CHEATSHEET.md point at things that exist: every lesson they link,
every checker they name, and COURSE.md lists every lesson with a time."""

import re
from pathlib import Path

import pytest

from convlab import exercises as ex

ROOT = Path(__file__).parent.parent
DOCS = [ROOT / "docs" / "COURSE.md", ROOT / "docs" / "CHEATSHEET.md"]
LESSONS = sorted(p.name for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_linked_lesson_exists(doc):
    linked = set(re.findall(r"\.\./lessons/([0-9]{2}_\w+\.ipynb)", doc.read_text()))
    assert linked and linked <= set(LESSONS), sorted(linked - set(LESSONS))


def test_every_named_checker_exists():
    named = set(re.findall(r"`(check_\w+)`", (ROOT / "docs" / "CHEATSHEET.md").read_text()))
    missing = sorted(name for name in named if not callable(getattr(ex, name, None)))
    assert named and not missing, f"the cheat sheet names checkers convlab.exercises lacks: {missing}"


def test_the_course_map_times_every_lesson():
    rows = re.findall(r"^\| (\d\d) \|.*\| (\d+) min \|$", (DOCS[0]).read_text(), re.M)
    assert {f"{n}_" for n, _ in rows} >= {name[:3] for name in LESSONS}
