"""The course as students and instructors see it: every notebook run in JupyterLab, its widgets moved, a deck
presented, all in a real Chromium driven by Playwright (marker ``browser``).

Three notebooks run at once (``LANES``), each in its own tab and kernel with torch on one thread, so that the
whole module takes about four minutes here rather than six or seven one after the other.

Headless execution (nbval) never runs the widgets' JavaScript; these tests do. They start their own JupyterLab on
127.0.0.1 (a free port, a token, fast mode, a temporary copy of the notebooks so that nothing is saved into the
repository), and stop it afterwards whatever happens. Screenshots go to ``build/screenshots/``.

They need Debian's Chromium and the Playwright package (Playwright's own browser download cannot work offline)::

    sudo apt-get install chromium && python -m pip install -e ".[browser]"

Without them the module is skipped with a one-line reason. ``COURSEKIT_CHROMIUM`` names another Chromium binary.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api",
                               reason='browser tests need Playwright: python -m pip install -e ".[browser]"')
CHROMIUM = (os.environ.get("COURSEKIT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
            or shutil.which("google-chrome"))
if not CHROMIUM:
    pytest.skip("browser tests need Chromium: sudo apt-get install chromium", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FRENCH = "fr/01_neurons_and_relu.ipynb"  # notebook 01 runs in its French edition (notebooks/fr/), the others in English
RUNS = [FRENCH if path.name == Path(FRENCH).name else path.name for path in NOTEBOOKS]  # what JupyterLab runs
SCREENSHOTS = ROOT / "build" / "screenshots"
NOTEBOOK_TIMEOUT_S = 600  # one notebook, run all: under 90 s alone, 120 s in a lane, more while nbgrader grades
LANES = 3  # notebooks run at once, each in its own tab and kernel (4 was no faster: the CPU is busy)
KERNEL_THREADS = 1  # each kernel's torch on one thread: kernels with two threads each on two cores crawl
# Seconds each notebook took in this test in CI (three lanes, from opening to its checks done): the longest start
# first, so that the lanes finish together.
EXPECTED_S = {"01": 16, "02": 57, "03": 79, "04": 71, "05": 91, "06": 59, "07": 113}
VIEWPORT = {"width": 1280, "height": 1600}

# The main control of a notebook's widget: (notebook, the slider's label, where to drag it along its track, 0 to 1).
WIDGETS = [("01_neurons_and_relu", "w1", 0.9),      # the ReLU neuron's weight
           ("04_pixelcnn", "temperature", 0.05),      # the sampling temperature
           ("05_colorization", "temperature", 0.95),  # the annealed-mean temperature
           ("06_style_transfer", "style β", 0.0)]     # the style weight

# JupyterLab's user settings for the tests: every cell attached to the page (so that the screenshots show them all),
# each cell's execution times saved in the notebook, no news or update checks (no network, no toast over the notebook).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "recordTiming": True},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on 127.0.0.1 serving ``root`` with a token, in fast mode; ``url(path)`` for the browser."""

    def __init__(self, root: Path, home: Path):
        self.port, self.token = _free_port(), secrets.token_hex(16)
        for name, settings in LAB_SETTINGS.items():
            path = home / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(settings))
        env = dict(os.environ, COURSEKIT_FAST="1", OMP_NUM_THREADS=str(KERNEL_THREADS),
                   JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                   JUPYTER_CONFIG_DIR=str(home / "config"), PYTHONUNBUFFERED="1")
        self.log = (home / "lab.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
            + (["--allow-root"] if os.geteuid() == 0 else []),  # CI containers run as root
            cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready(home / "lab.log")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def _wait_ready(self, log: Path, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with status {self.process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()}")

    def stop(self) -> None:
        """Stop the server and its kernels (the whole process group), politely then firmly."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def lab_dir(tmp_path_factory) -> Path:
    """A copy of the notebooks for JupyterLab to open and save: the repository's are never written."""
    folder = tmp_path_factory.mktemp("lab")
    for path in NOTEBOOKS:
        shutil.copy(path, folder / path.name)
    (folder / FRENCH).parent.mkdir()
    shutil.copy(ROOT / "notebooks" / FRENCH, folder / FRENCH)
    return folder


@pytest.fixture(scope="module")
def lab(lab_dir, tmp_path_factory):
    server = Lab(lab_dir, tmp_path_factory.mktemp("lab_home"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def context():
    """A browsing context of one headless Chromium (the system's), shared by the tests so that JupyterLab's code is
    cached."""
    with sync_api.sync_playwright() as playwright:
        # three notebooks run at once, each in a tab of its own: the tabs behind the front one must not be slowed or
        # frozen, nor left without frames to photograph
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--disable-background-networking", "--disable-gpu",
                                                    "--disable-renderer-backgrounding",
                                                    "--disable-background-timer-throttling",
                                                    "--disable-backgrounding-occluded-windows"])
        try:
            yield chromium.new_context(viewport=VIEWPORT)
        finally:
            chromium.close()


# ---------------------------------------------------------------------------------------------------------------
# Running a notebook in JupyterLab
# ---------------------------------------------------------------------------------------------------------------

# In the page, through the application JupyterLab exposes (``--LabApp.expose_app_in_browser``).
_NOTEBOOK_READY = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session &&
                 panel.sessionContext.session.kernel;
  return !!(panel && panel.content && panel.context.isReady && kernel && kernel.connectionStatus === 'connected' &&
            kernel.status === 'idle');
}"""
_RUN_ALL = """() => {
  window.__runAll = 'running';
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
      ok => { window.__runAll = ok ? 'ok' : 'failed'; }, err => { window.__runAll = 'error: ' + err; });
}"""
_RUN_FINISHED = """() => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  return window.__runAll !== 'running' && kernel.status === 'idle';
}"""
# Every code cell: its execution count and, for each error output, the error's name, value and traceback.
_CELL_REPORT = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const report = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    const outputs = cell.outputs.toJSON();
    report.push({index: i, count: cell.executionCount, source: cell.sharedModel.getSource().slice(0, 200),
                 errors: outputs.filter(o => o.output_type === 'error')
                                .map(o => ({ename: o.ename, evalue: o.evalue, traceback: o.traceback.join('\\n')}))});
  }
  return report;
}"""
_ERRORS_SHOWN = "() => document.querySelectorAll('.jp-OutputArea-output[data-mime-type$=\"error\"]').length"


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def open_and_run_all(page, lab: Lab, name: str) -> None:
    """Open ``name`` in JupyterLab (side panels closed), wait for its kernel, and start Run All."""
    page.goto(lab.url(f"lab/tree/{name}") + "&reset", wait_until="domcontentloaded")
    page.wait_for_function(_NOTEBOOK_READY, timeout=60_000, polling=200)
    page.evaluate("() => { window.jupyterapp.shell.collapseLeft(); window.jupyterapp.shell.collapseRight(); }")
    page.evaluate(_RUN_ALL)


