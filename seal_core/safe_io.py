"""Safe reading of local input files: regular files only, a size limit, bounded decompression, data roots.

Everything SEAL Explorer reads from a path a user typed (the CLI's DATA, the app's path box, a ``?data=`` link,
``--scores``/``--features`` tables) goes through :func:`open_input` (or :func:`read_input`):

* only **regular files** are opened: devices (``/dev/zero``), FIFOs, sockets and directories are refused after an
  ``os.stat`` and before any read; the file is opened with ``O_NONBLOCK`` and checked again on the open descriptor,
  so a FIFO swapped in between never blocks;
* a **size limit** (``SEAL_MAX_INPUT_MB``, default 1024) is checked against the file's size before reading, and
  again while reading and **decompressing**: a gzip bomb stops at the limit instead of filling memory;
* with **data roots** (:func:`resolve_data_path`), a path must lie under one of the folders in ``SEAL_DATA_DIRS``
  after symlinks are resolved, and anything else is refused with one message that does not say whether the path
  exists. The app applies this whenever it listens beyond localhost, or always with ``SEAL_RESTRICT_DATA=1``.
"""

from __future__ import annotations

import gzip
import io
import ipaddress
import os
import re
import stat
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from seal_core.errors import SealInputError

DEFAULT_MAX_MB = 1024
_TRUE = {"1", "true", "yes", "on"}
_KINDS = [
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
]
_HUB_ID = re.compile(r"[\w][\w.-]*(/[\w][\w.-]*)?")
_FILE_SUFFIXES = {".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".gz"}


def max_input_bytes() -> int:
    """The size limit for one input file, decompressed: ``SEAL_MAX_INPUT_MB`` megabytes (default 1024).

    Examples
    --------
    >>> import os
    >>> os.environ["SEAL_MAX_INPUT_MB"] = "2"; max_input_bytes()
    2000000
    >>> del os.environ["SEAL_MAX_INPUT_MB"]; max_input_bytes() == DEFAULT_MAX_MB * 10**6
    True
    """
    raw = os.environ.get("SEAL_MAX_INPUT_MB", "").strip()
    if not raw:
        return DEFAULT_MAX_MB * 10**6
    try:
        mb = float(raw)
    except ValueError:
        raise SealInputError(f"SEAL_MAX_INPUT_MB={raw!r} is not a number of megabytes") from None
    if mb <= 0:
        raise SealInputError(f"SEAL_MAX_INPUT_MB must be positive, got {raw}")
    return int(mb * 10**6)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n < 10**7 else f"{n / 1e6:,.0f} MB"


def _kind(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _too_large(name: str, size: int, limit: int, *, decompressed: bool = False) -> SealInputError:
    what = "decompresses to more than" if decompressed else f"is {_mb(size)}, over"
    return SealInputError(
        f"{name} {what} the {_mb(limit)} input limit; load a smaller file or a slice of it, or raise the limit "
        "with SEAL_MAX_INPUT_MB"
    )


def check_regular_file(path: str | os.PathLike, *, limit: int | None = None) -> os.stat_result:
    """Refuse anything but an existing regular file of at most ``limit`` bytes, without opening it.

    Raises
    ------
    SealInputError
        Missing, a directory, a device, FIFO or socket, or over the limit. The message names the path and the
        problem, never the content.

    Examples
    --------
    >>> check_regular_file("/dev/zero")
    Traceback (most recent call last):
    ...
    seal_core.errors.SealInputError: /dev/zero is a character device, not a regular file; only regular files are read
    """
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except FileNotFoundError:
        raise SealInputError(f"file not found: {name}") from None
    except OSError as e:
        raise SealInputError(f"cannot read {name}: {e.strerror or type(e).__name__}") from None
    kind = _kind(st.st_mode)
    if kind == "a directory":
        raise SealInputError(f"{name} is a directory; pass a data file (.jsonl, .json, .csv, .tsv or .parquet)")
    if kind is not None:
        raise SealInputError(f"{name} is {kind}, not a regular file; only regular files are read")
    limit = max_input_bytes() if limit is None else limit
    if st.st_size > limit:
        raise _too_large(name, st.st_size, limit)
    return st


class _Bounded(io.RawIOBase):
    """A read-only stream that raises once more than ``limit`` bytes have come out of ``inner``."""

    def __init__(self, inner: BinaryIO, limit: int, name: str, decompressed: bool) -> None:
        self._inner, self._limit, self._name, self._decompressed = inner, limit, name, decompressed
        self.read_so_far = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        want = min(len(buffer), self._limit + 1 - self.read_so_far)  # one byte past the limit shows an overrun
        try:
            data = self._inner.read(want)
        except (OSError, EOFError, zlib.error) as e:
            if self._decompressed:
                raise SealInputError(
                    f"{self._name}: not a valid gzip file ({type(e).__name__}); re-compress it or pass the plain file"
                ) from None
            raise SealInputError(
                f"cannot read {self._name}: {getattr(e, 'strerror', None) or type(e).__name__}"
            ) from None
        self.read_so_far += len(data)
        if self.read_so_far > self._limit:
            raise _too_large(self._name, self.read_so_far, self._limit, decompressed=self._decompressed)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def open_regular(path: str | os.PathLike, *, limit: int | None = None, seekable: bool = False) -> BinaryIO:
    """Open a regular file for binary reading after :func:`check_regular_file`; never blocks on a FIFO.

    The file is opened with ``O_NONBLOCK`` and its descriptor checked again (the path may have changed since the
    ``stat``); reads past ``limit`` bytes raise :class:`SealInputError`. With ``seekable`` the plain file object
    is returned (for readers that seek, such as Parquet's), its size checked against ``limit`` once.
    """
    name = os.fspath(path)
    limit = max_input_bytes() if limit is None else limit
    check_regular_file(name, limit=limit)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(name, flags)
    except OSError as e:
        raise SealInputError(f"cannot read {name}: {e.strerror or type(e).__name__}") from None
    try:
        st = os.fstat(fd)
        kind = _kind(st.st_mode)
        if kind is not None:
            raise SealInputError(f"{name} is {kind}, not a regular file; only regular files are read")
        if st.st_size > limit:
            raise _too_large(name, st.st_size, limit)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        raw = os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise
    if seekable:
        return io.BufferedReader(raw, buffer_size=1 << 20)
    return io.BufferedReader(_Bounded(raw, limit, name, decompressed=False), buffer_size=1 << 20)


def is_gzip(path: str | os.PathLike, head: bytes | None = None) -> bool:
    """A ``.gz`` name or the gzip magic bytes."""
    return Path(path).suffix.lower() == ".gz" or (head or b"")[:2] == b"\x1f\x8b"


def open_input(path: str | os.PathLike, *, limit: int | None = None) -> BinaryIO:
    """Open a local input file as a binary stream, gunzipping ``.gz`` (or gzip-magic) files on the fly.

    Both the file and what it decompresses to are held to ``limit`` bytes (default :func:`max_input_bytes`).

    Examples
    --------
    >>> import gzip, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "bomb.jsonl.gz")
    >>> with gzip.open(p, "wb") as f:
    ...     _ = f.write(b"\\0" * 3_000_000)  # 3 MB of zeros: a ~3 KB file
    >>> open_input(p, limit=1_000_000).read()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    seal_core.errors.SealInputError: ... decompresses to more than the 1.0 MB input limit; ...
    """
    name = os.fspath(path)
    limit = max_input_bytes() if limit is None else limit
    f = open_regular(name, limit=limit)
    head = f.peek(2)[:2]
    if not is_gzip(name, head):
        return f
    inner = gzip.GzipFile(fileobj=f, mode="rb")
    return io.BufferedReader(_Bounded(inner, limit, name, decompressed=True), buffer_size=1 << 20)


def read_input(path: str | os.PathLike, *, limit: int | None = None) -> bytes:
    """The whole (decompressed) content of a local input file, at most ``limit`` bytes; see :func:`open_input`."""
    with open_input(path, limit=limit) as f:
        return f.read()


# --------------------------------------------------------------------------------------------- data roots


def data_roots(value: str | None = None) -> tuple[Path, ...]:
    """The configured data folders: ``SEAL_DATA_DIRS`` (separated by ``os.pathsep``), symlinks resolved.

    Examples
    --------
    >>> import os
    >>> [p.name for p in data_roots(os.pathsep.join(["/tmp", "", "/nonexistent/x"]))]
    ['tmp', 'x']
    """
    raw = os.environ.get("SEAL_DATA_DIRS", "") if value is None else value
    return tuple(Path(os.path.realpath(os.path.expanduser(p.strip()))) for p in raw.split(os.pathsep) if p.strip())


def restriction_required(server_address: str | None = None) -> bool:
    """Whether local paths must lie under the data roots: ``SEAL_RESTRICT_DATA=1``, or a server that listens
    beyond localhost (an empty address listens on every interface).

    Examples
    --------
    >>> restriction_required("127.0.0.1"), restriction_required("localhost"), restriction_required("0.0.0.0")
    (False, False, True)
    """
    if os.environ.get("SEAL_RESTRICT_DATA", "").strip().lower() in _TRUE:
        return True
    if server_address is None:
        return False
    address = server_address.strip().strip("[]")
    if address == "localhost":
        return False
    try:
        return not ipaddress.ip_address(address).is_loopback
    except ValueError:
        return True  # empty (every interface) or a host name


def _refused(text: str) -> SealInputError:
    return SealInputError(
        f"{text!r} cannot be opened: on this server, data files must lie in the data folders it was given "
        "(SEAL_DATA_DIRS). Upload the file instead, or ask whoever runs the server to add its folder."
    )


def looks_like_hub_id(text: str) -> bool:
    """``name`` or ``org/name`` with no file suffix and no ``.``/``..`` segment.

    Examples
    --------
    >>> looks_like_hub_id("Anthropic/hh-rlhf"), looks_like_hub_id("../etc"), looks_like_hub_id("a/b.jsonl")
    (True, False, False)
    """
    return bool(_HUB_ID.fullmatch(text)) and Path(text).suffix.lower() not in _FILE_SUFFIXES


def resolve_data_path(
    text: str | os.PathLike, *, restrict: bool, roots: Iterable[str | os.PathLike] | None = None
) -> Path | None:
    """Where a typed path or ``?data=`` value may be read from; None when it names a hub dataset instead.

    Without ``restrict`` this is the path as given (``~`` expanded), or None for a hub-style id that is not a local
    file. With ``restrict``, a relative path is looked up in each data root, and the resolved path (symlinks
    followed) must lie inside one; a hub-style id that names no file in a root is a hub id. Anything else is refused
    with the same message whether or not it exists, so the server's other paths stay private.

    Parameters
    ----------
    text : str or path
        What the user typed.
    restrict : bool
        Apply the data roots (see :func:`restriction_required`).
    roots : iterable of paths, optional
        The data roots; default :func:`data_roots` (``SEAL_DATA_DIRS``). With ``restrict`` and no roots, every
        local path is refused.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()); _ = (root / "pairs.jsonl").write_text("{}")
    >>> resolve_data_path("pairs.jsonl", restrict=True, roots=[root]) == (root / "pairs.jsonl").resolve()
    True
    >>> resolve_data_path("/etc/passwd", restrict=True, roots=[root])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    seal_core.errors.SealInputError: '/etc/passwd' cannot be opened: on this server, data files must lie in ...
    >>> resolve_data_path("Anthropic/hh-rlhf", restrict=True, roots=[root]) is None
    True
    """
    raw = os.fspath(text)
    if not restrict:
        path = Path(raw).expanduser()
        if not path.exists() and looks_like_hub_id(raw):
            return None
        return path
    root_list = list(data_roots(os.pathsep.join(map(os.fspath, roots)))) if roots is not None else list(data_roots())
    given = Path(raw).expanduser()
    candidates = [given] if given.is_absolute() else [r / given for r in root_list]
    inside = []
    for cand in candidates:
        real = Path(os.path.realpath(cand))
        if any(real == r or real.is_relative_to(r) for r in root_list):
            inside.append(real)
    existing = [p for p in inside if os.path.lexists(p)]
    if existing:
        return existing[0]
    if looks_like_hub_id(raw):
        return None
    if inside:
        return inside[0]  # inside a root but missing: the reader says "file not found"
    raise _refused(raw)
