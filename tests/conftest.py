"""The order of the test run, and what its two long parts share.

1. The tests that time themselves (marker ``timed``) run first, alone on the machine.
2. Then nbgrader starts grading the blank and mistaken submissions of every notebook in the background
   (``nbgrader_course.Grading``), three notebooks at a time, while the other unit tests and the browser tests run.
3. The browser tests run each solution notebook in JupyterLab and keep it as JupyterLab saved it (``lab_executed``).
   Each one saved is handed in to the background grading, which grades it with ``nbgrader autograde
   --no-execute`` once the blank and mistaken submissions are graded, so that each notebook runs once as a solution.
4. The grading tests come last: they wait for the background grading and read the grades.
"""

import shutil
import tempfile
from pathlib import Path

import pytest
import torch

from nbgrader_course import Grading

_LAST = {"test_browser.py": 2, "test_grading.py": 3}
_GRADING: dict = {}


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: 0 if item.get_closest_marker("timed") else _LAST.get(item.path.name, 1))


def _background(session) -> Grading | None:
    """The course graded in the background, begun on first call when the grading tests are part of this run."""
    if "grading" not in _GRADING:
        wanted = any(item.path.name == "test_grading.py" for item in session.items)
        _GRADING["grading"] = Grading(Path(tempfile.mkdtemp(prefix="coursekit-course-"))) if wanted else None
        if wanted:
            _GRADING["grading"].start()
            # three graders' kernels now share the two cores: torch's second thread here would only spin and wait
            torch.set_num_threads(1)
    return _GRADING["grading"]


def pytest_runtest_setup(item):
    if not item.get_closest_marker("timed"):
        _background(item.session)


def pytest_sessionfinish(session):
    """Stop nbgrader if the run ends before the grading tests; remove the course unless a test failed."""
    grading = _GRADING.get("grading")
    if grading is not None:
        grading.stop()
        if not session.testsfailed:
            shutil.rmtree(grading.root, ignore_errors=True)


@pytest.fixture(scope="session")
def grading(request) -> Grading:
    """The nbgrader course of tests/test_grading.py, being graded in the background."""
    return _background(request.session)


class LabExecuted(dict):
    """{file name: the saved copy} of the solution notebooks run and saved in JupyterLab by tests/test_browser.py.
    Each one set is handed in as the "solutions" student's submission to the background grading, which
    grades it with ``nbgrader autograde --no-execute``: one run of each notebook serves both tests."""

    def __init__(self, grading: Grading | None):
        super().__init__()
        self.grading = grading

    def __setitem__(self, name: str, saved: Path) -> None:
        super().__setitem__(name, saved)
        if self.grading is not None:
            self.grading.hand_in(name, saved)


@pytest.fixture(scope="session")
def lab_executed(grading) -> LabExecuted:
    """The solution notebooks run and saved in JupyterLab in this session, empty when the browser tests did not run;
    each handed in to ``grading`` as it is saved."""
    return LabExecuted(grading)
