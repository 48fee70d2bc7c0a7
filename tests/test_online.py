"""Notebooks 02, 04, 06 and 07 executed on their online path, the one an instructor with a network runs first.

Their data and VGG-19's weights come from a class's mirror (``COURSEKIT_MIRROR``) served from 127.0.0.1, into an
empty cache: the stand-ins of ``standins.online_files()``, in the real formats, made by the tests (MNIST holds font
digits and the facades archive rendered façades, so that the notebooks learn from them; VGG-19's weights are random).
Each notebook's kernel takes the stand-ins' checksums in place of the real files' before its first cell
(``--IPKernelApp.exec_files``), then runs every cell in fast mode with ``coursekit.notebooks.run_cells``, as
``coursekit run`` does: the notebooks' own asserts check what they show. Two notebooks run at once: the test run's
other kernels (nbgrader's) are done by then, and each kernel's torch runs on one thread.
"""

import gzip
import hashlib
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

import standins
from coursekit import notebooks
from coursekit.environment import FAST_ENV, MIRROR_ENV

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TESTS = Path(__file__).resolve().parent

# what each notebook loads on its online path: the mirror's files it must ask for, and the line each load prints
ONLINE = {
    "02_cnn_classification": (["MNIST/raw/train-images-idx3-ubyte.gz", "MNIST/raw/t10k-images-idx3-ubyte.gz"],
                              ["data · digits · real: MNIST train", "MNIST test set: "]),
    "04_pixelcnn": (["MNIST/raw/train-images-idx3-ubyte.gz"], ["data · digits · real: MNIST train"]),
    "06_style_transfer": (["vgg19-dcbb9e9d.pth"], ["features · VGG-19", "style layers: relu1_1"]),
    "07_gans_and_pix2pix": (["facades.tar.gz"], ["data · facades · real: CMP Facades (pix2pix) train"]),
}
LONGEST_FIRST = ["07_gans_and_pix2pix", "06_style_transfer", "04_pixelcnn", "02_cnn_classification"]  # 65, 65, 41, 29 s


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _kept(name: str, served: dict[str, bytes]) -> dict[str, str]:
    """{file in the cache: the SHA-256 it must have} once ``name`` has run: the stand-ins, downloaded whole and kept
    as the course keeps them (MNIST's files unzipped, VGG-19's weights as they are, the facades archive's digest)."""
    def unzipped(path: str) -> str:
        return _sha256(gzip.decompress(served[path]))

    mnist = {f"MNIST/raw/{f}-idx{k}-ubyte": unzipped(f"MNIST/raw/{f}-idx{k}-ubyte.gz")
             for f, k in (("train-images", 3), ("train-labels", 1), ("t10k-images", 3), ("t10k-labels", 1))}
    pinned = (_sha256(served["facades.tar.gz"]) + "\n").encode()  # the archive's digest, pinned on first use
    return {"02_cnn_classification": mnist, "04_pixelcnn": mnist,
            "06_style_transfer": {"vgg19-dcbb9e9d.pth": _sha256(served["vgg19-dcbb9e9d.pth"])},
            "07_gans_and_pix2pix": {"facades.tar.gz.sha256": _sha256(pinned)}}[name]


@dataclass
class OnlineRun:
    """One notebook run on its online path: its error ("" if none), the notebook with its outputs, the mirror's
    files it asked for, and the SHA-256 of each file its cache must keep (None: missing)."""

    error: str
    nb: object
    asked: set
    kept: dict


def _run_online(name: str, env: dict, arguments: list, folder: Path) -> OnlineRun:
    """Run notebook ``name`` on its online path, with an empty cache of its own and the mirror under /NAME/mirror/
    (so that what it asks for is told apart from what the other notebook running beside it asks for)."""
    cache = folder / "cache"
    env = {**env, "COURSEKIT_DATA": str(cache), MIRROR_ENV: env[MIRROR_ENV].replace("/mirror/", f"/{name}/mirror/")}
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    try:
        with (folder / "kernel.log").open("w") as log:
            error = notebooks.run_cells(nb, NOTEBOOKS, timeout=600, stderr=log, env=env, extra_arguments=arguments)
        kept = {path: _sha256((cache / path).read_bytes()) if (cache / path).is_file() else None
                for path in _kept(name, standins.online_files())}
    finally:
        shutil.rmtree(cache, ignore_errors=True)  # VGG-19's stand-in alone is 575 MB
    nbformat.write(nb, folder / f"{name}.ipynb")  # kept by pytest's tmp_path, to read when a cell failed
    error = error and f"{error} (executed copy: {folder / name}.ipynb)"
    asked = {path.removeprefix(f"/{name}/mirror/") for path in standins.Handler.asked
             if path.startswith(f"/{name}/mirror/")}
    return OnlineRun(error, nb, asked, kept)


@pytest.fixture(scope="module")
def online_runs(tmp_path_factory) -> dict[str, OnlineRun]:
    """Every notebook of ``ONLINE`` run on its online path, two at a time (longest first; each kernel's torch on one
    thread, so that two share the two cores): the stand-ins served as a mirror at http://127.0.0.1:PORT/NAME/mirror/,
    and a file that gives the kernels their checksums."""
    root = tmp_path_factory.mktemp("online")
    served = standins.online_files()
    startup = root / "standin_checksums.py"
    startup.write_text("import json as _json, sys as _sys\n"
                       f"_sys.path.insert(0, {str(TESTS)!r})\n"
                       "import standins as _standins\n"
                       f"_standins.apply_checksums(_json.loads({json.dumps(standins.checksums(served))!r}))\n"
                       "del _json, _sys, _standins\n")
    with standins.serve() as (files, url):
        files.update({f"/{name}/mirror/{path}": body for name in ONLINE for path, body in served.items()})
        # OMP_NUM_THREADS=1: torch on one thread, as in the other kernels of the test run (tests/conftest.py)
        env = {**os.environ, FAST_ENV: "1", MIRROR_ENV: url + "/mirror/", "OMP_NUM_THREADS": "1",
               "TORCH_HOME": str(root / "torch"), "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
        folders = {name: tmp_path_factory.mktemp(name) for name in ONLINE}
        with ThreadPoolExecutor(2) as pool:
            runs = {name: pool.submit(_run_online, name, env, [f"--IPKernelApp.exec_files={startup}"], folders[name])
                    for name in LONGEST_FIRST}
            return {name: run.result() for name, run in runs.items()}


@pytest.mark.parametrize("name", list(ONLINE))
def test_notebook_runs_on_its_online_path(name, online_runs):
    run = online_runs[name]
    assert run.error == "", f"{name} failed on its online path: {run.error}"
    wanted, printed = ONLINE[name]
    assert set(wanted) <= run.asked, f"{name} did not download {sorted(set(wanted) - run.asked)} from the mirror"
    text = "\n".join(out.get("text", "") for cell in run.nb.cells if cell.cell_type == "code" for out in cell.outputs)
    for line in printed:
        assert line in text, f"{name} never printed {line!r}: it did not run on the downloaded data"
    assert "unavailable" not in text, "a download failed and the notebook fell back to its embedded stand-in"
    assert run.kept == _kept(name, standins.online_files()), "the cache does not hold the stand-ins, whole"
