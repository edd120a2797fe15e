"""Questions: the right answer passes, each wrong answer gets its own explanation,
an unanswered question is "not implemented yet", and nothing an answer function
does (raise, hang, return junk) crashes the grading."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convlab.exercises import CheckResult
from convlab.exercises.grading import questions as qs
from convlab.course.student import strip_solutions

ROOT = Path(__file__).resolve().parents[1]

CHOICE = qs.multiple_choice(
    "t_choice", "Which is true?", choices={"a": "one", "b": "two", "c": "three"}, correct="b",
    explain={"a": "why a is wrong", "c": "why c is wrong"}, register=False)
VALUE = qs.predict_value("t_value", "How many?", correct=27, wrong={9: "per channel only",
                                                                     qs.INVALID: "it is valid"},
                         hint="count again", register=False)
SHAPE = qs.predict_shape("t_shape", "Which shape?", correct=(1, 2, 3),
                         wrong={(1, 3, 2): "H and W swapped"}, register=False)
NO_FIT = qs.predict_shape("t_nofit", "Which shape?", correct=qs.INVALID,
                          wrong={(1, 1, 0, 0): "a size of 0 is no output"}, register=False)


def answer(value):
    return lambda: value


def test_the_right_choice_passes_and_is_a_check_result():
    result = qs.ask(CHOICE, answer("b"))
    assert isinstance(result, CheckResult) and result and result.text == "t_choice: right."
    assert result.assert_passed() is None


@pytest.mark.parametrize("letter", ["a", "c"])
def test_each_wrong_choice_gets_its_own_explanation(letter):
    result = qs.ask(CHOICE, answer(letter))
    assert not result and result.status == "failed"
    assert f"why {letter} is wrong" in result.text
    other = "c" if letter == "a" else "a"
    assert f"why {other} is wrong" not in result.text
    with pytest.raises(AssertionError, match=f"why {letter} is wrong"):
        result.assert_passed()


@pytest.mark.parametrize("spelling", ["B", " b ", "(b)"])
def test_a_choice_may_be_written_loosely(spelling):
    assert qs.ask(CHOICE, answer(spelling))


def test_not_implemented_is_reported_as_such():
    def unanswered():
        raise NotImplementedError("your solution goes here")
    result = qs.ask(CHOICE, unanswered)
    assert result.status == "not implemented" and "not implemented yet" in result.text
    assert "failed" not in result.text and "passed" not in result.text


def test_a_student_copy_of_an_answer_function_is_not_implemented():
    source = 'def answer():\n    ### BEGIN SOLUTION\n    return "b"\n    ### END SOLUTION'
    namespace = {}
    exec(strip_solutions(source), namespace)
    assert qs.ask(CHOICE, namespace["answer"]).status == "not implemented"


@pytest.mark.parametrize("given, reason", [
    ("z", "not a choice"), (2, "not a choice"), (None, "not a choice"), (["b"], "not a choice")])
def test_something_that_is_not_a_choice_says_what_to_return(given, reason):
    result = qs.ask(CHOICE, answer(given))
    assert not result and result.reason == reason and "return the letter" in result.text


def test_an_answer_function_that_raises_or_hangs_does_not_crash_grading():
    def broken():
        raise KeyError("oops")
    assert qs.ask(CHOICE, broken).reason == "raised"

    def hangs():
        while True:
            pass
    assert qs.ask(CHOICE, hangs, time_limit=0.3).reason == "too slow"


def test_an_answer_that_fools_equality_is_not_a_choice():
    class Always:
        def __eq__(self, other):
            return True
        __hash__ = object.__hash__
    assert not qs.ask(CHOICE, answer(Always()))
    assert not qs.expect_value(VALUE, answer(Always()))


def test_values_right_wrong_with_reason_other_and_invalid():
    assert qs.expect_value(VALUE, answer(27)) and qs.expect_value(VALUE, answer(27.0))
    assert qs.expect_value(VALUE, answer(np.int64(27)))
    assert "per channel only" in qs.expect_value(VALUE, answer(9)).text
    assert "count again" in qs.expect_value(VALUE, answer(26)).text
    assert "it is valid" in qs.expect_value(VALUE, answer("invalid")).text
    for junk in (True, "27", float("nan"), [27]):
        assert qs.expect_value(VALUE, answer(junk)).reason == "not a number"


def test_a_tolerance_accepts_close_values():
    q = qs.predict_value("t_tol", "?", correct=0.5, tolerance=0.01, register=False)
    assert qs.expect_value(q, answer(0.505)) and not qs.expect_value(q, answer(0.52))


def test_shapes_and_invalid_settings():
    assert qs.expect_shape(SHAPE, answer((1, 2, 3))) and qs.expect_shape(SHAPE, answer([1, 2, 3]))
    assert "H and W swapped" in qs.expect_shape(SHAPE, answer((1, 3, 2))).text
    assert "this setting is valid" in qs.expect_shape(SHAPE, answer("invalid")).text
    assert qs.expect_shape(SHAPE, answer((1, 2.0, 3))).reason == "not a shape"
    assert qs.expect_shape(NO_FIT, answer("Invalid"))
    assert "a size of 0 is no output" in qs.expect_shape(NO_FIT, answer((1, 1, 0, 0))).text
    assert "no valid output" in qs.expect_shape(NO_FIT, answer((1, 1, 1, 1))).text


def test_inline_questions_need_no_registration():
    assert qs.ask("inline", answer("a"), choices={"a": "x", "b": "y"}, correct="a",
                  explain={"b": "y is wrong"})
    assert qs.expect_value("inline_v", answer(3), correct=3)
    assert qs.expect_shape("inline_s", answer((2, 2)), correct=(2, 2))
    assert "inline" not in qs.QUESTIONS


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(choices={"a": "x", "b": "y"}, correct="c", explain={"a": "no"}), ValueError, "correct"),
    (dict(choices={"a": "x", "b": "y"}, correct="a", explain={}), ValueError, "every wrong"),
    (dict(choices={"a": "x"}, correct="a", explain={}), TypeError, "choices"),
    (dict(choices={"a": "x", "b": "y"}, correct="a", explain={"b": ""}), TypeError, "sentence"),
])
def test_a_badly_declared_question_is_an_error(kwargs, error, match):
    with pytest.raises(error, match=match):
        qs.multiple_choice("bad", "?", register=False, **kwargs)


def test_misuse_by_the_lesson_is_an_error():
    with pytest.raises(TypeError, match="answer must be the function"):
        qs.ask(CHOICE, "b")
    with pytest.raises(ValueError, match="registered question"):
        qs.ask("no_such_question", answer("a"))
    with pytest.raises(ValueError, match="asks for a choice"):
        qs.expect_value(CHOICE, answer(1))


def test_every_bank_question_accepts_its_answer_and_explains_every_listed_wrong_one():
    rows = qs.question_table()
    assert len(rows) >= 12
    for name, kind, lesson, diagnoses in rows:
        question = qs.QUESTIONS[name]
        assert lesson and question.prompt and diagnoses, name
        assert qs.ask(name, answer(question.correct)), name
        for wrong, why in diagnoses:
            result = qs.ask(name, answer(wrong))
            assert not result and why in result.text, (name, wrong)


def _names_asked_by_the_lessons():
    import re
    import nbformat
    names = set()
    for path in sorted((ROOT / "lessons").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                names.update(re.findall(r"\bask\(\s*[\"'](\w+)[\"']", cell.source))
    return names


def test_every_question_a_lesson_asks_is_in_a_bank():
    asked = _names_asked_by_the_lessons()
    assert len(asked) >= 20
    known = {name for name, *_ in qs.question_table()}
    assert sorted(asked - known) == []


def test_bank_files_keep_the_values_and_types_of_the_questions():
    qs.question_table()
    # (1, 3, 32, 32) -> (1, 16, 32, 32): one Jacobian entry per (output, input) pair.
    jacobian = qs.QUESTIONS["jacobian_entries"]
    assert jacobian.correct == (16 * 32 * 32) * (3 * 32 * 32)
    assert (16 * 3 * 3 * 3) in dict(jacobian.wrong)
    # (9 + 2*1 - 3) // 2 + 1 = 5 along each axis, 8 output channels.
    strided = qs.QUESTIONS["strided_output_shape"]
    assert strided.correct == (1, 8, 5, 5) and isinstance(strided.correct, tuple)
    assert all(isinstance(shape, tuple) for shape, _ in strided.wrong)
    assert qs.QUESTIONS["kernel_too_large"].correct == qs.INVALID


def test_a_bank_record_goes_through_the_same_validation():
    record = {"name": "t_record", "kind": "shape", "prompt": "Which shape?", "register": False,
              "correct": [1, 2], "wrong": [[[2, 1], "swapped"]]}
    question = qs._declare_from_record(record, "test")
    assert question.correct == (1, 2) and dict(question.wrong) == {(2, 1): "swapped"}
    assert record["correct"] == [1, 2]  # the record itself is not modified
    with pytest.raises(ValueError, match="kind"):
        qs._declare_from_record({**record, "kind": "essay"}, "test")
    with pytest.raises(ValueError, match="explain"):
        qs._declare_from_record({"name": "t_bad", "kind": "choice", "prompt": "?",
                                 "register": False, "choices": {"a": "x", "b": "y"},
                                 "correct": "a", "explain": {}}, "test")
    with pytest.raises(ValueError, match="filename"):
        qs.load_bank("../pyproject.toml")


def test_the_command_line_lists_the_questions_and_what_they_diagnose():
    done = subprocess.run([sys.executable, "-m", "convlab", "misconceptions"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    for name, kind, lesson, diagnoses in qs.question_table():
        assert f"{name} ({kind}, lesson {lesson}):" in done.stdout
        assert diagnoses[0][1] in done.stdout


def test_an_answer_is_read_by_the_value_it_holds_whatever_its_methods_do():
    class Slow(float):
        def __float__(self):
            while True:
                pass

    class Broken(int):
        def __index__(self):
            raise RuntimeError("no")

        def __int__(self):
            raise RuntimeError("no")
    # the answer comes back from the child process as plain data: a float subclass is its
    # float, whatever its __float__ does, and nothing of the learner's runs while it is read
    assert qs.expect_value(VALUE, answer(Slow(27.0)), time_limit=0.3).passed
    assert qs.expect_value(VALUE, answer(Slow(9.0)), time_limit=0.3).misconception == "9"
    assert qs.expect_shape(SHAPE, answer((Broken(1), 2, 3))).passed
