"""Downloads and real datasets, against a local HTTP server on 127.0.0.1 that serves tiny files in the real formats."""

import gzip
import hashlib
import io
import os
import struct
import tarfile

import numpy as np
import pytest
import torch
import torchvision.datasets as tvd
from PIL import Image

import coursekit as ck
import standins  # beside this file, as conftest.py imports nbgrader_course
from coursekit.data import download as dl
from coursekit.data import real


@pytest.fixture
def server():
    with standins.serve() as served:
        yield served


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("COURSEKIT_DATA", str(folder))
    return folder


UNREACHABLE = "http://127.0.0.1:1/"  # nothing listens on port 1: connection refused at once


def _files(folder):
    """The files in the cache, apart from the locks that let two processes take turns (``.locks/``)."""
    return [p for p in folder.rglob("*") if p.is_file() and ".locks" not in p.parts]


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


def test_archive_member_escaping_its_folder_is_refused(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(standins.tar({"good.txt": b"ok", "../evil.txt": b"pwned"}))
    with pytest.raises(dl.DownloadError, match="outside its folder"):
        dl.extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out").exists()
    assert _leftovers(tmp_path) == []


def test_absolute_member_and_links_are_refused(tmp_path):
    archive = tmp_path / "abs.tar.gz"
    archive.write_bytes(standins.tar({"/etc/evil": b"x"}))
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
    archive.write_bytes(standins.tar({"a.txt": np.random.default_rng(0).bytes(50_000)})[:2000])
    with pytest.raises(dl.DownloadError, match="corrupt|not a readable archive"):
        dl.extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path) == []


# ---------------------------------------------------------------------------------------------------------- MNIST
@pytest.fixture
def tiny_mnist(server, monkeypatch):
    files, url = server
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    test = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    served = {"train-images-idx3-ubyte.gz": standins.idx_images(train),
              "train-labels-idx1-ubyte.gz": standins.idx_labels(np.array([3, 1, 4, 1, 5], dtype=np.uint8)),
              "t10k-images-idx3-ubyte.gz": standins.idx_images(test),
              "t10k-labels-idx1-ubyte.gz": standins.idx_labels(np.array([9, 2, 6], dtype=np.uint8))}
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
    assert _files(cache) == []


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
    pair = standins.jpeg(np.concatenate([photo, label_image], axis=1))  # photo left, labels right
    archive = standins.tar({f"facades/{split}/1.jpg": pair for split in ("train", "val", "test")})
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
    files["/facades.tar.gz"] = standins.tar({"facades/train/1.jpg": b"not the same archive"})
    with pytest.raises(dl.DownloadError, match="checksum"):
        ck.data.load("facades", source="real", size=64, verbose=False)
    assert not (cache / "facades").exists() and not (cache / "facades.tar.gz").exists()


def test_facades_archive_with_wrong_layout_is_refused(server, cache, monkeypatch):
    files, url = server
    files["/facades.tar.gz"] = standins.tar({"facades/readme.txt": b"hello"})
    monkeypatch.setattr(real, "FACADES_URL", url + "/facades.tar.gz")
    with pytest.raises(dl.DownloadError, match="not the pix2pix facades"):
        ck.data.load("facades", source="real", verbose=False)
    assert _files(cache) == []


def _facades_pack(tiny_facades) -> bytes:
    """The served archive of the tiny facades (facades/{train,val,test}/1.jpg)."""
    files, _ = tiny_facades
    return files["/facades.tar.gz"]


def _unpack(archive: bytes, where):
    with tarfile.open(fileobj=io.BytesIO(archive)) as tf:
        tf.extractall(where, filter="data")


def test_a_users_facades_folder_in_the_pix2pix_layout_is_used_and_kept(tiny_facades, cache):
    files, _ = tiny_facades
    _unpack(_facades_pack(tiny_facades), cache)  # cache/facades/{train,val,test}/1.jpg, as the archive holds it
    (cache / "facades" / "notes.txt").write_text("my notes")
    del files["/facades.tar.gz"]  # nothing to download: the folder must be enough
    for source in ("real", "auto"):
        data = ck.data.load("facades", source=source, size=64, verbose=False)
        assert data.real and len(data) == 1
    assert (cache / "facades" / "notes.txt").read_text() == "my notes"
    assert sorted(p.name for p in (cache / "facades").iterdir()) == ["notes.txt", "test", "train", "val"]


