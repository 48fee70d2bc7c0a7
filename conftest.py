"""pytest runs the unit tests in tests/ and executes every notebook in notebooks/ with nbval, in fast mode.

COURSEKIT_FAST is set here, before any notebook kernel starts, so the kernels inherit it. A value already in the
environment wins: `COURSEKIT_FAST=0 pytest notebooks/` executes the notebooks in full mode.
"""

import os

os.environ.setdefault("COURSEKIT_FAST", "1")
