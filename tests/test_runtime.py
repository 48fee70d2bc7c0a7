"""The runtime helpers: fast-mode switch, budgets, device choice, seeds, folders, show()."""

import random

import numpy as np
import pytest
import torch

import coursekit as ck
from coursekit import environment, runtime


@pytest.mark.parametrize(("value", "fast"), [("1", True), ("0", False), ("", False), (" 1 ", True)])
def test_fast_mode_reads_the_environment(monkeypatch, value, fast):
    monkeypatch.setenv("COURSEKIT_FAST", value)
    assert ck.is_fast() is fast
    assert ck.budget(fast="small", full="large") == ("small" if fast else "large")
    assert ck.mode_name() == ("fast" if fast else "full")


def test_fast_mode_unset_is_full(monkeypatch):
    monkeypatch.delenv("COURSEKIT_FAST", raising=False)
    assert ck.is_fast() is False


@pytest.mark.parametrize("value", ["yes", "true", "2", "on", "fast"])
def test_fast_mode_refuses_unexpected_values(monkeypatch, value):
    monkeypatch.setenv("COURSEKIT_FAST", value)
    with pytest.raises(ValueError, match=r"COURSEKIT_FAST=1 for fast mode") as err:
        ck.is_fast()
    assert repr(value) in str(err.value)


def test_device_default_is_available():
    dev = ck.device()
    assert torch.zeros(1, device=dev).device.type == dev.type
    if not torch.cuda.is_available():
        assert dev.type in ("cpu", "mps")


def test_device_cpu_by_name():
    assert ck.device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_missing_gpu_is_explained():
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        ck.device("cuda")


def test_device_name_typo_is_explained():
    with pytest.raises(ValueError, match="not a device name"):
        ck.device("gpu0")


def test_seed_everything_repeats_every_generator():
    def draw():
        return random.random(), np.random.rand(), torch.rand(3)

    ck.seed_everything(7)
    a = draw()
    ck.seed_everything(7)
    b = draw()
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])
    ck.seed_everything(8)
    assert not torch.equal(draw()[2], a[2])


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_seed_must_be_a_natural_number(seed):
    with pytest.raises(ValueError, match="seed"):
        ck.seed_everything(seed)


def test_setup_prints_device_and_mode(monkeypatch, capsys):
    monkeypatch.setenv("COURSEKIT_FAST", "1")
    dev = ck.setup(seed=3)
    line = capsys.readouterr().out
    assert f"device: {dev}" in line and "fast mode" in line and "seed 3" in line


def test_data_dir_is_overridable(monkeypatch, tmp_path):
    target = tmp_path / "cache" / "coursekit"
    monkeypatch.setenv("COURSEKIT_DATA", str(target))
    assert ck.data_dir() == target
    assert target.is_dir()


def test_data_dir_default_is_ignored_downloads_folder(monkeypatch):
    monkeypatch.delenv("COURSEKIT_DATA", raising=False)
    assert ck.data_dir() == environment.PROJECT_ROOT / "data" / "downloads"


def test_data_dir_that_cannot_be_created_is_explained(monkeypatch, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSEKIT_DATA", str(blocker / "sub"))
    with pytest.raises(RuntimeError, match="COURSEKIT_DATA"):
        ck.data_dir()


def test_shipped_folders_exist():
    assert (ck.shipped_dir() / "README.md").is_file()
    assert environment.notebooks_dir().is_dir()


def test_show_prints_annotated_source(capsys):
    ck.show(ck.neuron.dense)  # outside IPython it prints
    out = capsys.readouterr().out
    assert out.startswith("# coursekit/neuron.py:")
    assert "def dense(" in out and "y_j = Σ_i w_ij x_i" in out


def test_show_refuses_objects_without_source():
    with pytest.raises(TypeError, match="show"):
        ck.show(3)


def test_progress_is_quiet_in_fast_mode(monkeypatch, capsys):
    monkeypatch.setenv("COURSEKIT_FAST", "1")
    assert list(ck.progress(range(3), desc="quiet")) == [0, 1, 2]
    assert "quiet" not in capsys.readouterr().err


def test_in_batches_gives_what_one_call_gives():
    x, labels = torch.randn(10, 3), torch.arange(10)
    assert torch.equal(runtime.in_batches(lambda a, b: a * b[:, None], x, labels, batch_size=3), x * labels[:, None])
    assert torch.equal(runtime.in_batches(lambda a, b: a if b is None else -a, x, None, batch_size=4), x)


def test_write_atomically_replaces_a_file_whole_readable_by_all(tmp_path):
    target = tmp_path / "sub" / "notes.txt"
    environment.write_atomically(target, "é first")
    assert target.read_text(encoding="utf-8") == "é first" and target.stat().st_mode & 0o777 == 0o644
    environment.write_atomically(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    with pytest.raises(RuntimeError), environment.atomic_file(target) as f:
        f.write(b"half")
        raise RuntimeError("the writer fails midway")
    assert target.read_bytes() == b"\x00bytes" and sorted(p.name for p in target.parent.iterdir()) == ["notes.txt"]


def test_the_course_folders_say_how_to_install_when_missing(monkeypatch, tmp_path):
    assert environment.shipped_dir() == environment.PROJECT_ROOT / "data"
    monkeypatch.setattr(environment, "PROJECT_ROOT", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"notebooks/ folder is not at .*pip install -e"):
        environment.notebooks_dir()


def test_in_batches_writes_one_result_per_item_or_refuses():
    x = torch.arange(10.0)
    assert torch.equal(runtime.in_batches(lambda b: b * 2, x, batch_size=4), x * 2)
    assert torch.equal(runtime.in_batches(lambda a, none: a + 1, x, None, batch_size=3), x + 1)  # None passed on
    with pytest.raises(ValueError, match="one result per item: 1 for a slice of 4"):
        runtime.in_batches(lambda b: b.sum(0, keepdim=True), x, batch_size=4)
    with pytest.raises(ValueError, match="at least one item"):
        runtime.in_batches(lambda b: b, x[:0], batch_size=4)
