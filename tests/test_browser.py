"""The three explorers in a real browser: JupyterLab driven by headless Chromium.

One JupyterLab (127.0.0.1, random token, temporary root) serves one notebook
that shows ``conv_explorer``, ``backward_explorer`` and ``filter_explorer``.
Through the DOM contract (root ``.convlab-explorer``, cells with
``data-grid`` / ``data-index``, lit cells ``.is-lit``, summary
``.convlab-summary``) the test moves the controls, hovers and clicks cells,
and checks the lit set against :mod:`convlab.coverage` for random cells of
several configurations.  It prints the browser-side latency (hover -> lit,
control -> redrawn; a benchmark, not asserted) and saves screenshots
(``CONVLAB_SCREENSHOT=path`` keeps the conv explorer's, mid-hover).  Needs
``/usr/bin/chromium`` (Debian package ``chromium``); without it the test is
skipped locally and fails under CI (``CI=true``).
"""
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import pytest
from axe_check import axe_violations, count

from convlab import coverage, filters
from convlab.widgets.payloads import backward_payload, conv_payload

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"]
CELLS = [
    "from convlab.widgets import backward_explorer, conv_explorer, filter_explorer",
    "conv_explorer(size=7, kernel_size=3, stride=1, padding=1)",
    "backward_explorer(size=6, kernel_size=3, stride=2, padding=1)",
    "filter_explorer()",
]
# (size, kernel_size, stride, padding, dilation, channels): every one has >= 20 output cells
CONV_CONFIGS = [(7, 3, 1, 0, 1, 1), (16, 3, 3, 0, 1, 1), (9, 3, 1, 0, 2, 2), (13, 3, 2, "same", 1, 3),
                (6, 2, 1, "full", 1, 1), (11, 4, 2, 1, 1, 1)]
# (size, kernel_size, stride, padding, dilation, target, view)
BACKWARD_CONFIGS = [(6, 3, 2, 1, 1, "dx", "gather"), (10, 5, 2, 1, 1, "dw", "scatter"),
                    (9, 3, 1, 0, 2, "dx", "im2row"), (7, 3, 2, "same", 1, "dx", "scatter"),
                    (10, 5, 3, 0, 1, "dw", "gather"), (8, 5, 1, 2, 1, "dw", "im2row"),
                    (8, 3, 3, 0, 1, "dx", "scatter")]
SAMPLES = 20

# In-page helpers: set a control like a user (input event), hover a cell, read the lit set, time both.
JS_HELPERS = """
window.clt = {
  root(kind) { return document.querySelector(`.convlab-explorer.convlab-${kind}`); },
  async setControl(kind, name, value) {
    const root = this.root(kind);
    const input = root.querySelector(`[data-control="${name}"] select, [data-control="${name}"] input`);
    if (input.value === String(value)) return null;
    const before = root.dataset.redraws, stale = root.classList.contains('is-stale');
    const done = new Promise((resolve) => {
      const obs = new MutationObserver(() => {
        if (root.dataset.redraws !== before || root.classList.contains('is-stale') !== stale) {
          obs.disconnect(); resolve();
        }
      });
      obs.observe(root, { attributes: true, attributeFilter: ['data-redraws', 'class'] });
    });
    const t0 = performance.now();
    input.value = String(value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await done;
    root.getBoundingClientRect();
    return performance.now() - t0;
  },
  lit(kind) {
    return [...this.root(kind).querySelectorAll('.is-lit')].map((c) => {
      const b = c.querySelector('.cl-badge');
      return [c.dataset.grid, c.dataset.index, b ? b.textContent : ''];
    });
  },
  hover(kind, grid, index) {
    const cell = this.root(kind).querySelector(`[data-grid="${grid}"][data-index="${index}"]`);
    const t0 = performance.now();
    cell.querySelector('rect').dispatchEvent(new PointerEvent('pointerover', { bubbles: true }));
    const lit = this.root(kind).querySelector('.is-lit rect');
    if (lit) getComputedStyle(lit).fill;  // style recalculation of the lit cells
    return [performance.now() - t0, this.lit(kind)];
  },
};
"""


def _require_chromium():
    if os.path.exists(CHROMIUM):
        return
    message = f"{CHROMIUM} not found (apt-get install chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + "; the browser test must run in CI")
    pytest.skip(message)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url, proc, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"jupyter lab did not answer {url} within {timeout} s")


