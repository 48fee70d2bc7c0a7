"""Small stand-ins, in the real formats, for every file the course downloads: what a class's mirror would hold.

``files()`` returns {path in the mirror's layout: bytes} (``coursekit.mirror``'s layout) and ``checksums()`` the
checksums those stand-ins have, to put in place of torchvision's with ``use_checksums(monkeypatch)``: the formats are
real, the contents tiny and made here (no network).

- MNIST and Fashion-MNIST: torchvision's IDX files, gzipped, 6 training and 4 test images each;
- CIFAR-10: ``cifar-10-python.tar.gz`` in torchvision's layout (five training batches, a test batch, the meta file);
- CMP Facades: ``facades.tar.gz`` in the pix2pix layout, one 512×256 pair per split;
- VGG-19: a state dict of random weights under torchvision's file name, loaded by torchvision's own code.

``serve()`` is the server the tests download from: 127.0.0.1, a port of its own, the files of ``Handler.files``.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import http.server
import io
import pickle
import struct
import tarfile
import threading
import time

import numpy as np
import torch
import torchvision.datasets as tvd
from PIL import Image
from torchvision.models import vgg19

from coursekit import features
from coursekit.data import facades, real


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``files`` ({path: bytes}), after ``delay`` seconds, and notes every path asked for in ``asked``. Paths
    under /cut/ announce the whole file and send half; under /unannounced-cut/ they send half with no length."""

    files: dict = {}
    asked: list = []
    delay = 0.0  # seconds before each answer

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.asked.append(self.path)
        time.sleep(self.delay)
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        if self.path.startswith("/unannounced-cut/") and self.files.get("cut", True):  # no length, half, hang up
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
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


@contextlib.contextmanager
def serve():
    """Serve ``Handler.files`` (emptied first) on 127.0.0.1 while the block runs; yields (files, base URL)."""
    Handler.files, Handler.asked, Handler.delay = {}, [], 0.0
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield Handler.files, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def idx_images(images: np.ndarray) -> bytes:
    return gzip.compress(struct.pack(">IIII", 2051, *images.shape) + images.tobytes())


def idx_labels(labels: np.ndarray) -> bytes:
    return gzip.compress(struct.pack(">II", 2049, len(labels)) + labels.tobytes())


def tar(members: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _mnist(kind: str, seed: int) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    train, test = (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) for n in (6, 4))
    return {f"{kind}/raw/train-images-idx3-ubyte.gz": idx_images(train),
            f"{kind}/raw/train-labels-idx1-ubyte.gz": idx_labels(np.arange(6, dtype=np.uint8)),
            f"{kind}/raw/t10k-images-idx3-ubyte.gz": idx_images(test),
            f"{kind}/raw/t10k-labels-idx1-ubyte.gz": idx_labels(np.array([9, 2, 6, 3], dtype=np.uint8))}


def _cifar_batches() -> dict[str, bytes]:
    rng = np.random.default_rng(2)
    batches = {}
    for name, _ in tvd.CIFAR10.train_list + tvd.CIFAR10.test_list:
        batch = {"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8), "labels": [1, 7]}
        batches[name] = pickle.dumps(batch)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    batches[tvd.CIFAR10.meta["filename"]] = pickle.dumps({"label_names": names})
    return batches


def jpeg(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def facades_pair() -> bytes:
    """One 512×256 JPEG pair: a grey photograph left, its label image right (a facade, a window, a door)."""
    labels = torch.zeros(1, 256, 256, dtype=torch.int64)
    labels[:, 32:224, 32:224] = 1
    labels[:, 64:112, 64:112] = 2
    labels[:, 160:224, 104:152] = 3
    label_image = (facades.labels_to_rgb(labels)[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    photo = np.full((256, 256, 3), 120, dtype=np.uint8)
    return jpeg(np.concatenate([photo, label_image], axis=1))


def _vgg19_weights() -> bytes:
    buffer = io.BytesIO()
    torch.manual_seed(0)
    torch.save(vgg19(weights=None).state_dict(), buffer)
    return buffer.getvalue()


@functools.cache
def files() -> dict[str, bytes]:
    """{path in the mirror: the stand-in's bytes}, for every file the course downloads."""
    return {**_mnist("MNIST", 0), **_mnist("FashionMNIST", 1),
            tvd.CIFAR10.filename: tar({f"{tvd.CIFAR10.base_folder}/{n}": b for n, b in _cifar_batches().items()}),
            "facades.tar.gz": tar({f"facades/{split}/1.jpg": facades_pair() for split in real.FACADES_SPLITS}),
            features.VGG19_FILE: _vgg19_weights()}


def use_checksums(monkeypatch) -> None:
    """Put the stand-ins' checksums where the real files' are: torchvision's tables, the VGG-19 digest prefix."""
    served = files()
    for kind in ("MNIST", "FashionMNIST"):
        resources = getattr(tvd, kind).resources
        monkeypatch.setattr(getattr(tvd, kind), "resources",
                            [(name, hashlib.md5(served[f"{kind}/raw/{name}"]).hexdigest()) for name, _ in resources])
    monkeypatch.setattr(tvd.CIFAR10, "tgz_md5", hashlib.md5(served[tvd.CIFAR10.filename]).hexdigest())
    batches = _cifar_batches()
    monkeypatch.setattr(tvd.CIFAR10, "train_list", [[n, hashlib.md5(batches[n]).hexdigest()]
                                                    for n, _ in tvd.CIFAR10.train_list])
    monkeypatch.setattr(tvd.CIFAR10, "test_list", [[n, hashlib.md5(batches[n]).hexdigest()]
                                                   for n, _ in tvd.CIFAR10.test_list])
    meta = tvd.CIFAR10.meta["filename"]
    monkeypatch.setattr(tvd.CIFAR10, "meta", {**tvd.CIFAR10.meta, "md5": hashlib.md5(batches[meta]).hexdigest()})
    monkeypatch.setattr(features, "VGG19_SHA256_PREFIX", hashlib.sha256(served[features.VGG19_FILE]).hexdigest()[:8])