def check_run(page, name: str) -> list[dict]:
    """After Run All: save the notebook and return its code cells' report. Raises AssertionError naming the first
    cell that shows an error, with that error, or the cells that did not run."""
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    report = page.evaluate(_CELL_REPORT)
    failed = [cell for cell in report if cell["errors"]]
    if failed:
        cell, error = failed[0], failed[0]["errors"][0]
        raise AssertionError(f"{name}: cell {cell['index']} shows an error: {error['ename']}: {error['evalue']}\n"
                             f"--- the cell begins ---\n{cell['source']}\n--- traceback ---\n"
                             f"{_strip_ansi(error['traceback'])}")
    skipped = [cell["index"] for cell in report if cell["count"] is None and cell["source"].strip()]
    assert not skipped, f"{name}: cells {skipped} did not run (Run All: {page.evaluate('window.__runAll')})"
    assert page.evaluate(_ERRORS_SHOWN) == 0, f"{name}: the page shows an error output"
    return report


def run_in_lab(page, lab: Lab, name: str, timeout_s: float = NOTEBOOK_TIMEOUT_S) -> list[dict]:
    """Open ``name``, run all its cells, wait until the kernel is idle and check the cells (``check_run``)."""
    open_and_run_all(page, lab, name)
    page.wait_for_function(_RUN_FINISHED, timeout=timeout_s * 1000, polling=500)
    return check_run(page, name)


