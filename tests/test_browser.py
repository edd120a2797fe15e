"""The conv explorer in a real browser: JupyterLab driven by headless Chromium.

Starts JupyterLab on 127.0.0.1 with a random token in a temporary root,
writes a one-cell notebook that shows ``conv_explorer``, runs it through the
JupyterLab UI, moves the stride slider with the keyboard and checks that the
rendered summary and output size follow.  Needs ``/usr/bin/chromium``
(Debian package ``chromium``); without it the test is skipped locally and
fails under CI (``CI=true``).
"""
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"]
NOTEBOOK_CODE = """\
from convlab.widgets import conv_explorer

explorer = conv_explorer(size=7, kernel_size=3, stride=1, padding=1)
explorer"""


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
    nb.cells = [nbformat.v4.new_code_cell(NOTEBOOK_CODE)]
    nbformat.write(nb, root / "explorer.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"), MPLBACKEND="Agg")
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false, "doNotDisturbMode": true}')
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


def _summary(page):
    return page.locator(".convlab-summary").inner_text()


def test_conv_explorer_in_jupyterlab(jupyter_lab, tmp_path):
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    base, token, _ = jupyter_lab
    started = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 820})
            page.goto(f"{base}/lab/tree/explorer.ipynb?token={token}&reset")
            expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible(timeout=60_000)
            expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(
                1, timeout=60_000)
            _accept_kernel_dialog(page)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.locator("li[data-command='runmenu:run-all']").click()
            _accept_kernel_dialog(page)

            # The widget renders: the explorer box, its figure and its summary.
            explorer = page.locator(".convlab-explorer")
            expect(explorer).to_be_visible(timeout=60_000)
            expect(page.locator(".convlab-summary")).to_contain_text("output 7\u00d77", timeout=30_000)
            image = explorer.locator("img").first
            expect(image).to_be_visible()
            assert image.evaluate("img => img.naturalWidth") > 300
            before_src = image.get_attribute("src")

            # Move the stride slider one step right with the keyboard: 7 -> 4.
            handle = page.locator(".convlab-control-stride .noUi-handle")
            handle.focus()
            page.keyboard.press("ArrowRight")
            expect(page.locator(".convlab-summary")).to_contain_text("output 4\u00d74", timeout=30_000)
            expect(page.locator(".convlab-control-stride .widget-readout")).to_have_text("2")
            summary = _summary(page)
            assert re.search(r"stride 2\b", summary), summary
            assert "/ 2\u230b + 1 = 4" in summary, summary
            expect(image).not_to_have_attribute("src", before_src, timeout=10_000)
            expect(explorer.locator(".convlab-legend").first).to_contain_text("kernel window")

            # Step the window to output (1, 2): the picture changes, the sizes do not.
            for name, steps in (("i", 1), ("j", 2)):
                src = image.get_attribute("src")
                page.locator(f".convlab-control-{name} .noUi-handle").focus()
                for _ in range(steps):
                    page.keyboard.press("ArrowRight")
                expect(page.locator(f".convlab-control-{name} .widget-readout")).to_have_text(str(steps))
                expect(image).not_to_have_attribute("src", src, timeout=10_000)
            summary = page.locator(".convlab-summary")
            expect(summary).to_contain_text("window of output (1, 2)", timeout=10_000)
            expect(summary).to_contain_text("output 4\u00d74")
            page.wait_for_timeout(300)  # let the browser decode the last image

            page.mouse.move(0, 0)
            shot = tmp_path / "explorer.png"
            box = explorer.bounding_box()
            page.screenshot(path=str(shot), clip={"x": box["x"] - 2, "y": box["y"] - 2,
                                                  "width": box["width"] + 16, "height": box["height"] + 12})
            page.screenshot(path=str(tmp_path / "jupyterlab.png"))
            assert shot.stat().st_size > 10_000
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"))
            raise
        finally:
            browser.close()
    elapsed = time.monotonic() - started
    print(f"browser part took {elapsed:.1f} s; screenshot {shot}")
    keep = os.environ.get("CONVLAB_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, Path(keep))
