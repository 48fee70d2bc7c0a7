"""The course's environment, without torch: its settings, its folders, its version, and files written whole.

- ``COURSEKIT_FAST=1`` chooses the fast mode (``is_fast``, ``budget``, ``mode_name``): small budgets, the same code;
- ``COURSEKIT_DATA`` chooses the folder of downloads (``data_dir``), ``COURSEKIT_MIRROR`` a class's mirror that
  every download comes from (``mirror``);
- the checkout's folders beside ``coursekit/`` (``course_folder``, ``shipped_dir``, ``notebooks_dir``);
- files that readers see whole or not at all (``atomic_file``, ``write_atomically``).

It imports neither torch nor anything of the package, so that what only handles files starts at once: nbgrader
loads ``coursekit.grading`` in every one of its commands, in 2.3 CPU-s rather than 6 (``tests/test_imports.py``
checks that no torch comes with it). The helpers that need torch (the device, the seeds, ``setup``, batches,
display) are in ``coursekit.runtime``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

FAST_ENV = "COURSEKIT_FAST"
LANG_ENV = "COURSEKIT_LANG"  # the edition whose words coursekit prints: en or fr (coursekit.i18n.language)
DATA_ENV = "COURSEKIT_DATA"
MIRROR_ENV = "COURSEKIT_MIRROR"

# The folder of the package's checkout: notebooks/, data/ and build/ sit beside coursekit/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def is_fast() -> bool:
    """True when ``COURSEKIT_FAST=1``; False when it is unset, empty or ``0``.

    Any other value is refused rather than guessed at: ``COURSEKIT_FAST=yes`` would otherwise silently mean "full
    mode" to one reader and "fast mode" to another.
    """
    value = os.environ.get(FAST_ENV, "").strip()
    if value in ("", "0"):
        return False
    if value == "1":
        return True
    raise ValueError(
        f"{FAST_ENV}={value!r} is not understood: set {FAST_ENV}=1 for fast mode (small budgets, as in the tests) "
        f"or {FAST_ENV}=0 (or leave it unset) for full mode."
    )


def budget(*, fast: T, full: T) -> T:
    """The value for the current mode: ``fast`` under ``COURSEKIT_FAST=1``, ``full`` otherwise.

    >>> steps = budget(fast=200, full=3000)
    """
    return fast if is_fast() else full


def mode_name() -> str:
    """``"fast"`` or ``"full"``, for the line a notebook prints in its setup cell."""
    return "fast" if is_fast() else "full"


def data_dir() -> Path:
    """Where downloaded datasets and weights are cached (created on first use).

    ``COURSEKIT_DATA`` chooses the folder. Otherwise it is ``data/downloads/`` of this checkout (ignored by git), or,
    when the package is installed without its checkout, ``~/.cache/coursekit``.
    """
    chosen = os.environ.get(DATA_ENV, "").strip()
    if chosen:
        path = Path(chosen).expanduser()
    elif (PROJECT_ROOT / "data").is_dir():
        path = PROJECT_ROOT / "data" / "downloads"
    else:
        path = Path.home() / ".cache" / "coursekit"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RuntimeError(
            f"the data folder {path} cannot be created ({err.strerror}); set {DATA_ENV} to a folder you can write to."
        ) from err
    return path


def mirror() -> str | None:
    """The class's mirror that every download comes from, when ``COURSEKIT_MIRROR`` is set: a base URL
    (``https://…``, ``http://…``, ``file://…``) or a folder, returned as a URL without its trailing slash. None when
    the setting is unset or empty: downloads come from the datasets' own servers. ``coursekit mirror DIR`` fills one.
    """
    chosen = os.environ.get(MIRROR_ENV, "").strip()
    if not chosen:
        return None
    if "://" in chosen:
        if chosen.split("://")[0].lower() not in ("http", "https", "file"):
            raise ValueError(f"{MIRROR_ENV}={chosen!r}: a mirror's URL starts with https://, http:// or file://.")
        return chosen.rstrip("/")
    folder = Path(chosen).expanduser()
    if not folder.is_dir():
        raise ValueError(f"{MIRROR_ENV}={chosen!r} is neither a URL (https://…, http://…, file://…) nor a folder "
                         f"here: set it to your class's mirror, or unset it to download from the datasets' servers.")
    return folder.resolve().as_uri()


def course_folder(name: str) -> Path:
    """A folder of the course's checkout beside ``coursekit/`` (``data``, ``notebooks``), which an installed package
    without its checkout does not have: ``FileNotFoundError`` then says how to install it."""
    path = PROJECT_ROOT / name
    if not path.is_dir():
        raise FileNotFoundError(
            f"the course's {name}/ folder is not at {path}: install coursekit from a clone of the course with "
            '`python -m pip install -e ".[dev]"`.'
        )
    return path


def shipped_dir() -> Path:
    """The course's own ``data/`` folder (checkpoints, reference arrays, sources and licences)."""
    return course_folder("data")


def notebooks_dir() -> Path:
    """The course's ``notebooks/`` folder (the solution versions)."""
    return course_folder("notebooks")


def package_version() -> str:
    """The installed coursekit's version (pyproject.toml's), as ``ck.setup`` prints it."""
    try:
        return version("coursekit")
    except PackageNotFoundError:  # the source tree on sys.path without being installed
        return "(not installed)"


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "wb"):
    """Open a temporary file beside ``path`` for writing and yield it; when the block ends without an error, the file
    replaces ``path`` in one rename, readable by all (mode 644, whatever the umask). A crash or an error leaves
    ``path`` as it was and no partial file behind. The folder is created when missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=path.name + ".", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
        os.chmod(partial, 0o644)  # mkstemp makes the file private
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def write_atomically(path: Path, content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8, or bytes) to ``path`` through ``atomic_file``: whoever reads ``path`` sees
    the old file or the whole new one, never half of it. Returns ``path``."""
    with atomic_file(path, "wb" if isinstance(content, bytes) else "w") as f:
        f.write(content)
    return Path(path)
