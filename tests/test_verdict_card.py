"""The verdict is for students (issue 20, item 4) and for graders (issue 21, scope 6): the
card names the task, puts values beside their labels and prose in the text font; a failing
graded cell's traceback is the verdict alone; the display data carries a machine-readable
verdict."""

import json
import re

import numpy as np

import exercise_solutions as sol
from convlab import exercises as ex
from convlab.exercises.grading import result as result_module
from convlab.exercises.grading.result import VERDICT_MIME, NotPassed


def _flipped(p, w):
    return sol.correlate1d(p, w[::-1])


def test_the_structured_verdict_of_a_failure():
    verdict = ex.check_correlate1d(_flipped).verdict()
    json.dumps(verdict)  # plain JSON
    assert verdict["exercise"] == "correlate1d" and verdict["status"] == "failed"
    assert verdict["passed"] is False and verdict["misconceptions"] == ["kernel_flipped"]
    assert verdict["smallest_failing_case"]["statement"].startswith("correct whenever k = 1")
    assert verdict["task"].startswith("correlate1d(p, w): valid 1-D cross-correlation")


def test_the_structured_verdict_of_a_question_carries_the_answer():
    verdict = ex.ask("inline", lambda: "a", choices={"a": "x", "b": "y"}, correct="b",
                     explain={"a": "no"}).verdict()
    assert verdict["answer"] == "a" and verdict["misconceptions"] == ["'a'"]


def test_the_display_bundle_holds_text_html_and_the_verdict(monkeypatch):
    published = []
    import IPython.display
    result = ex.check_correlate1d(sol.correlate1d)  # graded before convlab is patched below
    monkeypatch.setattr(IPython.display, "publish_display_data", published.append)
    monkeypatch.setattr(result_module, "_ipython", lambda: None)
    result._ipython_display_()
    bundle, = published
    assert set(bundle) == {"text/plain", "text/html", VERDICT_MIME}
    assert bundle[VERDICT_MIME]["passed"] is True


def test_a_right_answer_says_why_in_one_line():
    html = ex.check_correlate1d(sol.correlate1d)._repr_html_()
    assert "it gives the reference&#x27;s answer on all 6 cases, edge cases included" in html
    right = ex.expect_value("n", lambda: 5, correct=5)
    assert "that is the right answer." in right._repr_html_()


def test_a_question_card_is_titled_by_its_prompt_not_its_id():
    html = ex.ask("impulse_flip", lambda: "a")._repr_html_()
    assert "impulse_flip" not in html and "Not right (wrong answer)." in html
    assert "cross-correlate it with" in html  # the prompt


def test_prose_is_in_the_text_font_and_values_sit_beside_labels():
    html = ex.check_correlate1d(_flipped)._repr_html_()
    assert "grid-template-columns:max-content" in html  # labels then values, side by side
    assert "var(--jp-content-font-family" in html and "word-break:normal" in html
    message = ex.MESSAGES["kernel_flipped"]
    prose = re.search(r"<div style='([^']*)'>([^<]*)</div>", html[html.index("likely misconception"):])
    assert "white-space:normal" in prose.group(1) and prose.group(2)[:20] == message[:20]


def test_a_batch_of_one_is_not_four_deep_brackets():
    result = ex.check_conv_forward_shift(lambda x, weight, bias, stride:
                                         sol.conv_forward_shift(x, weight, bias, 1))
    assert "[[[[" not in result.text and "shown without its axes of length 1" in result.text


def test_the_traceback_under_nbgrader_validate_is_the_whole_verdict_unclipped(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    result = ex.check_correlate1d(_flipped)
    lines = NotPassed(result)._render_traceback_()
    assert all(len(line) <= 78 for line in lines)
    assert " ".join(" ".join(lines).split()) == " ".join(result.text.split())
    assert not any("site-packages" in line or "convlab/" in line or "File " in line
                   for line in lines)


def test_in_a_notebook_the_traceback_is_one_line_under_the_card(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    result = ex.check_correlate1d(_flipped)
    monkeypatch.setattr(result_module, "_ipython", lambda: object())
    result._shown_in = 1
    assert NotPassed(result)._render_traceback_() == [
        "correlate1d: not passed yet; the verdict above says why."]


def test_assert_passed_is_still_an_assertion_error():
    result = ex.check_correlate1d(_flipped)
    try:
        result.assert_passed()
    except AssertionError as exc:
        assert isinstance(exc, NotPassed) and str(exc) == result.text
    else:
        raise AssertionError("a failing verdict must raise")
    assert np.all(ex.check_correlate1d(sol.correlate1d).assert_passed() is None)
