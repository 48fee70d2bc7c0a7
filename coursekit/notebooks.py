"""Find the course's notebooks and execute them headless, as ``coursekit run`` does.

A notebook is selected by its number ("01", "1"), its file name ("01_neurons_and_relu") or "all". Executing one
writes the executed notebook to ``build/executed/`` and an HTML copy to ``build/html/``, each written to a temporary
file first and renamed, so that an interrupted run leaves no half-written file behind.
"""

from __future__ import annotations

import os
import queue
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client.manager import start_new_kernel
from nbconvert import HTMLExporter
from nbformat.v4 import new_output, output_from_msg

from coursekit.environment import FAST_ENV, LANG_ENV, notebooks_dir, write_atomically

NOTEBOOK_NAME = re.compile(r"^(\d\d)_[A-Za-z0-9_]+\.ipynb$")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class NotebookNotFound(LookupError):
    """No notebook matches what was asked for; the message lists the ones there are."""


def available(folder: Path | None = None) -> dict[str, Path]:
    """The course's notebooks by number, in order: {"01": .../01_neurons_and_relu.ipynb, …}."""
    folder = folder or notebooks_dir()
    found = {}
    for path in sorted(folder.glob("*.ipynb")):
        match = NOTEBOOK_NAME.match(path.name)
        if match:
            found[match.group(1)] = path
    return found


def select(selector: str, folder: Path | None = None) -> list[Path]:
    """The notebooks that ``selector`` names: "all", a number ("01" or "1"), or a file name with or without .ipynb."""
    notebooks = available(folder)
    if selector == "all":
        return list(notebooks.values())
    key = selector.removesuffix(".ipynb")
    if key.isdigit():
        key = key.zfill(2)
        if key in notebooks:
            return [notebooks[key]]
    for path in notebooks.values():
        if path.stem == key:
            return [path]
    listing = ", ".join(path.stem for path in notebooks.values()) or "none found"
    raise NotebookNotFound(f"no notebook {selector!r}; available: {listing} (or 'all')")


@dataclass(frozen=True)
class RunResult:
    """What executing one notebook produced."""

    name: str
    seconds: float
    ok: bool
    executed: Path
    html: Path | None
    error: str = ""