def screenshot_notebook(page, path: Path) -> Path:
    """A screenshot of the whole notebook, however long: the notebook's scrolling area photographed one screen at
    a time and stitched together (a page screenshot would only show what fits in the window), down to its last
    cell."""
    from PIL import Image

    scroller = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer").first
    box = scroller.bounding_box()
    inner = scroller.evaluate("""e => {
        const cells = e.querySelectorAll('.jp-Cell'), last = cells[cells.length - 1];
        const end = last.getBoundingClientRect().bottom - e.getBoundingClientRect().top + e.scrollTop;
        return {top: e.clientTop, width: e.clientWidth, height: e.clientHeight, total: e.scrollHeight,
                end: Math.ceil(end) + 16};
    }""")  # inside the border, without the scroll bar; ``end``: below the last cell
    trim = 3  # the toolbar's shadow falls on the scroller's top rows: leave them out of every screen
    clip = {"x": box["x"], "y": box["y"] + inner["top"] + trim, "width": inner["width"],
            "height": inner["height"] - trim}
    sheet = Image.new("RGB", (inner["width"], inner["total"]), "white")
    top = 0
    while True:
        reached = scroller.evaluate(f"e => {{ e.scrollTop = {top}; return e.scrollTop; }}")
        page.wait_for_timeout(60)  # let the browser paint what scrolled in
        tile = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
        sheet.paste(tile, (0, reached + trim))  # content rows reached + trim … reached + height
        if reached + inner["height"] >= min(inner["total"], inner["end"]):
            break
        top = reached + inner["height"] - trim
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.crop((0, 0, inner["width"], min(inner["total"], inner["end"]))).save(path, compress_level=1)
    return path


def drag_slider(page, label: str, fraction: float) -> tuple[str, str]:
    """Drag the handle of the slider labelled ``label`` to ``fraction`` of its track, as a student would with the
    mouse; return its readout before and after. The label must be shown whole."""
    widget = page.locator(".widget-slider", has=page.locator(".widget-label", has_text=label)).first
    widget.scroll_into_view_if_needed()
    shown = widget.locator(".widget-label").evaluate("e => e.scrollWidth <= e.clientWidth")
    assert shown, f"the slider label {label!r} is cut off"
    readout = widget.locator(".widget-readout")
    before = readout.inner_text()
    track, handle = widget.locator(".noUi-target").bounding_box(), widget.locator(".noUi-handle").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + fraction * track["width"], track["y"] + track["height"] / 2, steps=8)
    page.mouse.up()
    return before, readout.inner_text()


def check_widget(page, notebook: str, label: str, fraction: float) -> str:
    """Move the notebook's main slider; assert that it moved and that the figure its function draws below it is
    redrawn (another image); screenshot the widget; return the readouts, "before → after"."""
    interact = page.locator(".widget-interact", has=page.locator(".widget-label", has_text=label)).first
    figure = interact.locator(".jp-OutputArea-output img").first
    figure.wait_for(state="visible")
    image_before = figure.get_attribute("src")
    before, after = drag_slider(page, label, fraction)
    assert after != before, f"{notebook}: the slider {label!r} did not move ({before})"
    page.wait_for_function(
        """([element, before]) => { const img = element.querySelector('.jp-OutputArea-output img');
                                    return img && img.getAttribute('src') !== before; }""",
        arg=[interact.element_handle(), image_before], timeout=60_000, polling=250)
    interact.screenshot(path=SCREENSHOTS / f"{notebook}.widget.png")
    return f"{before} → {after}"


@dataclass
class LabRun:
    """What running one notebook in JupyterLab gave: its error (None: every cell ran, none shows an error), and the
    widget check's outcome ("before → after" readouts, or the error)."""

    name: str
    error: str | None = None
    seconds: float = 0.0  # from the page's first request to the end of Run All
    checks_seconds: float = 0.0  # the checks, the screenshot and the widget after it
    widget: str | None = None
    widget_error: str | None = None


def _finish(page, run: LabRun) -> None:
    """A notebook's Run All is over: check its cells, screenshot it, move its slider, shut its kernel down. Its tab
    is brought to the front first: headless Chromium draws no frame for a tab behind another, and a screenshot of
    one waited forever (CI, 2026-12-01)."""
    stem = run.name.removesuffix(".ipynb").replace("/", ".")  # fr.01_neurons_and_relu for the French edition's
    page.bring_to_front()
    try:
        check_run(page, run.name)
    except (AssertionError, sync_api.Error) as err:
        run.error = str(err)
    try:
        screenshot_notebook(page, SCREENSHOTS / f"{stem}.png")
    except sync_api.Error as err:
        run.error = run.error or f"{run.name}: no screenshot ({err})"
    widget = next((w for w in WIDGETS if w[0] == Path(run.name).stem), None)
    if widget and run.error is None:
        try:
            run.widget = check_widget(page, *widget)
        except (AssertionError, sync_api.Error) as err:
            run.widget_error = str(err)
    with contextlib.suppress(sync_api.Error):  # free its memory; no need to wait for it
        page.evaluate("() => { window.jupyterapp.shell.currentWidget.sessionContext.shutdown(); }")


