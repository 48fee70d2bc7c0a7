"""Real datasets, downloaded once into the cache when the network allows: MNIST, Fashion-MNIST, CIFAR-10, CMP Facades.

torchvision describes and reads MNIST, Fashion-MNIST and CIFAR-10: its own tables give the addresses and MD5
checksums, and its dataset classes parse the files. coursekit only fetches the files with ``download.download``
(verified, atomic, with a progress bar) before handing them to torchvision, so that an interrupted download never
leaves a half-written file in the cache.

The CMP Facades (Tyleček & Šára 2013) come as pix2pix packs them (Isola et al. 2017): ``facades.tar.gz`` holding
``facades/{train,val,test}/N.jpg``, each a 512×256 JPEG with the photograph on the left and its colour-coded label
map on the right. No checksum is published for that archive, so coursekit checks its layout, records its SHA-256
beside it on the first download and refuses a different file afterwards. A ``facades/`` folder already in the
pix2pix layout (unpacked by hand, say) is used as it is, and an archive put in the cache by hand is unpacked and
kept: coursekit never deletes what it did not make.

Each dataset is made under a lock (``download.cache_lock``), so that two notebooks started at once on an empty cache
take turns and both get it; what is written is readable by everyone who shares the cache.

Every function returns float32 images in [0, 1] shaped (N, C, H, W); ``coursekit.data.load`` is the usual way in.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from coursekit.data.download import (DownloadError, cache_lock, download, download_first, extract, file_hash, gunzip,
                                     make_folder, mirrored, share)
from coursekit.data.facades import rgb_to_labels
from coursekit.environment import data_dir

FACADES_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz"
FACADES_SPLITS = ("train", "val", "test")


def mnist_urls(dataset_class, kind: str, filename: str) -> list[str]:
    """Where one MNIST or Fashion-MNIST file comes from: torchvision's servers in turn, or the class's mirror alone
    (``download.mirrored``), under ``KIND/raw/FILENAME``."""
    return list(dict.fromkeys(mirrored(server + filename, f"{kind}/raw/{filename}")
                              for server in dataset_class.mirrors))


def mnist_like(kind: str = "MNIST", split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST or Fashion-MNIST (``kind`` = "MNIST" or "FashionMNIST") through torchvision.

    Returns ``images`` (N, 1, 28, 28) float32 in [0, 1] (60,000 for "train", 10,000 for "test") and ``labels`` (N,).
    """
    import torchvision.datasets as tvd  # here: importing torchvision takes over 1 s (torch._dynamo)

    if kind not in ("MNIST", "FashionMNIST"):
        raise ValueError(f"kind must be 'MNIST' or 'FashionMNIST', got {kind!r}.")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    dataset_class = getattr(tvd, kind)
    root = data_dir()
    raw = root / kind / "raw"  # where torchvision looks for the decompressed files
    missing = [(f, md5) for f, md5 in dataset_class.resources if not (raw / f.removesuffix(".gz")).is_file()]
    if missing:
        with cache_lock(root, kind):
            make_folder(raw)
            for filename, md5 in missing:
                target = raw / filename.removesuffix(".gz")
                if target.is_file():  # another process made it while this one waited
                    continue
                mine = not (raw / filename).is_file()  # an archive put there by hand stays
                archive = download_first(mnist_urls(dataset_class, kind, filename), raw / filename, md5=md5)
                try:
                    gunzip(archive, target)
                finally:
                    if mine:  # used or unusable, the course's own download goes
                        archive.unlink(missing_ok=True)
    dataset = dataset_class(str(root), train=(split == "train"), download=False)
    return dataset.data[:, None].float() / 255, dataset.targets.long()


def cifar10(split: str = "train") -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]]:
    """CIFAR-10 through torchvision: ``images`` (N, 3, 32, 32) in [0, 1], ``labels`` (N,), and the 10 class names."""
    import torchvision.datasets as tvd  # here: importing torchvision takes over 1 s (torch._dynamo)

    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    root = data_dir() / "cifar10"
    if not (root / tvd.CIFAR10.base_folder).is_dir():
        with cache_lock(data_dir(), "cifar10"):
            if not (root / tvd.CIFAR10.base_folder).is_dir():  # not made by another process meanwhile
                mine = not (data_dir() / tvd.CIFAR10.filename).is_file()  # an archive put there by hand stays
                archive = download(mirrored(tvd.CIFAR10.url, tvd.CIFAR10.filename), data_dir() / tvd.CIFAR10.filename,
                                   md5=tvd.CIFAR10.tgz_md5)
                try:
                    extract(archive, root)
                finally:
                    if mine:  # used or unusable, the course's own download goes
                        archive.unlink(missing_ok=True)
    dataset = tvd.CIFAR10(str(root), train=(split == "train"), download=False)  # checks each batch's MD5
    images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).float() / 255
    return images, torch.tensor(dataset.targets, dtype=torch.int64), tuple(dataset.classes)


