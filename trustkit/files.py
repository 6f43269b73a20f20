"""Atomic file writes for keys, seals and records: a crash leaves either the old file or the new one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["write_atomic", "write_atomic_stream"]


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory, fsync, rename.

    :param mode: permission bits of the new file (use ``0o600`` for private keys).
    :param overwrite: when False, refuse (``FileExistsError``) if ``path`` already exists.
    """
    write_atomic_stream(path, lambda handle: handle.write(data), mode=mode, overwrite=overwrite)


def write_atomic_stream(path: str | os.PathLike[str], produce: Callable[[BinaryIO], object], *, mode: int = 0o644,
                        overwrite: bool = True) -> None:
    """Like :func:`write_atomic`, but ``produce(handle)`` writes the content, so big outputs stream.

    If ``produce`` raises, the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not overwrite and target.exists():
        raise FileExistsError(f"{target} already exists")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            produce(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp_name, target)
        else:
            os.link(tmp_name, target)  # fails if target appeared meanwhile
            os.unlink(tmp_name)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
