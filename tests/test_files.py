"""trustkit.files: atomic writes leave either the old file or the complete new one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import pytest

from trustkit.files import write_atomic, write_atomic_stream


def test_write_replace_and_mode(tmp_path: Path) -> None:
    target = tmp_path / "key.pem"
    write_atomic(target, b"old", mode=0o600)
    write_atomic(target, b"new", mode=0o600)
    assert target.read_bytes() == b"new"
    assert os.stat(target).st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.pem"]  # no temporary files left


def test_no_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "seal.esl"
    write_atomic(target, b"1", overwrite=False)
    with pytest.raises(FileExistsError):
        write_atomic(target, b"2", overwrite=False)
    assert target.read_bytes() == b"1"


def test_stream_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "doc.ofd"
    write_atomic(target, b"old")

    def produce(handle: BinaryIO) -> None:
        handle.write(b"partial")
        raise RuntimeError("killed halfway")

    with pytest.raises(RuntimeError):
        write_atomic_stream(target, produce)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.ofd"]


def test_stream_writes_in_pieces(tmp_path: Path) -> None:
    target = tmp_path / "big.bin"

    def produce(handle: BinaryIO) -> None:
        for i in range(64):
            handle.write(bytes([i]) * 4096)

    write_atomic_stream(target, produce)
    data = target.read_bytes()
    assert len(data) == 64 * 4096 and data[-1] == 63
