"""Grading the labs with nbgrader: the course folder, the executor it grades with, and what each lab asks.

- ``nbgrader_course`` (``coursekit course DIR``) makes an nbgrader course folder: one assignment per notebook in
  ``source/`` and an ``nbgrader_config.py``. ``nbgrader generate_assignment`` then writes the student versions,
  ``nbgrader autograde`` executes the submissions and grades them: it puts back the hidden line of every check cell,
  so that a blank exercise scores 0 (see ``coursekit.checks.core``).
- ``BlockingExecute`` is the executor that configuration gives ``nbgrader autograde``: nbgrader's own ``Execute``
  preprocessor, with the cells run by ``coursekit.notebooks.run_cells`` instead of nbclient. nbclient waited forever
  here for the reply of a cell that shows an ipywidgets control, the kernel idle (jupyter/nbclient#312): one cell of
  notebooks 05 and 07, one run in a few, under load. Errors, timeouts and the kernel's arguments are nbgrader's.
- ``lab_facts`` counts what a notebook grades and asks: exercises, points, words, lines of solution code.

nbgrader is a development dependency (``pip install -e ".[dev]"``): this module imports it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader.preprocessors import Execute

from coursekit.notebooks import run_cells
from coursekit.environment import write_atomically

NBGRADER_CONFIG = """\
# nbgrader's configuration for the course "image generation with deep learning" (written by `coursekit course`)
from coursekit.grading import BlockingExecute
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute

c = get_config()
c.CourseDirectory.root = {root!r}
# One gradebook. Several `nbgrader autograde` run at once (one per student, say) wait for it instead of failing.
c.CourseDirectory.db_url = {db_url!r}
# A cell may train a network for minutes in full mode; nbgrader's default (30 s per cell) would cut it off.
c.Execute.timeout = {timeout}
# Execute with a blocking kernel client: nbgrader's default (nbclient) can wait forever after a slider's cell.
c.Autograde.autograde_preprocessors = [BlockingExecute if p is Execute else p
                                       for p in Autograde.class_traits()["autograde_preprocessors"].default()]
"""


class BlockingExecute(Execute):
    """nbgrader's ``Execute`` preprocessor (same configuration: ``c.Execute.timeout``, ``extra_arguments``), whose
    cells are run by ``coursekit.notebooks.run_cells``: every cell, errors included, as nbgrader does."""

    def preprocess(self, nb, resources=None, km=None):
        resources = resources or {}
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        kernel = nb.metadata.get("kernelspec", {}).get("name") or "python3"
        run_cells(nb, folder, timeout=self.timeout, allow_errors=True, kernel_name=kernel,
                  extra_arguments=self.extra_arguments)
        return nb, resources


def nbgrader_course(root: Path, paths: list[Path], timeout: int = 1800) -> list[str]:
    """Make ``root`` an nbgrader course folder for the notebooks at ``paths``: its ``nbgrader_config.py`` and one
    assignment per notebook, named after it ("01_neurons_and_relu"), in ``source/``. Returns the assignments' names.

    Then, in ``root``: ``nbgrader generate_assignment 01_neurons_and_relu`` writes the student version to
    ``release/``; submissions go to ``submitted/<student>/<assignment>/``; ``nbgrader autograde <assignment>`` grades
    them (``COURSEKIT_FAST=1`` in its environment grades in fast mode: the checks are the same, the training shorter).
    A notebook already in ``source/`` is replaced by the course's current version.
    """
    root = Path(root).resolve()
    config = NBGRADER_CONFIG.format(root=str(root), db_url=f"sqlite:///{root / 'gradebook.db'}?timeout=300",
                                    timeout=timeout)
    write_atomically(root / "nbgrader_config.py", config)
    names = []
    for path in paths:
        write_atomically(root / "source" / path.stem / path.name, path.read_text(encoding="utf-8"))
        names.append(path.stem)
    return names


def lab_facts(path: Path) -> dict[str, float]:
    """What a notebook asks of a student, counted: {"exercises", "exercise points" (auto-graded code cells),
    "written", "written points" (graded markdown answers, read by the instructor), "words" (of the prose a student
    reads: markdown cells other than the reference answers), "solution lines" (non-blank lines of code between the
    solution markers of the exercise cells)}. The first cell of each notebook states these numbers; a test holds
    them to it."""
    facts = {"exercises": 0, "exercise points": 0.0, "written": 0, "written points": 0.0, "words": 0,
             "solution lines": 0}
    for cell in nbformat.read(path, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            kind = "exercise" if cell.cell_type == "code" else "written"
            facts["exercises" if kind == "exercise" else "written"] += 1
            facts[f"{kind} points"] += float(meta.get("points", 0))
        if cell.cell_type == "markdown" and not meta.get("solution"):
            facts["words"] += len(cell.source.split())
        if cell.cell_type == "code" and meta.get("solution"):
            inside = False
            for line in cell.source.splitlines():
                if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                    inside = "BEGIN" in line
                elif inside and line.strip() and not line.strip().startswith("#"):
                    facts["solution lines"] += 1
    return facts
