"""The nbgrader course that tests/test_grading.py grades, built the way an instructor builds one.

``Grading`` makes the course with ``coursekit course`` (a subprocess: nothing is printed into the tests' output),
releases every assignment, hands in the blank (in the French edition) and mistaken submissions and has nbgrader
execute and grade them, in a thread of its own: tests/conftest.py starts it once the tests that time themselves are
done, so that nbgrader grades while the other tests run. The same thread then grades each solution the browser
tests hand in (``hand_in``: the notebook as JupyterLab ran and saved it, graded with ``nbgrader autograde
--no-execute``) as soon as it comes.
``finish`` has nbgrader execute the solutions that were not handed in (the browser tests did not run), waits for the
thread and exports the grades.
Every step's time goes to ``build/grading_times.json``.
"""

from __future__ import annotations

import importlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from coursekit import editions, notebooks
from coursekit.environment import LANG_ENV

NOTEBOOKS = notebooks.available()
STUDENTS = ("solutions", "blank", "mistakes")
WORKERS = 3  # notebooks released or graded at once, each kernel's torch on one thread
# the notebooks' grading times here (build/grading_times.json: 188, 132, 113, 97, 94, 64 and 41 s), longest first
LONGEST_FIRST = ["07", "05", "04", "02", "06", "03", "01"]
ORDER = sorted(NOTEBOOKS, key=lambda n: LONGEST_FIRST.index(n) if n in LONGEST_FIRST else -1)
TIMES = Path(__file__).resolve().parents[1] / "build" / "grading_times.json"
# the environment as the test run began: nbgrader runs in a thread beside the other tests, whose monkeypatched
# variables (an edition chosen by COURSEKIT_LANG, a cache folder) must not reach its kernels. The edition of each
# submission is the one in its notebook's metadata, as in a class.
_ENVIRON = {name: value for name, value in os.environ.items() if name != LANG_ENV}


def submission_table(number: str) -> dict:
    """The mistakes student's answers for notebook ``number``: {grade_id: source} (see test_checks_NN.py)."""
    try:
        return importlib.import_module(f"test_checks_{number}").SUBMISSION
    except (ModuleNotFoundError, AttributeError):
        return {}


