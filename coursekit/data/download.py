"""Downloads that cannot leave a broken cache: checksums, progress bars, atomic writes and safe extraction.

A file is streamed into a temporary ``*.partial`` file beside its destination, hashed as it arrives, and renamed to
its final name only when every byte announced has arrived and the checksum matches. Whatever goes wrong (the network,
a checksum, Ctrl-C), the partial file is removed, so the cache holds either nothing or a verified file. Archives are
extracted into a temporary folder, refusing any member that would land outside it (``../`` paths, absolute paths,
links), and the folder is renamed into place at the end.

Used by ``coursekit.data.real`` for MNIST, CIFAR-10 and the CMP Facades, and by notebooks that fetch an image by URL.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from coursekit.runtime import is_fast

CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """A download or an archive could not be used; the message says what to do."""


class Unreachable(DownloadError):
    """The server could not be reached (no network, a firewall, a host that is down)."""


def file_hash(path: Path, algorithm: str = "sha256") -> str:
    """The hex digest of a file's content ("sha256" or "md5")."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _expected(sha256: str | None, md5: str | None) -> tuple[str, str] | None:
    if sha256 and md5:
        raise ValueError("give one checksum, sha256 or md5, not both.")
    if sha256:
        return "sha256", sha256.lower()
    if md5:
        return "md5", md5.lower()
    return None


def download(url: str, dest: Path, *, sha256: str | None = None, md5: str | None = None, timeout: float = 30,
             progress: bool | None = None) -> Path:
    """Download ``url`` to ``dest`` (a file path), verified against ``sha256`` or ``md5``; return ``dest``.

    A ``dest`` that already exists and matches its checksum is used as it is, without a download. progress: show a
    tqdm bar (default: except in fast mode). Raises ``Unreachable`` when the host cannot be reached and
    ``DownloadError`` for an interrupted transfer or a checksum mismatch; in every case no file is left at ``dest``
    or beside it.
    """
    dest = Path(dest)
    expected = _expected(sha256, md5)
    if dest.is_file() and (expected is None or file_hash(dest, expected[0]) == expected[1]):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.new(expected[0] if expected else "sha256")
    fd, partial_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".partial", dir=dest.parent)
    partial = Path(partial_name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(url, timeout=timeout)
            except urllib.error.HTTPError as err:
                raise DownloadError(f"{url} answered HTTP {err.code} ({err.reason}).") from err
            except (urllib.error.URLError, OSError) as err:  # socket timeouts and refused connections are OSErrors
                raise Unreachable(f"cannot reach {url} ({getattr(err, 'reason', err)}).") from err
            with response:
                total = response.headers.get("Content-Length")
                total = int(total) if total is not None else None
                received = _stream(response, out, digest, total, url, dest.name,
                                   show=(not is_fast()) if progress is None else progress)
        if total is not None and received != total:
            raise DownloadError(f"the download of {url} was interrupted: {received:,} of {total:,} bytes arrived; "
                                "run the cell again to retry.")
        if expected is not None and digest.hexdigest() != expected[1]:
            raise DownloadError(
                f"{url} does not have the expected {expected[0]} checksum (got {digest.hexdigest()[:16]}…, expected "
                f"{expected[1][:16]}…): the file is corrupt or has changed on the server. Nothing was kept. Retry, "
                f"or download it by hand, check it, and put it at {dest}."
            )
        os.chmod(partial, 0o644)  # mkstemp makes the file private; the cache is shared like any download
        os.replace(partial, dest)
        return dest
    finally:
        if partial.exists():
            partial.unlink()


def _stream(response, out, digest, total: int | None, url: str, name: str, show: bool) -> int:
    """Copy the response body to ``out`` block by block, hashing it and showing a progress bar; return the size."""
    from tqdm.auto import tqdm

    received = 0
    with tqdm(total=total, unit="B", unit_scale=True, desc=name, disable=not show) as bar:
        while True:
            try:
                block = response.read(CHUNK)
            except (OSError, http.client.HTTPException) as err:  # reset, timed out or cut short mid-body
                raise DownloadError(f"the download of {url} was interrupted after {received:,} bytes ({err}); "
                                    "run the cell again to retry.") from err
            if not block:
                return received
            out.write(block)
            digest.update(block)
            received += len(block)
            bar.update(len(block))


def _safe_target(root: Path, name: str) -> Path:
    target = (root / name).resolve()
    if os.path.isabs(name) or not target.is_relative_to(root.resolve()):
        raise DownloadError(f"the archive member {name!r} would be written outside its folder; the archive is refused.")
    return target


def _extract_tar(archive: Path, staging: Path) -> None:
    try:
        tf = tarfile.open(archive)  # noqa: SIM115 - the error of opening is reported apart from the extraction's
    except tarfile.TarError as err:
        raise DownloadError(f"{archive.name} is not a readable archive ({err}); delete it and retry.") from err
    with tf:
        members = tf.getmembers()
        for m in members:  # check every member before writing anything
            _safe_target(staging, m.name)
            if m.issym() or m.islnk() or m.isdev():
                raise DownloadError(f"the archive member {m.name!r} is a link or a device; the archive is refused.")
        for m in members:
            target = staging / m.name
            if m.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif m.isfile():
                target.parent.mkdir(parents=True, exist_ok=True)
                with tf.extractfile(m) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)


def extract(archive: Path, dest: Path) -> Path:
    """Extract a .tar, .tar.gz/.tgz or .zip ``archive`` so that its content ends up in the folder ``dest``.

    Members with absolute paths, ``..`` components or links are refused (``DownloadError``) before anything is
    written. The content goes to a temporary folder first and is renamed to ``dest`` at the end, so ``dest`` either
    does not exist or is complete. Returns ``dest``.
    """
    archive, dest = Path(archive), Path(dest)
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=dest.name + ".", suffix=".partial", dir=dest.parent))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for name in zf.namelist():
                    _safe_target(staging, name)
                zf.extractall(staging)
        else:
            _extract_tar(archive, staging)
        os.replace(staging, dest)
        return dest
    except (EOFError, OSError, zipfile.BadZipFile, tarfile.TarError) as err:
        raise DownloadError(f"{archive.name} is truncated or corrupt ({err}); delete it and retry.") from err
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def gunzip(source: Path, dest: Path) -> Path:
    """Decompress a .gz file to ``dest`` atomically; return ``dest``."""
    dest = Path(dest)
    if dest.is_file():
        return dest
    fd, partial_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".partial", dir=dest.parent)
    partial = Path(partial_name)
    try:
        with gzip.open(source, "rb") as src, os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(src, out)
        os.replace(partial, dest)
        return dest
    except (EOFError, OSError, gzip.BadGzipFile) as err:
        raise DownloadError(f"{Path(source).name} is truncated or corrupt ({err}); delete it and retry.") from err
    finally:
        if partial.exists():
            partial.unlink()