def _check_facades_layout(folder: Path, what: str) -> None:
    """Raise ``DownloadError`` unless ``folder`` holds {train,val,test}/*.jpg pairs twice as wide as high."""
    for split in FACADES_SPLITS:
        files = sorted((folder / split).glob("*.jpg"))
        if not files:
            raise DownloadError(f"{what} has no {split}/*.jpg images; it is not the pix2pix facades set.")
        try:
            with Image.open(files[0]) as first:
                w, h = first.size
        except OSError as err:  # not an image Pillow can read, or cut short
            raise DownloadError(f"{files[0]} is not a readable JPEG ({err}); {what} is not the pix2pix facades set "
                                "as published.") from err
        if w != 2 * h:
            raise DownloadError(f"{files[0]} is {w}×{h}; pix2pix facades pairs are twice as wide as high.")


def _facades_found(unpacked: Path) -> Path | None:
    """The folder holding train/, val/ and test/: the course's extraction (``facades/facades``), or a folder unpacked
    by hand (``facades``); None when there is neither."""
    for folder in (unpacked / "facades", unpacked):
        if all((folder / split).is_dir() for split in FACADES_SPLITS):
            _check_facades_layout(folder, str(folder))
            return folder
    return None


def facades_folder() -> Path:
    """Download and unpack the pix2pix facades archive once; return the folder holding train/, val/ and test/.

    A ``facades/`` folder in the cache that is already in the pix2pix layout is used as it is; an archive put in the
    cache by hand is unpacked and kept. Nothing the course did not make is ever deleted: a ``facades/`` folder in
    another layout is left alone, with a message.
    """
    root = data_dir()
    archive = root / "facades.tar.gz"
    pinned = root / "facades.tar.gz.sha256"  # the archive's SHA-256, recorded on the first download
    unpacked = root / "facades"
    found = _facades_found(unpacked)
    if found is not None:
        return found
    with cache_lock(root, "facades"):
        found = _facades_found(unpacked)  # another process may have made it while this one waited
        if found is not None:
            return found
        if unpacked.exists():
            raise DownloadError(
                f"{unpacked} exists but is not the pix2pix facades set ({{train,val,test}}/*.jpg, directly or in "
                f"{unpacked.name}/facades/). coursekit leaves it as it is: move or rename it, then run this again; "
                "or set COURSEKIT_DATA to another folder.")
        mine = not archive.is_file()  # an archive put there by hand is the user's: it stays
        download(mirrored(FACADES_URL, archive.name), archive,
                 sha256=pinned.read_text().strip() if pinned.is_file() else None)
        try:
            extract(archive, unpacked)  # made by this call: `unpacked` did not exist
            _check_facades_layout(unpacked / "facades", f"the archive {archive}")
        except DownloadError as err:
            if unpacked.exists():
                shutil.rmtree(unpacked)
            if mine:
                archive.unlink(missing_ok=True)
                raise
            raise DownloadError(f"{err} It was left in place: delete or move it, then run this again.") from err
        if not pinned.is_file():
            pinned.write_text(file_hash(archive) + "\n")
            share(pinned)
        if mine:
            archive.unlink()
    return unpacked / "facades"


def split_pair(pair: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A pix2pix pair image (3, H, 2W) → (photo (3, H, W) on the left, label image (3, H, W) on the right)."""
    w = pair.shape[-1] // 2
    return pair[..., :w], pair[..., w:]


def facades(split: str = "train", size: int = 256):
    """The CMP Facades pairs of ``split`` ("train", "val", "test") resized to ``size``.

    Returns ``photos`` (N, 3, size, size) in [0, 1], ``label_images`` (N, 3, size, size) (the colour-coded maps) and
    ``labels`` (N, size, size) int64, each pixel's class read back from its colour (nearest palette entry).
    """
    if split not in FACADES_SPLITS:
        raise ValueError(f"split must be one of {FACADES_SPLITS}, got {split!r}.")
    files = sorted((facades_folder() / split).glob("*.jpg"), key=lambda p: (len(p.stem), p.stem))
    photos, label_images = [], []
    for path in files:
        with Image.open(path) as img:
            pair = torch.from_numpy(np.array(img.convert("RGB"))).permute(2, 0, 1).float() / 255
        photo, label_image = split_pair(pair)
        photos.append(F.interpolate(photo[None], size=(size, size), mode="bilinear", antialias=True)[0])
        # labels are flat colours: resize them without mixing classes
        label_images.append(F.interpolate(label_image[None], size=(size, size), mode="nearest")[0])
    photos_t = torch.stack(photos).clamp(0, 1)
    label_t = torch.stack(label_images)
    return photos_t, label_t, rgb_to_labels(label_t)