@pytest.fixture(scope="module")
def course_runs(lab, lab_dir, context, lab_executed, tmp_path_factory) -> dict[str, LabRun]:
    """Every course notebook run in JupyterLab, ``LANES`` at a time (the longest first), each in its own tab that is
    closed once it is checked: {file name: LabRun}. Each notebook that ran without an error is also kept as JupyterLab
    saved it, with its outputs, in ``lab_executed`` (conftest.py), for the grading tests to hand in. Notebook 01
    runs in its French edition (``FRENCH``): the same code, so that its hand-in grades the same; the English 01 runs
    through in nbgrader's grading."""
    kept = tmp_path_factory.mktemp("lab_executed")
    started = time.time()
    queue = sorted(RUNS, key=lambda n: -EXPECTED_S.get(Path(n).stem[:2], 60))
    lanes: list[tuple | None] = [None] * LANES
    runs: dict[str, LabRun] = {}
    while queue or any(lanes):
        for i, lane in enumerate(lanes):
            if lane is None and queue:
                name, page = queue.pop(0), context.new_page()
                runs[name], start = LabRun(name), time.monotonic()
                try:
                    open_and_run_all(page, lab, name)
                    lanes[i] = (page, runs[name], start)
                except sync_api.Error as err:
                    runs[name].error = f"{name} could not be opened in JupyterLab: {err}"
                    page.close()
            elif lane is not None:
                page, run, start = lane
                over = time.monotonic() - start > NOTEBOOK_TIMEOUT_S
                if over or page.evaluate(_RUN_FINISHED):
                    run.seconds = time.monotonic() - start
                    _finish(page, run)
                    if run.error is None:  # saved by check_run, right after Run All
                        name = Path(run.name).name
                        lab_executed[name] = Path(shutil.copy(lab_dir / run.name, kept / name))
                    run.checks_seconds = time.monotonic() - start - run.seconds
                    if over and run.error is None:
                        run.error = f"{run.name}: Run All did not finish within {NOTEBOOK_TIMEOUT_S} s"
                    page.close()
                    lanes[i] = None
        time.sleep(0.25)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    record = {"started": started, "seconds": time.time() - started} | {k: asdict(v) for k, v in runs.items()}
    (SCREENSHOTS / "runs.json").write_text(json.dumps(record, indent=1))
    return runs


@pytest.mark.parametrize("name", RUNS, ids=[Path(n).stem[:2] for n in RUNS])
def test_notebook_runs_in_jupyterlab(course_runs, name):
    """Run All in JupyterLab: every code cell runs and none shows an error; the screenshot is saved."""
    run = course_runs[name]
    if run.error:
        pytest.fail(run.error, pytrace=False)
    assert (SCREENSHOTS / f"{name.removesuffix('.ipynb').replace('/', '.')}.png").is_file()


@pytest.mark.parametrize("notebook, label, fraction", WIDGETS, ids=[w[0][:2] for w in WIDGETS])
def test_widget_slider_redraws_its_figure(course_runs, notebook, label, fraction):
    """Dragging the notebook's main slider re-runs its function in the kernel, and the figure below it changes."""
    run = course_runs[next(name for name in RUNS if Path(name).stem == notebook)]
    if run.error:
        pytest.fail(f"the notebook did not run, so its widget was not tried:\n{run.error}", pytrace=False)
    if run.widget_error:
        pytest.fail(run.widget_error, pytrace=False)
    assert run.widget and (SCREENSHOTS / f"{notebook}.widget.png").is_file()


# ---------------------------------------------------------------------------------------------------------------
# The tests can fail: a broken cell
# ---------------------------------------------------------------------------------------------------------------


