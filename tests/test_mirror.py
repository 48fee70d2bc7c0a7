"""A class's mirror (``COURSEKIT_MIRROR``, ``coursekit mirror DIR``) and a shared cache that is read, never written.

The datasets' servers are stood in for by a mirror served from 127.0.0.1, holding small files in the real formats
(``standins.py``): ``coursekit mirror`` copies it into a folder, then every dataset and VGG-19's weights load from
that folder, through the course's own loaders and torchvision's, into an empty cache.
"""

import os
from pathlib import Path

import pytest
import torch

import coursekit as ck
import standins  # beside this file, as conftest.py imports nbgrader_course
from coursekit import cli, environment, features, mirror
from coursekit.data import download as dl


@pytest.fixture
def served(monkeypatch):
    """The stand-ins served at http://127.0.0.1:PORT/mirror/, their checksums in torchvision's tables."""
    standins.use_checksums(monkeypatch)
    with standins.serve() as (files, url):
        files.update({f"/mirror/{path}": body for path, body in standins.files().items()})
        yield url + "/mirror/"


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # torchvision's own cache: never used here
    return tmp_path / "cache"


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def test_the_setting_is_a_url_or_a_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSEKIT_MIRROR", raising=False)
    assert environment.mirror() is None
    assert dl.mirrored("https://example.org/a/b.gz", "X/b.gz") == "https://example.org/a/b.gz"
    monkeypatch.setenv("COURSEKIT_MIRROR", "https://hub.example.edu/course-data/")
    assert dl.mirrored("https://example.org/a/b.gz", "X/b.gz") == "https://hub.example.edu/course-data/X/b.gz"
    monkeypatch.setenv("COURSEKIT_MIRROR", str(tmp_path))
    assert environment.mirror() == tmp_path.resolve().as_uri()
    monkeypatch.setenv("COURSEKIT_MIRROR", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="neither a URL .* nor a folder"):
        environment.mirror()


def test_the_mirror_layout_names_every_download():
    paths = [f.path for f in mirror.mirror_files()]
    assert paths[:8] == [f"{kind}/raw/{name}" for kind in ("MNIST", "FashionMNIST")
                         for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                      "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")]
    assert paths[8:] == ["cifar-10-python.tar.gz", "facades.tar.gz", "vgg19-dcbb9e9d.pth"]
    from torchvision.models import VGG19_Weights
    assert VGG19_Weights.IMAGENET1K_V1.url.endswith("/" + features.VGG19_FILE), "torchvision's own file name"


def test_a_class_fills_a_mirror_then_loads_everything_from_it(served, empty_cache, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "class-mirror"
    monkeypatch.setenv("COURSEKIT_MIRROR", served)  # the instructor fills the folder from a mirror that is up
    assert cli.main(["mirror", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.count("downloaded") == 11 and "facades.tar.gz" in out and "SHA-256" in out
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == sorted(standins.files())
    assert cli.main(["mirror", str(folder)]) == 0 and capsys.readouterr().out.count("kept") == 11  # idempotent

    standins.Handler.asked.clear()
    monkeypatch.setenv("COURSEKIT_MIRROR", str(folder))  # the class: the folder on the hub's disk
    digits = ck.data.load("digits", source="real", verbose=False)
    fashion = ck.data.load("fashion", split="test", source="real", verbose=False)
    natural = ck.data.load("natural", source="real", verbose=False)
    facades = ck.data.load("facades", source="real", size=64, verbose=False)
    extractor = features.feature_extractor("auto", verbose=False)
    assert standins.Handler.asked == [], "nothing came from the network"
    assert digits.real and digits.images.shape == (6, 1, 28, 28) and digits.labels.tolist() == list(range(6))
    assert fashion.real and fashion.labels.tolist() == [9, 2, 6, 3]
    assert natural.real and natural.images.shape == (10, 3, 32, 32)
    assert facades.real and facades.images.shape == (1, 3, 64, 64)
    assert isinstance(extractor, features.VGGFeatures) and extractor.pretrained, "loaded by torchvision's code"
    expected = torch.load(folder / features.VGG19_FILE, weights_only=True)["features.0.weight"]
    assert torch.equal(extractor.layers["conv1_1"].weight, expected)
    assert not (tmp_path / "torch").exists(), "torchvision unpickles nothing from a mirror"


def test_a_mirror_file_with_another_checksum_is_refused(served, empty_cache, monkeypatch):
    monkeypatch.setenv("COURSEKIT_MIRROR", served)
    monkeypatch.setattr(features, "VGG19_SHA256_PREFIX", "00000000")
    with pytest.raises(RuntimeError, match="checksum"):
        features.feature_extractor("vgg", verbose=False)
    assert not features.vgg19_weights_file().exists()
    assert standins.Handler.asked == ["/mirror/" + features.VGG19_FILE]


def test_a_shared_cache_is_read_and_never_written(served, empty_cache, monkeypatch):
    monkeypatch.setenv("COURSEKIT_MIRROR", served)
    for name in ("digits", "fashion", "natural"):  # the instructor fills the class's cache once
        ck.data.load(name, source="real", verbose=False)
    ck.data.load("facades", source="real", size=64, verbose=False)
    features.vgg19()
    os.chmod(empty_cache, 0o555)  # then shares it read-only (root could still write: the snapshot is the check)
    before = _snapshot(empty_cache)
    monkeypatch.delenv("COURSEKIT_MIRROR")
    standins.Handler.asked.clear()
    try:
        for split in ("train", "test"):
            for name in ("digits", "fashion", "natural", "facades"):
                assert ck.data.load(name, split=split, source="real", size=64 if name == "facades" else None,
                                    verbose=False).real
        assert features.vgg19().pretrained
    finally:
        os.chmod(empty_cache, 0o755)
    assert _snapshot(empty_cache) == before and standins.Handler.asked == []


def test_checksums_are_whole_md5s_or_sha256_prefixes(tmp_path):
    with pytest.raises(ValueError, match="32 hex digits"):
        dl.download("http://127.0.0.1:1/x", tmp_path / "x", md5="abc")
    with pytest.raises(ValueError, match="8 to 64 hex digits"):
        dl.download("http://127.0.0.1:1/x", tmp_path / "x", sha256="abc")
