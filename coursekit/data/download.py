"""Downloads that cannot leave a broken cache: checksums, progress bars, atomic writes and safe extraction.

A file is streamed into a temporary ``*.partial`` file beside its destination, hashed as it arrives, and renamed to
its final name only when every byte announced has arrived and the checksum matches. Whatever goes wrong (the network,
a checksum, Ctrl-C), the partial file is removed, so the cache holds either nothing or a verified file. Archives are
extracted into a temporary folder, refusing any member that would land outside it (``../`` paths, absolute paths,
links) and any archive that would expand past ``expansion_limit``, and the folder is renamed into place at the end.

The cache may be shared, by a class on one JupyterHub say: what is written is readable by the group and others, and
``cache_lock`` lets two processes that fill the same entry at once take turns, the second using what the first made.

Used by ``coursekit.data.real`` for MNIST, CIFAR-10 and the CMP Facades, and by notebooks that fetch an image by URL.
"""

from __future__ import annotations

import contextlib
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

from tqdm.auto import tqdm

from coursekit.environment import is_fast, mirror

CHUNK = 1 << 16
MAX_EXPANSION = 20  # an archive may expand to 20 times its size (MNIST's images: 4.7, CIFAR-10: 1.1)...
MIN_EXPANSION_LIMIT = 64 << 20  # ...or to 64 MiB, whichever is more


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


def expansion_limit(archive: Path) -> int:
    """The most bytes ``archive`` may expand to: ``MAX_EXPANSION`` times its size, or ``MIN_EXPANSION_LIMIT``."""
    return max(MIN_EXPANSION_LIMIT, MAX_EXPANSION * Path(archive).stat().st_size)


def _too_large(archive: Path, size: int, limit: int) -> DownloadError:
    return DownloadError(f"{Path(archive).name} expands to more than {size / 2**20:,.0f} MiB, over the "
                         f"{limit / 2**20:,.0f} MiB allowed for a {Path(archive).stat().st_size / 2**20:,.1f} MiB "
                         "archive: it is not the dataset it claims to be, and it was not unpacked. Delete it and "
                         "retry.")


def share(path: Path) -> Path:
    """Give the group and others read access to ``path`` (and to a folder's content, and its folders' traversal),
    whatever the umask: the cache may serve a whole class on one hub. Returns ``path``."""
    path = Path(path)
    for p in (path, *path.rglob("*")) if path.is_dir() else (path,):
        mode = p.stat().st_mode
        os.chmod(p, mode | (0o055 if p.is_dir() else 0o044))
    return path