def test_a_hand_downloaded_archive_unpacked_offline_survives_every_load(tiny_facades, cache, monkeypatch):
    """The printed hint's way: download facades.tar.gz into the cache by hand and unpack it there, with no network."""
    monkeypatch.setattr(real, "FACADES_URL", UNREACHABLE + "facades.tar.gz")
    (cache / "facades.tar.gz").parent.mkdir(parents=True, exist_ok=True)
    (cache / "facades.tar.gz").write_bytes(_facades_pack(tiny_facades))
    _unpack(_facades_pack(tiny_facades), cache)
    before = sorted(str(p.relative_to(cache)) for p in _files(cache))
    for split in ("train", "val", "test"):
        for source in ("auto", "real"):
            assert ck.data.load("facades", split=split, source=source, size=64, verbose=False).real
    assert sorted(str(p.relative_to(cache)) for p in _files(cache)) == before


def test_a_hand_downloaded_archive_is_unpacked_and_kept(tiny_facades, cache, monkeypatch):
    monkeypatch.setattr(real, "FACADES_URL", UNREACHABLE + "facades.tar.gz")
    cache.mkdir(parents=True)
    (cache / "facades.tar.gz").write_bytes(_facades_pack(tiny_facades))
    assert ck.data.load("facades", source="auto", size=64, verbose=False).real
    assert (cache / "facades.tar.gz").read_bytes() == _facades_pack(tiny_facades)


def test_a_facades_folder_in_another_layout_is_left_alone_with_a_message(tiny_facades, cache, capsys):
    (cache / "facades" / "photos").mkdir(parents=True)
    (cache / "facades" / "photos" / "mine.jpg").write_bytes(b"my photo")
    with pytest.raises(dl.DownloadError, match="leaves it as it is: move or rename it"):
        ck.data.load("facades", source="real", size=64, verbose=False)
    data = ck.data.load("facades", source="auto", size=64)
    line = capsys.readouterr().out
    assert not data.real and len(line.strip().splitlines()) == 1
    assert "CMP Facades unavailable" in line and "move or rename it" in line  # why, and what to do
    assert (cache / "facades" / "photos" / "mine.jpg").read_bytes() == b"my photo"
    assert not (cache / "facades.tar.gz").exists()  # nothing downloaded beside it either


def test_a_hand_downloaded_archive_that_is_not_the_facades_is_refused_and_kept(server, cache, monkeypatch):
    monkeypatch.setattr(real, "FACADES_URL", UNREACHABLE + "facades.tar.gz")
    cache.mkdir(parents=True)
    wrong = standins.tar({"facades/readme.txt": b"hello"})
    (cache / "facades.tar.gz").write_bytes(wrong)
    with pytest.raises(dl.DownloadError, match="not the pix2pix facades.*left in place"):
        ck.data.load("facades", source="real", verbose=False)
    assert (cache / "facades.tar.gz").read_bytes() == wrong and not (cache / "facades").exists()


def test_a_file_that_fails_its_checksum_is_left_in_place(server, tmp_path):
    files, url = server
    files["/data.bin"] = b"the real content"
    (tmp_path / "data.bin").write_bytes(b"someone else's file")
    with pytest.raises(dl.DownloadError, match="leaves it as it is"):
        dl.download(url + "/data.bin", tmp_path / "data.bin", sha256=hashlib.sha256(b"the real content").hexdigest())
    assert (tmp_path / "data.bin").read_bytes() == b"someone else's file"


@pytest.mark.parametrize("split", ["val", "test"])
def test_the_val_split_of_mnist_is_the_held_out_split(tiny_mnist, cache, split, capsys):
    _, test = tiny_mnist
    data = ck.data.load("digits", split=split, source="real")
    torch.testing.assert_close(data.images[:, 0], torch.from_numpy(test).float() / 255)
    assert data.labels.tolist() == [9, 2, 6]
    assert "test split" in capsys.readouterr().out


_RACE = """
import sys
import coursekit as ck
from coursekit.data import real
real.FACADES_URL = sys.argv[1]
data = ck.data.load("facades", source="real", size=64, verbose=False)
print(len(data), data.real)
"""