@contextmanager
def _environment(**values: str):
    """Set environment variables for the kernels started inside the block, then restore them."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class KernelDied(RuntimeError):
    """The kernel stopped while a cell ran (out of memory, a crash in a native library)."""


def _start_kernel(kernel_name: str, cwd: Path, stderr, options: dict, attempts: int = 3):
    """A started kernel and its blocking client. The kernel's ports are picked free but bound only once it runs, so
    two kernels started at the same moment (graders in parallel) can pick the same port and one dies at start
    ("Address already in use"): start it again with new ports."""
    for attempt in range(1, attempts + 1):
        try:
            return start_new_kernel(kernel_name=kernel_name, cwd=str(cwd), stderr=stderr, **options)
        except RuntimeError as err:  # "Kernel died before replying to kernel_info"
            if attempt == attempts:
                raise KernelDied(f"the kernel did not start ({attempts} tries): {err}") from err
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


def run_cells(nb, cwd: Path, timeout: float | None = 1800, stderr=None, env: dict | None = None,
              allow_errors: bool = False, kernel_name: str = "python3",
              extra_arguments: list[str] | None = None) -> str:
    """Execute the code cells of the notebook ``nb`` in order in a fresh kernel started in ``cwd``, storing each
    cell's outputs in it as Jupyter would. Returns the first error ("Name: message"), or "" when every cell ran.

    timeout: seconds one cell may run (None: no limit); a cell that runs longer is interrupted and gets a
    ``CellTimeoutError`` output. env: the kernel's environment (default: this process's). allow_errors: go on after a
    cell that fails (as nbgrader does when grading) instead of stopping there. kernel_name, extra_arguments: which
    kernel, and the arguments added to its command line (IPython's history is kept in memory, so that kernels run
    at once do not share a history file).

    A plain blocking client reads the kernel's messages until the cell's "idle" status, as nbval does: nbclient's
    asynchronous client (behind ``jupyter nbconvert --execute`` and nbgrader) was seen to wait forever for the reply
    of a cell that shows an ipywidgets control, while the kernel sat idle (jupyter/nbclient#312).
    """
    options = {"env": env} if env else {}
    options["extra_arguments"] = list(extra_arguments or [])
    if not any(arg.startswith("--HistoryManager.hist_file") for arg in options["extra_arguments"]):
        options["extra_arguments"].append("--HistoryManager.hist_file=:memory:")  # as nbclient does: kernels at once
    km, kc = _start_kernel(kernel_name, cwd, stderr, options)
    first_error = ""
    try:
        count = 0
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            cell.outputs = []
            msg_id = kc.execute(cell.source, allow_stdin=False, stop_on_error=not allow_errors)
            displays: dict[str, list[int]] = {}  # display_id → indices of the outputs it names
            capturing: dict[str, bool] = {}  # comm id of an Output widget → does it capture this cell's output
            clear_pending, error = False, ""
            deadline = None if timeout is None else time.monotonic() + timeout
            timed_out = False
            while True:
                remaining = 5.0 if deadline is None else deadline - time.monotonic()
                if remaining <= 0 and not timed_out:
                    km.interrupt_kernel()  # the cell stops with KeyboardInterrupt; its idle status follows
                    timed_out, deadline = True, time.monotonic() + 60
                    message = f"CellTimeoutError: the cell ran longer than {timeout:.0f} s"
                    cell.outputs.append(new_output("error", ename="CellTimeoutError", evalue="", traceback=[message]))
                    error = f"TimeoutError: a cell ran longer than {timeout:.0f} s"
                    continue
                if remaining <= 0:
                    raise KernelDied(f"the kernel did not stop after an interrupt while running:\n{cell.source[:300]}")
                try:
                    msg = kc.get_iopub_msg(timeout=min(remaining, 5.0))
                except queue.Empty:
                    if not km.is_alive():
                        raise KernelDied(f"the kernel died while running:\n{cell.source[:300]}") from None
                    continue
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "status" and content["execution_state"] == "idle":
                    break
                if kind in ("comm_open", "comm_msg"):
                    state = content.get("data", {}).get("state", {})
                    if "msg_id" in state:  # an ipywidgets Output widget starts, or stops, capturing this cell's output
                        capturing[content["comm_id"]] = state["msg_id"] == msg_id
                    continue
                if kind in ("clear_output", "stream", "display_data", "execute_result") and any(capturing.values()):
                    continue  # the widget's output (interact's figure), shown inside the widget, as Jupyter does
                if kind == "clear_output":
                    if content.get("wait"):
                        clear_pending = True
                    else:
                        cell.outputs, displays = [], {}
                    continue
                if kind == "update_display_data":
                    for i in displays.get(content.get("transient", {}).get("display_id"), []):
                        cell.outputs[i]["data"], cell.outputs[i]["metadata"] = content["data"], content["metadata"]
                    continue
                if kind not in ("stream", "display_data", "execute_result", "error"):
                    continue  # execute_input, comm messages of widgets, …
                if clear_pending:
                    cell.outputs, displays, clear_pending = [], {}, False
                out = output_from_msg(msg)
                last = cell.outputs[-1] if cell.outputs else None
                if kind == "stream" and last is not None and last.get("name") == out.name:
                    last["text"] += out.text
                    continue
                cell.outputs.append(out)
                display_id = content.get("transient", {}).get("display_id")
                if display_id:
                    displays.setdefault(display_id, []).append(len(cell.outputs) - 1)
                if kind == "error" and not error:
                    error = f"{content['ename']}: {content['evalue']}"
            count += 1
            cell.execution_count = count
            for out in cell.outputs:
                if out.output_type == "execute_result":
                    out.execution_count = count
            kc.get_shell_msg(timeout=60)  # the execute_reply, sent before the idle status
            if error and not first_error:
                first_error = ANSI_ESCAPE.sub("", error)
            if error and not allow_errors:
                break
        return first_error
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def execute(path: Path, out_dir: Path, fast: bool, html: bool = True, timeout: int = 1800) -> RunResult:
    """Execute the notebook at ``path`` in a fresh kernel (in its own folder) and save it under ``out_dir``.

    fast: run with ``COURSEKIT_FAST=1`` (small budgets) instead of full mode. The executed notebook is saved even
    when a cell fails, so that the error can be read in it; the kernel's own log goes to ``out_dir/logs/``.
    """
    nb = nbformat.read(path, as_version=4)
    log = out_dir / "logs" / (path.stem + ".kernel.log")  # the kernel's own messages, kept out of the terminal
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    edition = nb.metadata.get("language", "en")  # the checks speak the notebook's language
    with (_environment(**{FAST_ENV: "1" if fast else "0", "MPLBACKEND": "module://matplotlib_inline.backend_inline",
                          LANG_ENV: edition, "JPY_SESSION_NAME": str(path.resolve())}),  # as jupyter-server names it
          log.open("w") as kernel_stderr):
        try:
            error = run_cells(nb, path.parent, timeout=timeout, stderr=kernel_stderr)
        except KernelDied as err:
            error = f"KernelDied: {err}"
    seconds = time.perf_counter() - start

    executed = out_dir / "executed" / path.name
    write_atomically(executed, nbformat.writes(nb))
    html_path = None
    if html:
        body, _ = HTMLExporter().from_notebook_node(nb)
        html_path = out_dir / "html" / (path.stem + ".html")
        write_atomically(html_path, body)
    return RunResult(path.stem, seconds, not error, executed, html_path, error)