def _command(args: list[str], cwd: Path, timeout: int, running: set) -> tuple[int, str]:
    """Run ``args`` in ``cwd``; (exit status, its output). While it runs it is in ``running``, so that it can be
    stopped when the test run ends first."""
    # nbgrader runs `alembic` from the environment's bin folder: on the PATH even when the venv is not activated
    path = os.pathsep.join([os.path.dirname(sys.executable), _ENVIRON.get("PATH", "")])
    env = {**_ENVIRON, "PATH": path, "COURSEKIT_FAST": _ENVIRON.get("COURSEKIT_FAST", "1"), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    running.add(process)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        output += f"\n(stopped after {timeout} s)"
    finally:
        running.discard(process)
    return process.returncode, output


def french_version(release, source: Path):
    """The release notebook in the French edition: the words of ``notebooks/fr/``'s copy of ``source`` in its
    markdown cells (the release's code and answer cells as they are), and the edition in its metadata, where the
    checks find it."""
    french = nbformat.read(editions.edition_dir("fr") / source.name, as_version=4)
    words = {cell.id: cell.source for cell in french.cells if cell.cell_type == "markdown"}
    for cell in release.cells:
        if cell.cell_type == "markdown" and not cell.metadata.get("nbgrader", {}).get("solution") and cell.id in words:
            cell.source = words[cell.id]
    release.metadata["language"] = "fr"
    return release


def mistakes_version(release, source, table: dict):
    """The release notebook with the mistakes student's answers: the table's source where it has one, the
    solution (from the source notebook) for the other exercises, the release's blank for written answers not in it."""
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        grade_id = meta["grade_id"]
        if grade_id in table:
            cell.source = table[grade_id]
        elif cell.cell_type == "code":
            cell.source = re.sub(r"^\s*### (BEGIN|END) SOLUTION\n", "", solutions[grade_id], flags=re.M)
    return release


class Grading:
    """The course in ``root``: made, released and graded for the blank and mistaken submissions by ``start`` (in a
    thread), graded for the solutions as ``hand_in`` hands them in, then exported by ``finish``."""

    def __init__(self, root: Path):
        self.root, self.began, self.times = root, time.monotonic(), {}
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._running: set = set()
        self._stopped = False
        self._handed: queue.Queue = queue.Queue()  # (number, saved notebook or None: executed), then None: no more
        self._handed_in: set[str] = set()

    def _run_command(self, what: str, args: list[str], timeout: int = 1800) -> None:
        if self._stopped:
            raise RuntimeError(f"{what}: the test run has ended, nothing more is started")
        start = time.monotonic()
        code, output = _command(args, self.root, timeout, self._running)
        self.times[what] = {"from": round(start - self.began, 1), "seconds": round(time.monotonic() - start, 1)}
        if code != 0:
            raise AssertionError(f"{' '.join(args[2:])}:\n{output}")

    def _nbgrader(self, what: str, *args: str, timeout: int = 1800) -> None:
        self._run_command(what, [sys.executable, "-m", "nbgrader", *args], timeout)

    def stop(self) -> None:
        """Stop what still runs (the test run ended before the grading tests), and start nothing more."""
        self._stopped = True
        for process in list(self._running):
            process.kill()

    def _submit(self, number: str, student: str, solutions: Path | None = None) -> None:
        path = NOTEBOOKS[number]
        release = self.root / "release" / path.stem / path.name
        target = self.root / "submitted" / student / path.stem / path.name
        target.parent.mkdir(parents=True)
        if student == "solutions":
            shutil.copy(solutions or path, target)
        elif student == "blank":  # in French: every notebook of the French edition runs through once
            nbformat.write(french_version(nbformat.read(release, as_version=4), path), target)
        else:
            nb = mistakes_version(nbformat.read(release, as_version=4), nbformat.read(path, as_version=4),
                                  submission_table(number))
            nbformat.write(nb, target)

    def _release(self, number: str) -> None:
        self._nbgrader(f"{number} release", "generate_assignment", NOTEBOOKS[number].stem, "--force", timeout=300)

    def _grade_executed(self, number: str) -> None:
        for student in ("blank", "mistakes"):
            self._submit(number, student)
        self._nbgrader(f"{number} blank and mistakes, executed", "autograde", NOTEBOOKS[number].stem)

    def _made(self) -> None:
        # `coursekit course ROOT`, the instructor's first step, as a command: its output stays out of the tests'
        self._run_command("course", [sys.executable, "-m", "coursekit.cli", "course", str(self.root)], timeout=300)
        self._release(ORDER[0])  # alone: the first one creates the gradebook's tables
        # the students, before graders run at once: each would otherwise add a missing one, and all but one fail
        (self.root / "students.csv").write_text("id,first_name,last_name,email\n" +
                                                "".join(f"{s},{s},student,\n" for s in STUDENTS), encoding="utf-8")
        self._nbgrader("students", "db", "student", "import", "students.csv", timeout=300)
        with ThreadPoolExecutor(WORKERS) as pool:  # then three at a time: the other releases, then the grading
            list(pool.map(self._release, ORDER[1:]))
            list(pool.map(self._grade_executed, ORDER))

    def _grade_solutions(self, number: str, saved: Path | None) -> None:
        self._submit(number, "solutions", saved)
        self._nbgrader(f"{number} solutions" + (", --no-execute" if saved else ", executed"), "autograde",
                       NOTEBOOKS[number].stem, "--student", "solutions", *["--no-execute"] * bool(saved))

    def _run(self) -> None:
        try:
            self._made()
            # then each solution JupyterLab saved, graded as soon as it is handed in, until finish says there are
            # no more: their grading overlaps the browser tests' last notebooks instead of following them
            with ThreadPoolExecutor(WORKERS) as pool:
                graded = [pool.submit(self._grade_solutions, number, saved)
                          for number, saved in iter(self._handed.get, None)]
                for future in graded:
                    future.result()
        except BaseException as err:  # noqa: BLE001 - re-raised in the test that waits for it
            self._error = err

    def start(self) -> None:
        """Begin in a thread of its own (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="nbgrader course", daemon=True)
            self._thread.start()

    def hand_in(self, name: str, saved: Path) -> None:
        """The solution notebook ``name`` as JupyterLab ran and saved it: graded with ``--no-execute`` once the
        blank and mistaken submissions are graded (conftest.py's ``lab_executed`` calls this)."""
        numbers = [n for n, path in NOTEBOOKS.items() if path.name == name]
        if not numbers:
            raise ValueError(f"{name} is not a course notebook: {sorted(p.name for p in NOTEBOOKS.values())}")
        if numbers[0] not in self._handed_in:  # handed in once: a second copy would not replace the first
            self._handed_in.add(numbers[0])
            self._handed.put((numbers[0], saved))

    def finish(self) -> Path:
        """Wait for the thread (the solutions the browser tests did not hand in are executed by nbgrader), export
        the grades; return the course folder."""
        self.start()
        for number in ORDER:
            if number not in self._handed_in:
                self._handed.put((number, None))
        self._handed.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        self._nbgrader("export", "export", "--to", str(self.root / "grades.csv"), timeout=300)
        TIMES.parent.mkdir(parents=True, exist_ok=True)
        TIMES.write_text(json.dumps({"seconds": round(time.monotonic() - self.began, 1), "workers": WORKERS,
                                     **self.times}, indent=1))
        return self.root