def test_two_processes_on_an_empty_cache_both_get_the_facades(tiny_facades, tmp_path):
    """Two notebooks started at once on an empty cache: both get the set, in several trials (no lock: 4 of 4 failed)."""
    import os
    import subprocess
    import sys

    files, _ = tiny_facades
    url = real.FACADES_URL
    standins.Handler.delay = 0.5  # a slow server: both processes are on their way before either has finished
    try:
        for trial in range(3):
            env = {**os.environ, "COURSEKIT_DATA": str(tmp_path / f"cache{trial}"), "OMP_NUM_THREADS": "1"}
            procs = [subprocess.Popen([sys.executable, "-c", _RACE, url], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(2)]
            outs = [p.communicate(timeout=120) for p in procs]
            for p, (out, err) in zip(procs, outs):
                assert p.returncode == 0 and out.strip().splitlines()[-1] == "1 True", f"trial {trial}: {err[-2000:]}"
            waited = [out for out, _ in outs if "waiting for another process that is putting facades" in out]
            assert len(waited) <= 1  # the one that came second says why it waits
            assert _leftovers(tmp_path / f"cache{trial}") == []
    finally:
        standins.Handler.delay = 0


def _modes(folder):
    return {str(p.relative_to(folder)): p.stat().st_mode for p in folder.rglob("*") if ".locks" not in p.parts}


def test_what_the_cache_holds_is_readable_by_the_group_and_others(tiny_mnist, tiny_facades, cache):
    """A class on one hub shares one COURSEKIT_DATA: every file and folder the course writes there can be read (and
    every folder entered) by the other users, even under a private umask (077)."""
    import stat

    cache.mkdir(parents=True, mode=0o755)  # the class's folder, made by its instructor
    old = os.umask(0o077)
    try:
        ck.data.load("digits", source="real", verbose=False)
        ck.data.load("facades", source="real", size=64, verbose=False)
    finally:
        os.umask(old)
    modes = _modes(cache)
    assert any(name.endswith("-ubyte") for name in modes) and any(name.endswith(".jpg") for name in modes)
    for name, mode in modes.items():
        wanted = stat.S_IRGRP | stat.S_IROTH | ((stat.S_IXGRP | stat.S_IXOTH) if stat.S_ISDIR(mode) else 0)
        assert mode & wanted == wanted, f"{name}: {stat.filemode(mode)}"


def test_an_archive_that_expands_too_far_is_refused_before_it_is_written(tmp_path):
    zeros = b"\0" * (dl.MIN_EXPANSION_LIMIT + 1)
    (tmp_path / "bomb.tar.gz").write_bytes(standins.tar({"zeros.bin": zeros}))
    with pytest.raises(dl.DownloadError, match="expands to more than"):
        dl.extract(tmp_path / "bomb.tar.gz", tmp_path / "out")
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(zeros))
    with pytest.raises(dl.DownloadError, match="expands to more than"):
        dl.gunzip(tmp_path / "bomb.gz", tmp_path / "bomb.bin")
    import zipfile

    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", zeros)
    with pytest.raises(dl.DownloadError, match="expands to more than"):
        dl.extract(tmp_path / "bomb.zip", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.gz", "bomb.tar.gz", "bomb.zip"]


# ------------------------------------------------------------------------------------------------------ one image
def test_read_image_from_url(server, cache):
    from coursekit.data.images import read_image

    files, url = server
    rgb = np.zeros((40, 60, 3), dtype=np.uint8)
    rgb[..., 0] = 200
    files["/painting.jpg"] = standins.jpeg(rgb)
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


def test_a_download_cut_short_without_length_or_checksum_is_not_kept(server, cache):
    """No Content-Length and no checksum (read_image's default): the cut looks complete until the image is decoded.
    The cached copy is then removed, so that the URL works again once the server does."""
    from coursekit.data.images import read_image

    files, url = server
    rgb = np.random.default_rng(0).integers(0, 256, (80, 120, 3), dtype=np.uint8)
    files["/unannounced-cut/photo.jpg"] = standins.jpeg(rgb)
    with pytest.raises(ValueError, match="removed from the cache: run this again"):
        read_image(url + "/unannounced-cut/photo.jpg")
    assert _files(cache) == []
    files["cut"] = False  # the network is fine again
    assert read_image(url + "/unannounced-cut/photo.jpg").shape == (3, 80, 120)


def test_read_image_scales_16_bit_and_float_images(tmp_path, capsys):
    from coursekit.data.images import read_image

    ramp = np.linspace(0, 1, 64 * 32).reshape(32, 64)
    Image.fromarray((ramp * 65535).round().astype(np.uint16)).save(tmp_path / "gray16.png")
    Image.fromarray(ramp.astype(np.float32), mode="F").save(tmp_path / "float.tif")
    Image.fromarray((ramp * 300).astype(np.float32), mode="F").save(tmp_path / "radiance.tif")
    for name, note in (("gray16.png", "divided by 65,535"), ("float.tif", "floating-point"),
                       ("radiance.tif", "rescaled to [0, 1]")):
        image = read_image(tmp_path / name)
        assert image.shape == (3, 32, 64) and note in capsys.readouterr().out
        torch.testing.assert_close(image[1], torch.from_numpy(ramp).float(), atol=1e-4, rtol=0)


def test_read_image_turns_a_phone_portrait_upright(tmp_path):
    from coursekit.data.images import read_image

    stored = np.zeros((40, 60, 3), dtype=np.uint8)  # stored on its side: 60 wide, 40 high, red on the left
    stored[:, :30, 0] = 255
    img = Image.fromarray(stored)
    exif = img.getexif()
    exif[0x0112] = 6  # EXIF orientation: turn 90° clockwise to display
    img.save(tmp_path / "portrait.jpg", exif=exif, quality=95)
    image = read_image(tmp_path / "portrait.jpg")
    assert image.shape == (3, 60, 40)  # upright: 40 wide, 60 high, the red half on top
    assert image[0, :28].mean() > 0.9 and image[0, 32:].mean() < 0.1


def test_read_image_explains_a_truncated_file_and_a_decompression_bomb(tmp_path):
    import zlib

    from coursekit.data.images import read_image

    whole = standins.jpeg(np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8))
    (tmp_path / "cut.jpg").write_bytes(whole[: len(whole) // 3])
    with pytest.raises(ValueError, match="cut.jpg could not be read to the end.*truncated or corrupt"):
        read_image(tmp_path / "cut.jpg")

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0)  # 400 megapixels, RGB
    (tmp_path / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    with pytest.raises(ValueError, match="bomb.png is too large to read safely.*decompression bomb"):
        read_image(tmp_path / "bomb.png")


def test_read_image_shrinks_a_large_photo_while_reading_it(tmp_path):
    """An 8000×6000 phone photo: decoded at a quarter of its size, not at 48 megapixels (2 GB before)."""
    import subprocess
    import sys

    photo = np.zeros((6000, 8000, 3), dtype=np.uint8)
    photo[::7] = 200
    Image.fromarray(photo).save(tmp_path / "phone.jpg", quality=90)
    del photo
    code = ("import resource, sys\nfrom coursekit.data.images import read_image\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "image = read_image(sys.argv[1], verbose=False)\n"
            "print(tuple(image.shape), (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "phone.jpg")], capture_output=True, text=True,
                         check=True).stdout.split(")")
    assert out[0] + ")" == "(3, 768, 1024)"
    assert int(out[1]) < 200, f"reading the photo grew the process by {out[1]} MB"


def test_a_corrupt_cached_mnist_is_named_as_such_not_as_missing(cache, capsys):
    raw = cache / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for filename, _ in tvd.MNIST.resources:
        (raw / filename.removesuffix(".gz")).write_bytes(b"not an idx file")
    with pytest.raises(dl.DownloadError, match="in the data folder but cannot be read") as err:
        ck.data.load("digits", source="real")
    assert f"move {cache / 'MNIST'} aside" in str(err.value) and "not cached" not in str(err.value)
    assert not ck.data.load("digits", n=5).real
    assert "MNIST unavailable: it is in the data folder but cannot be read" in capsys.readouterr().out


def test_a_read_only_cache_is_not_told_to_download_into_itself(tiny_mnist, cache, monkeypatch):
    """A class's shared data folder that students cannot write to (simulated: the tests may run as root, who can)."""
    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(cache))

    monkeypatch.setattr(dl.tempfile, "mkstemp", refused)
    with pytest.raises(dl.DownloadError, match="cannot be written to the data folder") as err:
        ck.data.load("digits", source="real")
    assert "Set COURSEKIT_DATA to a folder you can write to" in str(err.value)
    assert "To get it by hand" not in str(err.value)


def test_fashion_offline_in_auto_says_why_and_that_it_has_no_stand_in(cache, monkeypatch):
    monkeypatch.setattr(tvd.FashionMNIST, "mirrors", [UNREACHABLE])
    with pytest.raises(dl.DownloadError, match="(?s)no network.*Fashion-MNIST has no embedded stand-in") as err:
        ck.data.load("fashion", source="auto", verbose=False)
    assert "To get it by hand" in str(err.value)


def test_a_facades_folder_with_a_corrupt_image_is_refused_and_left(tiny_facades, cache):
    _unpack(_facades_pack(tiny_facades), cache)
    (cache / "facades" / "train" / "1.jpg").write_bytes(b"\xff\xd8 not a whole jpeg")
    with pytest.raises(dl.DownloadError, match="1.jpg is not a readable JPEG"):
        ck.data.load("facades", source="real", size=64, verbose=False)
    assert (cache / "facades" / "train" / "1.jpg").read_bytes() == b"\xff\xd8 not a whole jpeg"
