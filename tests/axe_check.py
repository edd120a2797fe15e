"""axe-core in a Playwright page: WCAG 2.1 A/AA violations, from the copy bundled on PyPI.

``axe-playwright-python`` ships ``axe.min.js`` (axe-core 4.x); it is injected
from that file, so nothing is fetched from a CDN.
"""
from pathlib import Path

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_script():
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def axe_violations(page, include=None):
    """``[(rule id, impact, number of nodes, first target, help)]`` for ``include`` (CSS) or the page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_script())
    result = page.evaluate(
        """async ([include, tags]) => {
             const context = include ? { include: [[include]] } : document;
             const r = await axe.run(context, { runOnly: { type: "tag", values: tags },
                                                resultTypes: ["violations"] });
             return r.violations.map((v) => [v.id, v.impact, v.nodes.length,
                                             v.nodes[0].target.join(" "), v.help]);
           }""", [include, WCAG_TAGS])
    return [tuple(v) for v in result]


def count(violations):
    """Total failing nodes over all rules."""
    return sum(v[2] for v in violations)