@pytest.fixture
def jupyter_lab(tmp_path):
    """A running JupyterLab serving ``tmp_path/root``; yields (base url, token, root)."""
    root = tmp_path / "root"
    root.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(code) for code in CELLS]
    nbformat.write(nb, root / "explorers.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"), MPLBACKEND="Agg")
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false, "doNotDisturbMode": true}')
    notebook = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    notebook.mkdir(parents=True)  # keep every cell in the DOM (no windowing)
    (notebook / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    log = open(tmp_path / "jupyter.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
         "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(f"{base}/api/status?token={token}", proc)
        yield base, token, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _accept_kernel_dialog(page):
    """Confirm JupyterLab's "Select Kernel" dialog (the preselected kernel) if it shows."""
    button = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
    try:
        button.wait_for(state="visible", timeout=3_000)
    except Exception:  # no dialog: nothing to confirm
        return
    button.click()


class Driver:
    """Moves controls and hovers cells of one explorer, collecting latencies."""

    def __init__(self, page, kind, timings):
        self.page, self.kind, self.timings = page, kind, timings

    def summary(self):
        return self.page.locator(f".convlab-{self.kind} .convlab-summary").inner_text()

    def set(self, **values):
        for name, value in values.items():
            ms = self.page.evaluate("([k, n, v]) => clt.setControl(k, n, v)", [self.kind, name, value])
            if ms is None:
                continue
            if name in ("target", "view"):  # answered in the browser, no kernel round trip
                self.timings[(self.kind, "view switch \u2192 redrawn")].append(ms)
                continue
            draw, source = self.page.evaluate(
                "(k) => [+clt.root(k).dataset.drawMs, clt.root(k).dataset.source]", self.kind)
            if source == "prefetch":  # a one-step move drawn from the prefetched neighbours
                self.timings[(self.kind, "control step \u2192 redrawn (prefetched)")].append(ms)
                continue
            self.timings[(self.kind, "control \u2192 redrawn")].append(ms)
            self.timings[(self.kind, "  of which drawing")].append(draw)

    def hover(self, grid, index):
        ms, lit = self.page.evaluate("([k, g, i]) => clt.hover(k, g, i)", [self.kind, grid, index])
        self.timings[(self.kind, "hover \u2192 lit")].append(ms)
        return lit

    def real_hover(self, grid, index):
        self.page.hover(f".convlab-{self.kind} [data-grid='{grid}'][data-index='{index}']")
        return self.page.evaluate("(k) => clt.lit(k)", self.kind)


def _check_conv(drv, rng, shots):
    from playwright.sync_api import expect

    # a real keyboard step on the stride slider: 7x7 input, padding 1 -> output 7x7, then 4x4
    summary = drv.page.locator(".convlab-conv .convlab-summary")
    expect(summary).to_contain_text("output 7\u00d77")
    drv.page.locator(".convlab-conv [data-control=stride] input").focus()
    drv.page.keyboard.press("ArrowRight")
    expect(summary).to_contain_text("output 4\u00d74", timeout=30_000)
    expect(summary).to_contain_text("/ 2\u230b + 1 = 4")
    expect(drv.page.locator(".convlab-conv [data-control=stride] output")).to_have_text("2")
    # one step of every control (drawn from the prefetched neighbours) changes the summary
    for name, value in [("size", 8), ("kernel_size", 2), ("stride", 1), ("padding", 2),
                        ("dilation", 2), ("channels", 2)]:
        before = drv.summary()
        drv.set(**{name: value})
        assert drv.summary() != before, (name, value)
    lit = drv.hover("output", "1,1")  # 8x8, k2, s1, p2, d2, 2 channels
    rows, cols = coverage.window_cells(1, 1, 2, 1, 2)
    assert {(g, i) for g, i, _ in lit} == {("input", f"{c},{r},{q}") for c in range(2) for r in rows
                                           for q in cols} | {("output", "1,1")}
    seen = {drv.summary()}
    for n, k, s, padding, d, channels in CONV_CONFIGS:
        drv.set(size=n, kernel_size=k, stride=s, padding=padding, dilation=d, channels=channels)
        text = drv.summary()
        assert text not in seen, (n, k, s, padding, d, channels)  # every configuration shows
        seen.add(text)
        g = coverage.geometry(n, k, s, padding, d)
        ho, wo = g.output_shape
        assert f"output {ho}\u00d7{wo}" in text
        cells = [(rng.randrange(ho), rng.randrange(wo)) for _ in range(SAMPLES)]
        for q, (i, j) in enumerate(cells):
            index = f"{i},{j}"
            lit = drv.real_hover("output", index) if q < 2 else drv.hover("output", index)
            rows, cols = coverage.window_cells(i, j, k, s, d)
            expected = {("input", f"{c},{r},{col}") for c in range(channels) for r in rows for col in cols}
            expected.add(("output", index))
            assert {(grid, idx) for grid, idx, _ in lit} == expected, (n, k, s, padding, d, i, j)
    # mid-hover picture for the README: 7x7 input, padding 1, stride 2
    drv.set(size=7, kernel_size=3, stride=2, padding=1, dilation=1, channels=1)
    drv.page.evaluate("() => document.activeElement && document.activeElement.blur()")
    drv.real_hover("output", "1,2")
    shots["conv"] = drv.page.locator(".convlab-conv")


def _expected_backward(p_target, view, cell, n, k, s, padding, d):
    """{grid: {index: pair number}} lit for ``cell`` of ``p_target``, straight from coverage."""
    g = coverage.geometry(n, k, s, padding, d)
    wo = g.output_shape[1]
    i, j = cell
    lit = {}

    def add(grid, index, q):
        lit.setdefault(grid, {})[index] = q

    if p_target == "dx":
        pairs = coverage.dx_contributions(i, j, n, k, s, padding, d)
        grows, gcols = coverage.window_cells(i, j, k, 1, d)
        for q, ((oi, oj), (m, c)) in enumerate(pairs, start=1):
            add("grad_out", f"{oi},{oj}", q)
            if view == "gather":
                add("gather", f"{grows[k - 1 - m]},{gcols[k - 1 - c]}", q)
                add("kernel_flipped", f"{k - 1 - m},{k - 1 - c}", q)
            else:
                add("kernel", f"{m},{c}", q)
            if view == "im2row":
                add("patches", f"{oi * wo + oj},{m * k + c}", q)
        if view == "gather":
            lit.pop("grad_out")
        add("dx", f"{i},{j}", 0)
    else:
        pt, pl = g.padding[0][0], g.padding[1][0]
        for q, ((oi, oj), (r, c)) in enumerate(coverage.dw_contributions(i, j, n, k, s, padding, d), 1):
            add("grad_spread" if view == "gather" else "grad_out",
                f"{oi * s},{oj * s}" if view == "gather" else f"{oi},{oj}", q)
            if view == "gather":
                add("input", f"{r + pt},{c + pl}", q)
            elif view == "scatter":
                add("input", f"{r},{c}", q)
            else:
                add("patches", f"{oi * wo + oj},{i * k + j}", q)
        add("dw", f"{i},{j}", 0)
    return lit


def _check_backward(drv, rng):
    # every control changes the summary
    for name, value in [("size", 7), ("kernel_size", 2), ("stride", 1), ("padding", "full"),
                        ("dilation", 2), ("target", "dw"), ("view", "gather"), ("view", "im2row"),
                        ("target", "dx"), ("padding", 0), ("stride", 2), ("output_padding", 1)]:
        before = drv.summary()
        drv.set(**{name: value})
        assert drv.summary() != before, (name, value, before)
    for n, k, s, padding, d, target, view in BACKWARD_CONFIGS:
        before = drv.summary()
        drv.set(size=n, kernel_size=k, stride=s, padding=padding, dilation=d)
        drv.set(target=target, view=view)
        assert drv.summary() != before
        side = n if target == "dx" else k
        for q in range(SAMPLES):
            i, j = rng.randrange(side), rng.randrange(side)
            index = f"{i},{j}"
            lit = drv.real_hover(target, index) if q < 2 else drv.hover(target, index)
            got = {}
            for grid, idx, label in lit:
                got.setdefault(grid, {})[idx] = int(label) if label else 0
            expected = _expected_backward(target, view, (i, j), n, k, s, padding, d)
            assert got == expected, (n, k, s, padding, d, target, view, i, j)
    # uncovered input cells are marked; output_padding keeps G and grows the input
    drv.set(size=7, kernel_size=3, stride=2, padding=1, dilation=1, target="dx", view="scatter")
    assert "output_padding=0)" in drv.summary()
    before = drv.summary()
    drv.set(output_padding=1)
    drv.page.wait_for_function("() => clt.root('backward').querySelectorAll('[data-grid=dx]').length === 64")
    assert "output_padding=1)" in drv.summary() and drv.summary() != before
    assert "x 8\u00d78" in drv.summary() and "G 4\u00d74" in drv.summary()
    drv.set(padding=0)
    uncovered = drv.page.eval_on_selector_all(".convlab-backward [data-grid=dx].is-uncovered",
                                              "els => els.map(e => e.dataset.index)")
    rows, cols = coverage.uncovered_cells(8, 3, 2, 0, 1)
    assert set(uncovered) == {f"{r},{c}" for r in range(8) for c in range(8) if r in rows or c in cols}
    drv.page.click(".convlab-backward [data-grid=dx][data-index='7,7']")  # click pins: no product
    assert "no window reads x[7,7]" in drv.page.locator(".convlab-backward .convlab-detail").inner_text()


def _check_filter(drv):
    page = drv.page
    root = page.locator(".convlab-filter")
    sigma_row = root.locator("[data-control=sigma]")
    assert not sigma_row.is_visible()  # Sobel: no sigma
    widths = page.eval_on_selector_all(".convlab-filter img", "els => els.map(e => e.getBoundingClientRect().width)")
    assert len(widths) == 2 and min(widths) >= 300
    assert "Sobel sobel" not in drv.summary()
    seen = {drv.summary()}
    for change in [dict(filter="sobel x"), dict(filter="sobel y"), dict(filter="gaussian"),
                   dict(sigma=2), dict(kernel_size=13), dict(sigma=3), dict(kernel_size=19)]:
        drv.set(**change)
        assert drv.summary() not in seen, change
        seen.add(drv.summary())
    assert sigma_row.is_visible()
    assert root.locator("[data-grid=kernel] .cl-num").count() == 0  # 19x19: heatmap, no numbers
    assert root.locator(".cl-colourbar").count() == 1
    lit = drv.hover("kernel", "0,9,9")
    assert lit == [["kernel", "0,9,9", ""]]
    drv.set(kernel_size=5, sigma=1)
    assert root.locator("[data-grid=kernel] .cl-num").count() == 25
    drv.set(filter="sobel")
    assert not sigma_row.is_visible()


def _check_invalid_and_play(drv):
    page = drv.page
    root = page.locator(".convlab-conv")
    drv.set(size=3, kernel_size=3, stride=1, padding=0, dilation=1, channels=1)
    cells = root.locator("[data-grid=input]").count()
    drv.set(dilation=3)
    page.wait_for_function("() => clt.root('conv').classList.contains('is-stale')")
    assert "kernel is larger than the padded input" in root.locator(".convlab-error").inner_text()
    assert root.locator("[data-grid=input]").count() == cells  # the last picture stays, greyed
    drv.set(padding="full")
    page.wait_for_function("() => !clt.root('conv').classList.contains('is-stale')")
    assert "output 9\u00d79" in drv.summary()
    drv.set(padding=1, dilation=1, size=5)
    root.locator(".cl-play").click()
    page.wait_for_function("() => clt.root('conv').querySelector('[data-grid=output].is-lit')"
                           ".dataset.index === '0,2'", timeout=10_000)
    root.locator(".cl-play").click()  # pause


def _span(values):
    """Rows or columns as the live region says them: "1\u20133" when consecutive, else listed."""
    values = [int(v) for v in values]
    if len(values) > 2 and all(b - a == 1 for a, b in zip(values, values[1:])):
        return f"{values[0]}\u2013{values[-1]}"
    return ", ".join(map(str, values))


def _number(v):
    return str(int(v)) if float(v).is_integer() else f"{v:.2f}"


def _active_grid(page):
    return page.evaluate("() => document.activeElement && document.activeElement.dataset "
                         "&& document.activeElement.dataset.gridBox")


def _live(page, kind):
    return page.locator(f".convlab-{kind} .convlab-live").inner_text()


def _press(page, keys):
    for key in keys:
        page.keyboard.press(key)


def _moved(cell, keys, shape):
    """Where the arrow ``keys`` take the active ``cell`` of a grid of ``shape`` (clamped)."""
    step = {"ArrowUp": (-1, 0), "ArrowDown": (1, 0), "ArrowLeft": (0, -1), "ArrowRight": (0, 1)}
    i, j = cell
    for key in keys:
        i = min(max(i + step[key][0], 0), shape[0] - 1)
        j = min(max(j + step[key][1], 0), shape[1] - 1)
    return i, j


def _walk(page, start, grid, shape, rng, steps, keys):
    """Tab from ``start`` into ``grid``, go Home, then ``steps`` times press ``keys`` random arrows.

    Yields the cell the arrows should have reached after each step.
    """
    page.focus(start)
    page.keyboard.press("Tab")
    assert _active_grid(page) == grid
    cell = (0, 0)
    _press(page, ["Home"])
    for _ in range(steps):
        pressed = [rng.choice(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"]) for _ in range(keys)]
        _press(page, pressed)
        cell = _moved(cell, pressed, shape)
        yield cell


def _keyboard_conv(drv, rng):
    """Tab into the output grid; arrows light the window coverage names; the live region says it."""
    page, setting = drv.page, (9, 3, 2, 1, 2, 2)
    n, k, s, padding, d, channels = setting
    drv.set(size=n, kernel_size=k, stride=s, padding=padding, dilation=d, channels=channels)
    p = conv_payload(n, k, s, padding, d, channels)
    x = np.pad(np.array(p["x"], float), [(0, 0)] + [tuple(a) for a in p["padding"]])
    w = np.array(p["w"], float)
    shape = p["output_shape"]
    for i, j in _walk(page, ".convlab-conv .cl-play", "output", shape, rng, steps=8, keys=3):
        rows, cols = coverage.window_cells(i, j, k, s, d)
        lit = page.evaluate("() => clt.lit('conv')")
        assert {(g, idx) for g, idx, _ in lit} == {("input", f"{c},{r},{q}") for c in range(channels)
                                                   for r in rows for q in cols} | {("output", f"{i},{j}")}
        total = sum(x[c, r, q] * w[c, m, e] for c in range(channels) for m, r in enumerate(rows)
                    for e, q in enumerate(cols))
        expected = (f"output y[{i}, {j}] reads padded input rows {_span(rows)}, columns {_span(cols)}, "
                    f"channels 0\u2013{channels - 1}: {channels * k * k} products, sum {_number(total)}")
        assert _live(page, "conv") == expected
    page.keyboard.press("Enter")
    assert page.locator(".convlab-conv [data-grid=output].is-selected").get_attribute("data-index") == f"{i},{j}"
    page.keyboard.press("Escape")
    assert page.evaluate("() => clt.lit('conv')") == []
    assert _live(page, "conv") == "selection cleared"
    page.keyboard.press("ArrowRight")  # focus ring and the window again, for the screenshot
    return page.locator(".convlab-conv")


def _keyboard_backward(drv, rng):
    """Tab into dX (then dW); arrows and Enter light the pairs coverage names, in words too."""
    page = drv.page
    n, k, s, padding, d = 7, 3, 2, 1, 1
    p = backward_payload(n, k, s, padding, d)
    for target, partner in (("dx", "w"), ("dw", "x")):
        drv.set(size=n, kernel_size=k, stride=s, padding=padding, dilation=d, target=target,
                view="scatter")
        shape = (n, n) if target == "dx" else (k, k)
        start = ".convlab-backward [data-control=view] select"
        for cell in _walk(page, start, target, shape, rng, steps=6, keys=2):
            got = {}
            for grid, idx, label in page.evaluate("() => clt.lit('backward')"):
                got.setdefault(grid, {})[idx] = int(label) if label else 0
            assert got == _expected_backward(target, "scatter", cell, n, k, s, padding, d)
            contrib = (coverage.dx_contributions if target == "dx" else coverage.dw_contributions)(
                *cell, n, k, s, padding, d)
            other = np.array(p["w" if target == "dx" else "x"], float)
            g = np.array(p["grad_out"], float)
            name = "dX" if target == "dx" else "dW"
            if len(contrib):
                value = sum(g[tuple(o)] * other[tuple(t)] for o, t in contrib)
                terms = "; ".join(f"{q}: G[{o[0]}, {o[1]}] times {partner}[{t[0]}, {t[1]}]"
                                  for q, (o, t) in enumerate(contrib, 1))
                plural = "" if len(contrib) == 1 else "s"
                expected = (f"{name}[{cell[0]}, {cell[1]}] = {_number(value)}, the sum of "
                            f"{len(contrib)} product{plural}: {terms}")
            else:
                expected = (f"{name}[{cell[0]}, {cell[1]}] = 0: no window reads "
                            f"x[{cell[0]}, {cell[1]}], so no product lands here")
            assert _live(page, "backward") == expected
        page.keyboard.press("Enter")  # pinned: a hover elsewhere no longer moves it
        pinned = page.evaluate("() => clt.lit('backward')")
        other_cell = f"{(cell[0] + 1) % shape[0]},{cell[1]}"
        drv.hover(target, other_cell)
        assert page.evaluate("() => clt.lit('backward')") == pinned
        page.keyboard.press("Escape")
        assert page.evaluate("() => clt.lit('backward')") == []


def _keyboard_filter(drv):
    """Tab from the filter choice into the Sobel x kernel; arrows read its weights aloud."""
    page = drv.page
    drv.set(filter="sobel")
    page.focus(".convlab-filter [data-control=filter] select")
    page.keyboard.press("Tab")
    assert _active_grid(page) == "kernel"
    cell = (1, 1)
    for keys in (["ArrowUp"], ["ArrowLeft"], ["ArrowDown", "ArrowDown"], ["ArrowRight", "ArrowRight"]):
        _press(page, keys)
        cell = _moved(cell, keys, (3, 3))
        value = filters.SOBEL_X[cell]
        assert _live(page, "filter") == f"Sobel x[{cell[0]}, {cell[1]}] = {_number(value)}"
        assert page.evaluate("() => clt.lit('filter')") == [["kernel", f"0,{cell[0]},{cell[1]}", ""]]


def _axe_explorers(page):
    """axe-core (WCAG 2.1 A/AA) inside each explorer, with cells lit: zero violations."""
    found = {kind: axe_violations(page, f".convlab-{kind}") for kind in ("conv", "backward", "filter")}
    print("axe-core violations in the explorers:",
          {kind: count(v) for kind, v in found.items()})
    assert found == {"conv": [], "backward": [], "filter": []}, found


def _percentiles(values):
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def test_explorers_in_jupyterlab(jupyter_lab, tmp_path):
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    base, token, _ = jupyter_lab
    started = time.monotonic()
    rng = random.Random(12)
    timings = {(kind, action): [] for kind in ("conv", "backward", "filter")
               for action in ("hover \u2192 lit", "view switch \u2192 redrawn",
                              "control step \u2192 redrawn (prefetched)", "control \u2192 redrawn",
                              "  of which drawing")}
    shots = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        try:
            page.goto(f"{base}/lab/tree/explorers.ipynb?token={token}&reset")
            expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible(timeout=60_000)
            expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(
                1, timeout=60_000)
            _accept_kernel_dialog(page)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.locator("li[data-command='runmenu:run-all']").click()
            _accept_kernel_dialog(page)
            for kind in ("conv", "backward", "filter"):
                expect(page.locator(f".convlab-explorer.convlab-{kind}")).to_be_visible(timeout=60_000)
            expect(page.locator(".convlab-conv .convlab-summary")).to_contain_text("output 7\u00d77")
            page.evaluate(JS_HELPERS)

            _check_conv(Driver(page, "conv", timings), rng, shots)
            shot = tmp_path / "explorer.png"
            shots["conv"].screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            _check_invalid_and_play(Driver(page, "conv", timings))
            _check_backward(Driver(page, "backward", timings), rng)
            page.locator(".convlab-backward").screenshot(path=str(tmp_path / "backward.png"))
            _check_filter(Driver(page, "filter", timings))
            page.locator(".convlab-filter").screenshot(path=str(tmp_path / "filter.png"))
            _keyboard_filter(Driver(page, "filter", timings))
            _keyboard_backward(Driver(page, "backward", timings), rng)
            focus = _keyboard_conv(Driver(page, "conv", timings), rng)
            _axe_explorers(page)
            focus.screenshot(path=str(tmp_path / "keyboard-focus.png"))
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    elapsed = time.monotonic() - started
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nbrowser part took {elapsed:.1f} s; screenshots in {tmp_path}; "
          f"load average {load:.1f} on {os.cpu_count()} CPUs")
    print("control \u2192 redrawn = input event to redrawn SVG, through the kernel (payload "
          "recomputed in Python); drawing = the ES module's share")
    print(f"{'explorer':10s} {'action':38s} {'n':>4s} {'p50 ms':>8s} {'p95 ms':>8s}")
    for (kind, action), values in timings.items():
        if values:
            p50, p95 = _percentiles(values)
            print(f"{kind:10s} {action:38s} {len(values):4d} {p50:8.1f} {p95:8.1f}")
    keep = os.environ.get("CONVLAB_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, Path(keep))
    shots_dir = os.environ.get("CONVLAB_SHOTS_DIR")  # every screenshot, for a review
    if shots_dir:
        for png in tmp_path.glob("*.png"):
            shutil.copyfile(png, Path(shots_dir) / png.name)
