"""The order of the test run, and what its two long parts share.

1. The tests that time themselves (marker ``timed``) run first, alone on the machine.
2. Then nbgrader starts grading the blank and mistaken submissions of every notebook in the background
   (``nbgrader_course.Grading``), three notebooks at a time, while the other unit tests and the browser tests run.
3. The browser tests run each solution notebook in JupyterLab and keep it as JupyterLab saved it (``lab_executed``).
4. The grading tests come last: they wait for the background grading, hand in those saved solutions and grade them
   with ``nbgrader autograde --no-execute``, so that each notebook runs once as a solution.
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


@pytest.fixture(scope="session")
def lab_executed() -> dict:
    """The solution notebooks run and saved in JupyterLab by tests/test_browser.py in this session, {file name: the
    saved copy}, empty when the browser tests did not run. tests/test_grading.py hands them in as the "solutions"
    student's submissions, graded with ``nbgrader autograde --no-execute``: one run of each notebook serves both."""
    return {}
