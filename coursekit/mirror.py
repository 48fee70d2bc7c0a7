"""``coursekit mirror DIR``: one folder holding every file the course downloads, for a class to share.

Two hundred students on a JupyterHub would otherwise each fetch VGG-19's 550 MB of weights and every dataset from
the internet. An instructor fills a mirror once (from the datasets' own servers, or from another mirror when
``COURSEKIT_MIRROR`` is set), serves it over HTTP or leaves it on the hub's disk, and the class sets
``COURSEKIT_MIRROR`` to its URL or folder: every download then comes from there (``download.mirrored``), checked
against the same checksums as the originals.

The layout, which is also what ``download.mirrored`` asks a mirror for:

    MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz      torchvision's MD5s
    FashionMNIST/raw/…                                             the same four names, torchvision's MD5s
    cifar-10-python.tar.gz                                         torchvision's MD5
    facades.tar.gz                                                 no published checksum: its SHA-256 is shown
    vgg19-dcbb9e9d.pth                                             torch hub's SHA-256 prefix, in its name

A file already in the folder with the right checksum is kept; one with another is refused and left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coursekit import features
from coursekit.data import real
from coursekit.data.download import DownloadError, download_first, file_hash, make_folder, mirrored


@dataclass(frozen=True)
class MirrorFile:
    """One file of the mirror: its ``path`` in the layout, the ``urls`` to try in turn, its checksum."""

    path: str
    urls: tuple[str, ...]
    md5: str | None = None
    sha256: str | None = None


def mirror_files() -> list[MirrorFile]:
    """Every file the course downloads, with where it comes from now (``COURSEKIT_MIRROR`` or the originals)."""
    # here: importing torchvision takes over 1 s (it loads torch._dynamo), and only this command needs its tables
    import torchvision.datasets as tvd
    from torchvision.models import VGG19_Weights

    files = [MirrorFile(f"{kind}/raw/{name}", tuple(real.mnist_urls(getattr(tvd, kind), kind, name)), md5=md5)
             for kind in ("MNIST", "FashionMNIST") for name, md5 in getattr(tvd, kind).resources]
    files.append(MirrorFile(tvd.CIFAR10.filename, (mirrored(tvd.CIFAR10.url, tvd.CIFAR10.filename),),
                            md5=tvd.CIFAR10.tgz_md5))
    files.append(MirrorFile("facades.tar.gz", (mirrored(real.FACADES_URL, "facades.tar.gz"),)))
    files.append(MirrorFile(features.VGG19_FILE, (mirrored(VGG19_Weights.IMAGENET1K_V1.url, features.VGG19_FILE),),
                            sha256=features.VGG19_SHA256_PREFIX))
    return files


def fill(folder: Path, progress: bool = True) -> dict[str, str]:
    """Download every file of ``mirror_files`` into ``folder`` (created if needed); {path: what happened}: "kept"
    (already there, checksum right), "downloaded", or "failed: why". Each file is written whole or not at all."""
    folder = make_folder(Path(folder).expanduser())
    report = {}
    for item in mirror_files():
        target = folder / item.path
        had = target.is_file()
        try:
            download_first(item.urls, target, md5=item.md5, sha256=item.sha256, progress=progress)
        except DownloadError as err:
            report[item.path] = f"failed: {err}"
            continue
        report[item.path] = "kept" if had else "downloaded"
        if item.md5 is None and item.sha256 is None:
            report[item.path] += f" (SHA-256 {file_hash(target)})"
    return report