def test_the_french_edition_runs_in_jupyterlab_in_french(course_runs, lab_dir):
    """The French edition's notebook, Run All in JupyterLab: it runs through, its words are French, and so are its
    checks' verdicts and the lines its code prints (the kernel finds the edition from the notebook JupyterLab runs);
    its screenshot is saved."""
    import nbformat

    from coursekit import i18n

    run = course_runs[FRENCH]
    assert run.error is None, run.error
    nb = nbformat.read(lab_dir / FRENCH, as_version=4)
    assert nb.cells[0].source.startswith("# 01 · Neurones et ReLU")
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    passes = i18n.current(i18n.read_catalog(i18n.messages_catalog_path()))["core:passes"].msgstr
    assert passes.format(name="relu") in printed and "✓ relu passes all checks." not in printed
    dense = "✓ dense equals the hand-written sum and torch.nn.functional.linear"  # a line the notebook's code prints
    assert i18n.shown_words("fr").translate(dense) in printed and dense not in printed
    assert (SCREENSHOTS / "fr.01_neurons_and_relu.png").stat().st_size > 100_000


def test_a_broken_cell_fails_with_its_error(lab, lab_dir, context):
    """A fixture notebook (not a course notebook) whose second cell raises: running it the way the course notebooks
    are run fails, and the message carries the cell's error."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise ValueError(f'deliberately broken, x = {x}')"),
        nbformat.v4.new_code_cell("print('never reached')")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, lab_dir / "broken_fixture.ipynb")
    page = context.new_page()
    try:
        with pytest.raises(AssertionError, match=r"cell 1 shows an error: ValueError: deliberately broken, x = 1"):
            run_in_lab(page, lab, "broken_fixture.ipynb", timeout_s=60)
    finally:
        page.close()


# ---------------------------------------------------------------------------------------------------------------
# Slides
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, heading", [(NOTEBOOKS[1].name, "02 · A CNN trained by gradient descent"),
                                         (FRENCH, "01 · Neurones et ReLU")], ids=["en", "fr"])
def test_deck_presents_offline(course_runs, lab_dir, context, tmp_path, name, heading):
    """A deck in each edition (02 in English, 01 in French), built from the copy JupyterLab ran and saved (so it has
    the figures), opened from disk with every network request refused: the first slide shows the notebook's title,
    the slide number shows "1 / total" with the deck's slide count, equations are typeset, and a slide with a figure
    shows it."""
    from coursekit import homework

    if course_runs[name].error:
        pytest.fail(f"the notebook did not run:\n{course_runs[name].error}", pytrace=False)
    first = ROOT / "notebooks" / name
    out = tmp_path / "slides"
    if set(homework.fetch_deck_libraries(out, verbose=False)) != {lib.trait for lib in homework.DECK_LIBRARIES}:
        pytest.skip("the decks' libraries could not be fetched from the npm registry")
    deck = homework.write_slides([first], out, executed_dir=(lab_dir / name).parent, verbose=False)[0]
    shot = name.removesuffix(".ipynb").replace("/", ".")
    total = homework.count_slides(deck.read_text())
    page = context.new_page()
    refused = []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
               else (refused.append(route.request.url), route.abort()))
    try:
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=30_000)
        title = page.locator(".reveal .slides section.present h1").first
        assert title.inner_text().strip() == heading
        assert page.locator(".reveal .slide-number").inner_text().replace(" ", "") == f"1/{total}"
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 && "
                               "document.querySelectorAll('.reveal section.present .MathJax_CHTML').length > 0",
                               timeout=30_000)
        page.screenshot(path=SCREENSHOTS / f"{shot}.slides.png")
        for _ in range(total):  # to the first slide that shows a figure
            if page.locator(".reveal section.present img").count():
                break
            page.keyboard.press("Space")  # reveal.js: the next slide, vertical ones included
            page.wait_for_timeout(400)  # the slide transition
        figure = page.locator(".reveal section.present img").first
        assert figure.evaluate("img => img.complete && img.naturalWidth > 0"), "the deck's figure did not load"
        page.screenshot(path=SCREENSHOTS / f"{shot}.slides_figure.png")
    finally:
        page.close()
    needed = [url for url in refused if any(lib in url.lower() for lib in ("reveal", "jquery", "require", "mathjax"))]
    assert not needed, f"the deck needs the network for {needed}"  # web fonts and mermaid (unused) may be refused
