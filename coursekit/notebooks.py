"""Find the course's notebooks and execute them headless, as ``coursekit run`` does.

A notebook is selected by its number ("01", "1"), its file name ("01_neurons_and_relu") or "all". Executing one
writes the executed notebook to ``build/executed/`` and an HTML copy to ``build/html/``, each written to a temporary
file first and renamed, so that an interrupted run leaves no half-written file behind.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from coursekit.runtime import FAST_ENV, notebooks_dir

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


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def execute(path: Path, out_dir: Path, fast: bool, html: bool = True, timeout: int = 1800) -> RunResult:
    """Execute the notebook at ``path`` in a fresh kernel (in its own folder) and save it under ``out_dir``.

    fast: run with ``COURSEKIT_FAST=1`` (small budgets) instead of full mode. The executed notebook is saved even
    when a cell fails, so that the error can be read in it; the kernel's own log goes to ``out_dir/logs/``.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    error = ""
    log = out_dir / "logs" / (path.stem + ".kernel.log")  # the kernel's own messages, kept out of the terminal
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with (_environment(**{FAST_ENV: "1" if fast else "0", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}),
          log.open("w") as kernel_stderr):
        try:
            client.execute(stderr=kernel_stderr)
        except CellExecutionError as err:
            lines = ANSI_ESCAPE.sub("", str(err)).strip().splitlines()
            error = lines[-1] if lines else type(err).__name__
    seconds = time.perf_counter() - start

    executed = out_dir / "executed" / path.name
    _write_atomically(executed, nbformat.writes(nb))
    html_path = None
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        html_path = out_dir / "html" / (path.stem + ".html")
        _write_atomically(html_path, body)
    return RunResult(path.stem, seconds, not error, executed, html_path, error)
