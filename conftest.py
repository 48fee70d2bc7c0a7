"""pytest runs the tests in tests/ in fast mode: the unit tests while nbgrader grades every notebook in the
background, then every notebook run in JupyterLab (tests/test_browser.py), then the grades checked
(tests/test_grading.py); tests/conftest.py sets that order. `pytest notebooks/NN_name.ipynb` executes one notebook with
nbval.

COURSEKIT_FAST is set here, before any notebook kernel starts, so the kernels inherit it. A value already in the
environment wins: `COURSEKIT_FAST=0 pytest notebooks/` executes the notebooks in full mode.
"""

import os

os.environ.setdefault("COURSEKIT_FAST", "1")

