"""Downloads and real datasets, against a local HTTP server on 127.0.0.1 that serves tiny files in the real formats."""

import gzip
import hashlib
import http.server
import io
import struct
import tarfile
import threading

import numpy as np
import pytest
import torch
import torchvision.datasets as tvd
from PIL import Image

import coursekit as ck
from coursekit.data import download as dl
from coursekit.data import real


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict = {}

    def do_GET(self):  # noqa: N802 - the name http.server calls
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        if self.path.startswith("/cut/"):  # announce the whole file, send half, hang up
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Handler.files = {}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield _Handler.files, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("COURSEKIT_DATA", str(folder))
    return folder


UNREACHABLE = "http://127.0.0.1:1/"  # nothing listens on port 1: connection refused at once


def _leftovers(folder):
    return [p.name for p in folder.rglob("*") if p.name.endswith(".partial")]


# ----------------------------------------------------------------------------------------------------------- download
def test_good_download_is_verified_and_kept(server, tmp_path):
    files, url = server
    files["/a.bin"] = b"coursekit" * 1000
    dest = dl.download(url + "/a.bin", tmp_path / "a.bin", sha256=hashlib.sha256(files["/a.bin"]).hexdigest())
    assert dest.read_bytes() == files["/a.bin"]
    files.clear()  # a second call uses the cached, verified file without the network
    assert dl.download(url + "/a.bin", dest, sha256=hashlib.sha256(dest.read_bytes()).hexdigest()) == dest


def test_checksum_mismatch_raises_and_leaves_no_file(server, tmp_path):
    files, url = server
    files["/a.bin"] = b"tampered"
    with pytest.raises(dl.DownloadError, match="expected sha256 checksum"):
        dl.download(url + "/a.bin", tmp_path / "a.bin", sha256="0" * 64)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_transfer_leaves_no_partial_file(server, tmp_path):
    files, url = server
    files["/cut/big.bin"] = bytes(200_000)
    with pytest.raises(dl.DownloadError, match="interrupted"):
        dl.download(url + "/cut/big.bin", tmp_path / "big.bin")
    assert list(tmp_path.iterdir()) == []


