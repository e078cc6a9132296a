"""The learner's view: run 05-ocr-pipeline in JupyterLab in a real (headless) browser.

JupyterLab is started from the project's own virtual environment on a loopback port with
a token, Debian's Chromium is driven by Playwright (never a downloaded browser), and a
copy of the notebook without its stored outputs is run with Run > Run All Cells. The test
checks what a learner would see: the device dropdown is a widget (not a text repr), no cell
shows an error, and the result image and the recognised text appear. A screenshot of the
finished notebook is saved in ``tests/artifacts/``.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "05-ocr-pipeline.ipynb"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# No sandbox: CI runs as root in a container. The rest keeps Chromium off the network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAB_SETTINGS = {
    # Every cell in the DOM (JupyterLab otherwise skips rendering cells out of view).
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # The notebook under test is a copy, but nothing should be written anyway.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}
RUN_TIMEOUT_S = 600
MAX_SCREENSHOT_HEIGHT = 16000

# JavaScript run in the page; ``window.jupyterapp`` exists with --expose-app-in-browser.
JS_KERNEL_IDLE = """() => {
    const nb = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = nb && nb.sessionContext && nb.sessionContext.session
        && nb.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle';
}"""
JS_FINISHED = """() => {
    const nb = window.jupyterapp.shell.currentWidget;
    const kernel = nb.sessionContext.session.kernel;
    const cells = nb.content.model.toJSON().cells.filter(c => c.cell_type === 'code');
    const failed = cells.some(c => c.outputs.some(o => o.output_type === 'error'));
    const done = cells.every(c => c.execution_count !== null);
    return kernel.status === 'idle' && (done || failed);
}"""
JS_SCROLLER = ".jp-NotebookPanel .jp-WindowedPanel-outer"  # the notebook's scrolling box
JS_CELLS = "() => window.jupyterapp.shell.currentWidget.content.model.toJSON().cells"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_copy(source: Path, folder: Path) -> Path:
    """The notebook without stored outputs or widget state: all the test sees comes from
    this run, and the committed file is never touched."""
    notebook = json.loads(source.read_text(encoding="utf-8"))
    notebook["metadata"].pop("widgets", None)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    path = folder / source.name
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}; `make apt` installs Debian's chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed in this environment; run `make setup`")
    return CHROMIUM


@pytest.fixture(scope="module")
def lab(chromium, requires_models, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """JupyterLab of this venv on 127.0.0.1 with a random token, isolated settings."""
    home = tmp_path_factory.mktemp("jupyter")
    work = tmp_path_factory.mktemp("notebooks")
    settings = home / "lab-settings"
    for plugin, values in LAB_SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
        "OVOCR_DEVICE": "CPU",
    }
    port, token = free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--expose-app-in-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work}",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(home / "lab.log", "w")  # noqa: SIM115 - closed below, after the server
    server = subprocess.Popen(
        cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(home / 'lab.log').read_text()}")
                time.sleep(0.5)
        yield {"url": url, "token": token, "work": work}
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and the kernels it started
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def notebook_run(lab, chromium) -> dict[str, Any]:
    """Open the notebook, Run All Cells, and collect what the page shows."""
    from playwright.sync_api import sync_playwright

    if not NOTEBOOK.exists():
        pytest.fail(f"{NOTEBOOK} is missing: the browser test runs it")
    notebook = fresh_copy(NOTEBOOK, lab["work"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / f"jupyterlab-{notebook.stem}.png"
    started = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{lab['url']}/lab/tree/{notebook.name}?token={lab['token']}")
            page.wait_for_function(JS_KERNEL_IDLE, timeout=120_000)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            page.wait_for_function(JS_FINISHED, timeout=RUN_TIMEOUT_S * 1000, polling=500)
            page.wait_for_timeout(1000)  # let the last outputs (images, widgets) render
            result = {
                "cells": page.evaluate(JS_CELLS),
                "dropdowns": page.eval_on_selector_all(
                    ".jp-OutputArea-output .widget-dropdown select",
                    "els => els.map(e => [...e.options].map(o => o.textContent))",
                ),
                # Per cell, in notebook order: the size of every image it shows.
                "images": page.eval_on_selector_all(
                    ".jp-Notebook .jp-Cell",
                    "cells => cells.map(c => [...c.querySelectorAll('.jp-OutputArea-output img')]"
                    ".map(i => [i.naturalWidth, i.naturalHeight]))",
                ),
                "output_text": page.eval_on_selector_all(
                    ".jp-OutputArea-output", "els => els.map(e => e.innerText).join('\\n')"
                ),
                # Errors and warnings both render as stderr; only errors carry a traceback.
                "stderr": page.eval_on_selector_all(
                    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
                    "els => els.map(e => e.innerText)",
                ),
            }
            page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
            height = page.evaluate(f"() => document.querySelector('{JS_SCROLLER}').scrollHeight")
            page.set_viewport_size(
                {"width": 1280, "height": min(height + 200, MAX_SCREENSHOT_HEIGHT)}
            )
            page.evaluate(f"() => document.querySelector('{JS_SCROLLER}').scrollTo(0, 0)")
            page.wait_for_timeout(500)
            page.screenshot(path=str(screenshot))
        finally:
            browser.close()
    result["seconds"] = time.monotonic() - started
    result["screenshot"] = screenshot
    print(f"browser run of {NOTEBOOK.name}: {result['seconds']:.0f} s, screenshot {screenshot}")
    return result


def outputs_of(cells: list[dict], output_type: str) -> list[dict]:
    return [
        o
        for c in cells
        if c["cell_type"] == "code"
        for o in c["outputs"]
        if o["output_type"] == output_type
    ]


def test_every_cell_ran_without_an_error(notebook_run):
    errors = outputs_of(notebook_run["cells"], "error")
    assert not errors, "\n".join(f"{e['ename']}: {e['evalue']}" for e in errors)
    shown = [text for text in notebook_run["stderr"] if "Traceback" in text]
    assert not shown, shown[0]
    code = [c for c in notebook_run["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] for c in code)


def test_device_dropdown_is_a_widget(notebook_run):
    from ovocr.devices import device_choices

    assert device_choices() in notebook_run["dropdowns"]
    assert "Dropdown(" not in notebook_run["output_text"]  # the repr of a widget not rendered


def test_result_image_and_recognised_text_appear(notebook_run, pipeline):
    from ovocr.samples import sample_image

    cells, images = notebook_run["cells"], notebook_run["images"]
    assert len(images) == len(cells)
    drawing = [i for i, c in enumerate(cells) if "draw_page(" in "".join(c["source"])]
    assert drawing, "no cell draws the recognised page (viz.draw_page)"
    for i in drawing:  # each shows its picture, decoded by the browser
        assert any(w > 100 and h > 100 for w, h in images[i]), (i, images[i])
    image = sample_image()  # the photo the notebook reads
    words = pipeline(image).text.split()
    assert words, f"the pipeline reads nothing in {image}"
    missing = [w for w in words if w not in notebook_run["output_text"]]
    assert not missing, f"recognised words not shown in the notebook: {missing}"


def test_screenshot_of_the_finished_notebook_is_saved(notebook_run):
    with Image.open(notebook_run["screenshot"]) as shot:
        assert shot.width == 1280 and shot.height > 1000
