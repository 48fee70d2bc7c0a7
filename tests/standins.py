"""Small stand-ins, in the real formats, for every file the course downloads: what a class's mirror would hold.

``files()`` returns {path in the mirror's layout: bytes} (``coursekit.mirror``'s layout) and ``checksums()`` the
checksums those stand-ins have, to put in place of torchvision's with ``use_checksums(monkeypatch)``: the formats are
real, the contents tiny and made here (no network).

- MNIST and Fashion-MNIST: torchvision's IDX files, gzipped, 6 training and 4 test images each;
- CIFAR-10: ``cifar-10-python.tar.gz`` in torchvision's layout (five training batches, a test batch, the meta file);
- CMP Facades: ``facades.tar.gz`` in the pix2pix layout, one 512×256 pair per split;
- VGG-19: a state dict of random weights under torchvision's file name, loaded by torchvision's own code.

``online_files()`` holds the same files, with MNIST and the facades replaced by stand-ins a notebook can learn from
(font digits and façades rendered by ``coursekit``), for the notebooks executed on their online path
(``test_online.py``).

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
from coursekit.data import digits, facades, real


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


def _rendered_mnist(train: int, test: int) -> dict[str, bytes]:
    """MNIST's four files holding font digits rendered by ``coursekit``: the training file in the fonts of the
    embedded training split, the test file in those of its test split, so that the fonts a notebook holds out stay
    held out."""
    out = {}
    for prefix, split, n in (("train", "train", train), ("t10k", "test", test)):
        images, labels = digits.render_digits(n, split, seed=11)
        out[f"MNIST/raw/{prefix}-images-idx3-ubyte.gz"] = idx_images(
            (images[:, 0] * 255).round().to(torch.uint8).numpy())
        out[f"MNIST/raw/{prefix}-labels-idx1-ubyte.gz"] = idx_labels(labels.to(torch.uint8).numpy())
    return out


def _rendered_facades(per_split: dict[str, int]) -> bytes:
    """The facades archive in the pix2pix layout, holding façades rendered by ``coursekit`` (other seeds than the
    embedded sets'): 512×256 JPEG pairs, the photo on the left, its label image on the right."""
    members = {}
    for k, (split, n) in enumerate(per_split.items()):
        photos, labels = facades.render_facades(n, 256, seed=900 + k)
        label_images = facades.labels_to_rgb(labels)
        for i in range(n):
            pair = torch.cat([photos[i], label_images[i]], dim=2).permute(1, 2, 0)
            members[f"facades/{split}/{i + 1}.jpg"] = jpeg((pair.numpy() * 255).round().astype(np.uint8))
    return tar(members)


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


@functools.cache
def online_files() -> dict[str, bytes]:
    """``files()`` with MNIST (4,000 training and 1,000 test digits) and the facades (200 training pairs, 8 in each
    other split) rendered by ``coursekit``, so that the notebooks that load them learn from them."""
    return {**files(), **_rendered_mnist(4000, 1000),
            "facades.tar.gz": _rendered_facades({"train": 200, "val": 8, "test": 8})}


def checksums(served: dict[str, bytes]) -> dict:
    """The checksums of the stand-ins ``served`` ({path: bytes}, ``files()`` or ``online_files()``), as
    ``apply_checksums`` puts them in place of the real files': JSON-serialisable, so that a notebook's kernel can
    take them too."""
    batches = _cifar_batches()
    return {"resources": {kind: [[name, hashlib.md5(served[f"{kind}/raw/{name}"]).hexdigest()]
                                 for name, _ in getattr(tvd, kind).resources] for kind in ("MNIST", "FashionMNIST")},
            "tgz_md5": hashlib.md5(served[tvd.CIFAR10.filename]).hexdigest(),
            "train_list": [[n, hashlib.md5(batches[n]).hexdigest()] for n, _ in tvd.CIFAR10.train_list],
            "test_list": [[n, hashlib.md5(batches[n]).hexdigest()] for n, _ in tvd.CIFAR10.test_list],
            "meta_md5": hashlib.md5(batches[tvd.CIFAR10.meta["filename"]]).hexdigest(),
            "vgg19_sha256_prefix": hashlib.sha256(served[features.VGG19_FILE]).hexdigest()[:8]}


def apply_checksums(sums: dict, set_attribute=setattr) -> None:
    """Put the stand-ins' checksums (``checksums``) where the real files' are: torchvision's tables, the VGG-19 digest
    prefix. ``set_attribute``: ``monkeypatch.setattr`` in a test, ``setattr`` in a notebook's kernel."""
    for kind, resources in sums["resources"].items():
        set_attribute(getattr(tvd, kind), "resources", [tuple(r) for r in resources])
    set_attribute(tvd.CIFAR10, "tgz_md5", sums["tgz_md5"])
    set_attribute(tvd.CIFAR10, "train_list", sums["train_list"])
    set_attribute(tvd.CIFAR10, "test_list", sums["test_list"])
    set_attribute(tvd.CIFAR10, "meta", {**tvd.CIFAR10.meta, "md5": sums["meta_md5"]})
    set_attribute(features, "VGG19_SHA256_PREFIX", sums["vgg19_sha256_prefix"])


def use_checksums(monkeypatch) -> None:
    """The checksums of ``files()`` in place of the real files', for one test."""
    apply_checksums(checksums(files()), monkeypatch.setattr)