def test_unreachable_host_raises_unreachable(tmp_path):
    with pytest.raises(dl.Unreachable, match="cannot reach"):
        dl.download(UNREACHABLE + "x.bin", tmp_path / "x.bin", timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_http_error_is_a_download_error(server, tmp_path):
    _, url = server
    with pytest.raises(dl.DownloadError, match="HTTP 404"):
        dl.download(url + "/missing.bin", tmp_path / "missing.bin")


def _tar(members: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_archive_member_escaping_its_folder_is_refused(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(_tar({"good.txt": b"ok", "../evil.txt": b"pwned"}))
    with pytest.raises(dl.DownloadError, match="outside its folder"):
        dl.extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out").exists()
    assert _leftovers(tmp_path) == []


def test_absolute_member_and_links_are_refused(tmp_path):
    archive = tmp_path / "abs.tar.gz"
    archive.write_bytes(_tar({"/etc/evil": b"x"}))
    with pytest.raises(dl.DownloadError, match="outside its folder"):
        dl.extract(archive, tmp_path / "out")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tf:
        link = tarfile.TarInfo("link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    (tmp_path / "link.tar").write_bytes(buffer.getvalue())
    with pytest.raises(dl.DownloadError, match="link"):
        dl.extract(tmp_path / "link.tar", tmp_path / "out2")


def test_truncated_archive_is_explained(tmp_path):
    archive = tmp_path / "cut.tar.gz"
    archive.write_bytes(_tar({"a.txt": np.random.default_rng(0).bytes(50_000)})[:2000])
    with pytest.raises(dl.DownloadError, match="corrupt|not a readable archive"):
        dl.extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path) == []


# ---------------------------------------------------------------------------------------------------------- MNIST
def _idx_images(images: np.ndarray) -> bytes:
    return gzip.compress(struct.pack(">IIII", 2051, *images.shape) + images.tobytes())


def _idx_labels(labels: np.ndarray) -> bytes:
    return gzip.compress(struct.pack(">II", 2049, len(labels)) + labels.tobytes())


@pytest.fixture
def tiny_mnist(server, monkeypatch):
    files, url = server
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    test = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    served = {"train-images-idx3-ubyte.gz": _idx_images(train),
              "train-labels-idx1-ubyte.gz": _idx_labels(np.array([3, 1, 4, 1, 5], dtype=np.uint8)),
              "t10k-images-idx3-ubyte.gz": _idx_images(test),
              "t10k-labels-idx1-ubyte.gz": _idx_labels(np.array([9, 2, 6], dtype=np.uint8))}
    for name, body in served.items():
        files["/mnist/" + name] = body
    monkeypatch.setattr(tvd.MNIST, "mirrors", [UNREACHABLE, url + "/mnist/"])  # the first mirror is down
    monkeypatch.setattr(tvd.MNIST, "resources", [(n, hashlib.md5(b).hexdigest()) for n, b in served.items()])
    return train, test


def test_mnist_download_is_used(tiny_mnist, cache, capsys):
    train, _ = tiny_mnist
    data = ck.data.load("digits", source="real")
    assert "real: MNIST" in capsys.readouterr().out
    assert data.real and data.images.shape == (5, 1, 28, 28)
    torch.testing.assert_close(data.images[:, 0], torch.from_numpy(train).float() / 255)
    assert data.labels.tolist() == [3, 1, 4, 1, 5]
    assert ck.data.load("digits", split="test", source="auto", verbose=False).labels.tolist() == [9, 2, 6]
    assert not list(cache.rglob("*.gz")) and _leftovers(cache) == []  # archives removed once decompressed


def test_mnist_checksum_mismatch_leaves_nothing(tiny_mnist, cache, monkeypatch):
    bad = [(name, "0" * 32) for name, _ in tvd.MNIST.resources]
    monkeypatch.setattr(tvd.MNIST, "resources", bad)
    with pytest.raises(dl.DownloadError, match="checksum"):
        ck.data.load("digits", source="real")
    assert [p for p in cache.rglob("*") if p.is_file()] == []


def test_auto_falls_back_when_offline(cache, monkeypatch, capsys):
    monkeypatch.setattr(tvd.MNIST, "mirrors", [UNREACHABLE])
    data = ck.data.load("digits", n=20, source="auto")
    line = capsys.readouterr().out.strip()
    assert len(line.splitlines()) == 1
    assert "embedded" in line and "MNIST unavailable: no network" in line
    assert not data.real and data.images.shape == (20, 1, 28, 28)


def test_real_raises_with_instructions_when_offline(cache, monkeypatch):
    monkeypatch.setattr(tvd.MNIST, "mirrors", [UNREACHABLE])
    with pytest.raises(dl.DownloadError, match="To get it by hand") as err:
        ck.data.load("digits", source="real")
    assert str(cache) in str(err.value)


# -------------------------------------------------------------------------------------------------------- facades
def _jpeg(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


@pytest.fixture
def tiny_facades(server, monkeypatch):
    from coursekit.data import facades

    files, url = server
    labels = torch.zeros(1, 64, 64, dtype=torch.int64)
    labels[:, 8:56, 8:56] = 1  # facade
    labels[:, 16:28, 16:28] = 2  # a window
    labels[:, 40:56, 26:38] = 3  # a door
    label_image = (facades.labels_to_rgb(labels)[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    photo = np.full((64, 64, 3), 120, dtype=np.uint8)
    pair = _jpeg(np.concatenate([photo, label_image], axis=1))  # photo left, labels right
    archive = _tar({f"facades/{split}/1.jpg": pair for split in ("train", "val", "test")})
    files["/facades.tar.gz"] = archive
    monkeypatch.setattr(real, "FACADES_URL", url + "/facades.tar.gz")
    return files, labels


def test_facades_download_is_used(tiny_facades, cache):
    _, labels = tiny_facades
    data = ck.data.load("facades", source="real", size=64, verbose=False)
    assert data.real and data.images.shape == (1, 3, 64, 64) and data.targets.shape == (1, 3, 64, 64)
    assert (data.labels == labels).float().mean() > 0.95  # the colours survive JPEG
    assert data.targets.mean().item() == pytest.approx(120 / 255, abs=0.02)
    assert (cache / "facades.tar.gz.sha256").is_file()  # pinned on first download
    assert not (cache / "facades.tar.gz").exists()


def test_facades_archive_that_changed_is_refused(tiny_facades, cache):
    files, _ = tiny_facades
    ck.data.load("facades", source="real", size=64, verbose=False)
    import shutil

    shutil.rmtree(cache / "facades")
    files["/facades.tar.gz"] = _tar({"facades/train/1.jpg": b"not the same archive"})
    with pytest.raises(dl.DownloadError, match="checksum"):
        ck.data.load("facades", source="real", size=64, verbose=False)
    assert not (cache / "facades").exists() and not (cache / "facades.tar.gz").exists()


def test_facades_archive_with_wrong_layout_is_refused(server, cache, monkeypatch):
    files, url = server
    files["/facades.tar.gz"] = _tar({"facades/readme.txt": b"hello"})
    monkeypatch.setattr(real, "FACADES_URL", url + "/facades.tar.gz")
    with pytest.raises(dl.DownloadError, match="not the pix2pix facades"):
        ck.data.load("facades", source="real", verbose=False)
    assert [p for p in cache.rglob("*") if p.is_file()] == []


# ------------------------------------------------------------------------------------------------------ one image
def test_read_image_from_url(server, cache):
    from coursekit.data.images import read_image

    files, url = server
    rgb = np.zeros((40, 60, 3), dtype=np.uint8)
    rgb[..., 0] = 200
    files["/painting.jpg"] = _jpeg(rgb)
    image = read_image(url + "/painting.jpg", sha256=hashlib.sha256(files["/painting.jpg"]).hexdigest())
    assert image.shape == (3, 40, 60)
    assert image[0].mean() > 0.7 and image[1].mean() < 0.1


def test_read_image_converts_and_resizes_with_notes(tmp_path, capsys):
    from coursekit.data.images import read_image

    Image.fromarray(np.full((30, 20), 128, dtype=np.uint8)).save(tmp_path / "gray.png")
    Image.fromarray(np.zeros((10, 10, 4), dtype=np.uint8)).save(tmp_path / "rgba.png")
    Image.fromarray(np.zeros((300, 2000, 3), dtype=np.uint8)).save(tmp_path / "wide.png")
    assert read_image(tmp_path / "gray.png").shape == (3, 30, 20)
    assert read_image(tmp_path / "rgba.png").shape == (3, 10, 10)
    assert read_image(tmp_path / "wide.png", max_side=500).shape == (3, 75, 500)
    out = capsys.readouterr().out
    assert "grayscale" in out and "alpha" in out and "resized to 500×75" in out


def test_read_image_refuses_non_images_and_missing_files(tmp_path):
    from coursekit.data.images import read_image

    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match="not an image"):
        read_image(tmp_path / "notes.txt")
    with pytest.raises(FileNotFoundError, match="no image file"):
        read_image(tmp_path / "missing.jpg")