def make_folder(path: Path) -> Path:
    """Create the folder ``path`` and its missing parents, each readable and enterable by the group and others
    whatever the umask (see ``share``). Returns ``path``."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        with contextlib.suppress(OSError):  # made by another user at the same moment: theirs to set
            os.chmod(folder, folder.stat().st_mode | 0o055)
    return path


@contextlib.contextmanager
def cache_lock(cache: Path, name: str):
    """Hold an exclusive lock named ``name`` in the folder ``cache`` (a file in its ``.locks/``) while an entry of the
    cache is made, so that processes that make the same entry at once take turns; the second says that it waits, then
    finds the first one's finished entry. Unix only (fcntl); elsewhere, in a cache this user cannot write to, or on a
    file system that refuses the lock, no lock is taken, and the atomic renames still keep the cache whole."""
    try:
        import fcntl  # Unix only: Windows has none
    except ImportError:  # Windows
        yield
        return
    path = Path(cache) / ".locks" / f"{name}.lock"
    fd = None
    with contextlib.suppress(OSError):  # a cache this user cannot write to: nothing can be made in it anyway
        make_folder(path.parent)
    for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):  # for writing where possible: NFS locks need it
        with contextlib.suppress(OSError):
            fd = os.open(path, flags, 0o644)
            break
    if fd is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another process that is putting {name} into {cache} …", flush=True)
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: go on without one
            pass
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)  # closing releases the lock


def mirrored(url: str, path: str) -> str:
    """Where to download a file from: ``url``, or, when ``COURSEKIT_MIRROR`` names a class's mirror, the file
    ``path`` in it (its place in the mirror's layout, ``coursekit mirror``'s: MNIST/raw/train-images-idx3-ubyte.gz,
    cifar-10-python.tar.gz, facades.tar.gz, vgg19-dcbb9e9d.pth). The file is checked against the same checksum
    either way."""
    base = mirror()
    return url if base is None else f"{base}/{path}"


def _expected(sha256: str | None, md5: str | None) -> tuple[str, str] | None:
    if sha256 and md5:
        raise ValueError("give one checksum, sha256 or md5, not both.")
    if sha256:
        if not 8 <= len(sha256) <= 64:
            raise ValueError(f"a sha256 checksum has 8 to 64 hex digits (a prefix of the digest), got {sha256!r}.")
        return "sha256", sha256.lower()
    if md5:
        if len(md5) != 32:
            raise ValueError(f"an md5 checksum has 32 hex digits, got {md5!r}.")
        return "md5", md5.lower()
    return None


def download(url: str, dest: Path, *, sha256: str | None = None, md5: str | None = None, timeout: float = 30,
             progress: bool | None = None) -> Path:
    """Download ``url`` to ``dest`` (a file path), verified against ``sha256`` or ``md5``; return ``dest``.

    ``sha256`` may be a prefix of the digest, 8 hex digits at least (torch hub's file names carry one); ``md5`` is
    the whole digest.
    A ``dest`` that already exists and matches its checksum is used as it is, without a download; one that does not
    match is refused and left in place (coursekit writes a file there only once it is verified, so someone else put
    it there). progress: show a tqdm bar (default: except in fast mode). Raises ``Unreachable`` when the host cannot
    be reached and ``DownloadError`` for an interrupted transfer or a checksum mismatch; in every case nothing is
    left beside ``dest``, and ``dest`` is either the verified file or what was there before.
    """
    dest = Path(dest)
    expected = _expected(sha256, md5)
    if dest.is_file():
        if expected is None or file_hash(dest, expected[0]).startswith(expected[1]):
            return dest
        raise DownloadError(f"{dest} is there already but does not have the expected {expected[0]} checksum: it is "
                            "corrupt, or another version of the file. coursekit leaves it as it is: delete or move "
                            "it, then run this again to download it.")
    make_folder(dest.parent)
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
        if expected is not None and not digest.hexdigest().startswith(expected[1]):
            raise DownloadError(
                f"{url} does not have the expected {expected[0]} checksum (got {digest.hexdigest()[:16]}…, expected "
                f"{expected[1][:16]}…): the file is corrupt or has changed on the server. Nothing was kept. Retry, "
                f"or download it by hand, check it, and put it at {dest}."
            )
        share(partial)  # mkstemp makes the file private; the cache may serve a whole class
        os.replace(partial, dest)
        return dest
    finally:
        if partial.exists():
            partial.unlink()


def download_first(urls, dest: Path, **checksum) -> Path:
    """``download`` from the first of ``urls`` that works (a dataset's mirrors, in turn); the last error when none
    does. checksum: ``sha256=`` or ``md5=``, as for ``download``."""
    error: DownloadError | None = None
    for url in urls:
        try:
            return download(url, dest, **checksum)
        except DownloadError as err:
            error = err
    if error is None:
        raise ValueError(f"no URL to download {Path(dest).name} from.")
    raise error


def _stream(response, out, digest, total: int | None, url: str, name: str, show: bool) -> int:
    """Copy the response body to ``out`` block by block, hashing it and showing a progress bar; return the size."""
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
    """Unpack a tar archive into ``staging`` with the standard library's "data" filter (PEP 706: no member outside
    the folder, no device file, no permission beyond the user's). Before anything is written, members with absolute
    paths or ``..`` components, links of any kind and an archive that would expand past ``expansion_limit`` are
    refused."""
    try:
        tf = tarfile.open(archive)  # noqa: SIM115 - the error of opening is reported apart from the extraction's
    except tarfile.TarError as err:
        raise DownloadError(f"{archive.name} is not a readable archive ({err}); delete it and retry.") from err
    with tf:
        members = tf.getmembers()
        for m in members:  # before anything is written; the filter would strip a leading "/" where this refuses it
            _safe_target(staging, m.name)
            if m.issym() or m.islnk():  # no dataset the course downloads holds one: a sign of a crafted archive
                raise DownloadError(f"the archive member {m.name!r} is a link; the archive is refused.")
        size, limit = sum(m.size for m in members if m.isfile()), expansion_limit(archive)
        if size > limit:
            raise _too_large(archive, size, limit)
        try:
            tf.extractall(staging, members=members, filter="data")
        except tarfile.FilterError as err:
            raise DownloadError(f"the archive member {err.tarinfo.name!r} would be written outside its folder or is "
                                "not a plain file or folder; the archive is refused.") from None


def extract(archive: Path, dest: Path) -> Path:
    """Extract a .tar, .tar.gz/.tgz or .zip ``archive`` so that its content ends up in the folder ``dest``.

    Members with absolute paths, ``..`` components or links, and archives that would expand past
    ``expansion_limit``, are refused (``DownloadError``) before anything is written. The content goes to a temporary
    folder first and is renamed to ``dest`` at the end, so ``dest`` either does not exist or is complete; when another
    process finished ``dest`` meanwhile, its copy is kept. What is written is readable by all (``share``). Returns
    ``dest``.
    """
    archive, dest = Path(archive), Path(dest)
    if dest.exists():
        return dest
    make_folder(dest.parent)
    staging = Path(tempfile.mkdtemp(prefix=dest.name + ".", suffix=".partial", dir=dest.parent))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for name in zf.namelist():
                    _safe_target(staging, name)
                size, limit = sum(i.file_size for i in zf.infolist()), expansion_limit(archive)
                if size > limit:
                    raise _too_large(archive, size, limit)
                zf.extractall(staging)
        else:
            _extract_tar(archive, staging)
        share(staging)
        try:
            os.replace(staging, dest)
        except OSError:
            if not dest.is_dir():  # not another process's finished copy: a real failure
                raise
        return dest
    except (EOFError, OSError, zipfile.BadZipFile, tarfile.TarError) as err:
        raise DownloadError(f"{archive.name} is truncated or corrupt ({err}); delete it and retry.") from err
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def gunzip(source: Path, dest: Path) -> Path:
    """Decompress a .gz file to ``dest`` atomically, readable by all, refusing to expand past ``expansion_limit``;
    return ``dest``."""
    dest = Path(dest)
    if dest.is_file():
        return dest
    fd, partial_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".partial", dir=dest.parent)
    partial = Path(partial_name)
    try:
        limit, size = expansion_limit(source), 0
        with gzip.open(source, "rb") as src, os.fdopen(fd, "wb") as out:
            for block in iter(lambda: src.read(CHUNK), b""):
                size += len(block)
                if size > limit:
                    raise _too_large(source, size, limit)
                out.write(block)
        share(partial)
        os.replace(partial, dest)
        return dest
    except (EOFError, OSError, gzip.BadGzipFile) as err:
        raise DownloadError(f"{Path(source).name} is truncated or corrupt ({err}); delete it and retry.") from err
    finally:
        if partial.exists():
            partial.unlink()
