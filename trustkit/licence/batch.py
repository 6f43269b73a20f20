"""Batch issuance: a CSV (or any iterator) of records -> one sealed licence file per record.

Guarantees:

- **One file per record**, named ``<identifier>.ofd``.  A licence identifier holds only
  ``0-9``, ``A-Z`` and dots and starts with ``1.2.156.3005.2`` (validated by
  :class:`~trustkit.licence.codes.LicenceIdentifier`), so it is already a safe file name on every
  file system: no separators, no leading dot, no case folding problems.
- **No partial files.**  Every file is written with :func:`trustkit.files.write_atomic` (a
  temporary file in the same directory, fsync, rename, fsync of the directory): a crash or a
  SIGKILL leaves either no file or the complete one.  Temporary files a killed run left behind
  (``.<name>.ofd.*.tmp``) are removed when the next run starts.
- **Resumable.**  The output directory is the journal: a record whose file exists, opens as an
  OFD package, is sealed and carries the same identifier is skipped (``resume=True``).  Nothing
  else needs to be fsync'ed, and a file someone deleted or damaged is simply issued again.
- **One run per directory** at a time: an exclusive ``flock`` on ``.trustkit-batch.lock``
  (released by the kernel even on SIGKILL).
- **Flat memory.**  The CSV is read row by row and nothing per record is kept, except the
  first :data:`MAX_REPORTED_FAILURES` failures.

CSV format (UTF-8, optional BOM, a header row): the columns of :data:`CSV_COLUMNS`
(``status`` optional, default ``valid``; an empty ``valid_to`` means long-term), plus extra
fields as ``extra.<name>`` (text), ``extra.<name>:int`` or ``extra.<name>:date`` (``YYYY-MM-DD``);
an empty extra cell leaves the field out.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal, TextIO

from trustkit.errors import ConfigurationError, DecodeError, TrustkitError
from trustkit.files import write_atomic
from trustkit.licence.issue import issue_licence
from trustkit.licence.model import LicenceRecord
from trustkit.licence.template import Template
from trustkit.licence.verify import read_licence_record
from trustkit.ofd.reader import OFDReader
from trustkit.pki.signer import Signer

__all__ = [
    "CSV_COLUMNS",
    "LOCK_FILE",
    "MAX_REPORTED_FAILURES",
    "BatchEvent",
    "BatchFailure",
    "BatchResult",
    "csv_rows",
    "issue_batch",
    "licence_file_name",
    "read_csv_records",
    "record_to_row",
]

CSV_COLUMNS = ("identifier", "licence_type_code", "licence_type_name", "licence_number", "holder_name",
               "holder_id_type", "holder_code", "issuer_name", "issuer_code", "issue_date", "valid_from",
               "valid_to", "status")
LOCK_FILE = ".trustkit-batch.lock"
MAX_REPORTED_FAILURES = 1000
_MAX_FIELD = 64 * 1024
_EXTRA_KINDS = {"": "string", "int": "integer", "date": "date"}

EventStatus = Literal["issued", "skipped", "failed"]


@dataclass(frozen=True)
class BatchEvent:
    """One record's outcome, passed to the ``progress`` callback as it happens."""

    row: int
    identifier: str | None
    status: EventStatus
    path: Path | None = None
    message: str = ""


@dataclass(frozen=True)
class BatchFailure:
    row: int
    identifier: str | None
    message: str


@dataclass(frozen=True)
class BatchResult:
    """Counts of a run; ``failures`` holds the first :data:`MAX_REPORTED_FAILURES`."""

    issued: int
    skipped: int
    failed: int
    failures: tuple[BatchFailure, ...]

    @property
    def total(self) -> int:
        return self.issued + self.skipped + self.failed


def licence_file_name(record: LicenceRecord) -> str:
    """``<identifier>.ofd`` (the identifier's alphabet is file-name safe)."""
    return f"{record.identifier}.ofd"


def record_to_row(record: LicenceRecord) -> dict[str, str]:
    """``record`` as a CSV row (column -> text) in the format :func:`read_csv_records` reads."""
    data = record.to_dict()
    row = {k: "" if data[k] is None else str(data[k]) for k in CSV_COLUMNS}
    for name, value in sorted(record.extra.items()):
        if isinstance(value, date):
            row[f"extra.{name}:date"] = value.isoformat()
        elif isinstance(value, int):
            row[f"extra.{name}:int"] = str(value)
        else:
            row[f"extra.{name}"] = value
    return row


def _row_record(header: list[str], cells: list[str]) -> LicenceRecord:
    if len(cells) != len(header):
        raise DecodeError(f"{len(cells)} cells for {len(header)} columns")
    obj: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for column, cell in zip(header, cells):
        if column.startswith("extra."):
            if cell == "":
                continue
            name, _, kind = column[6:].rpartition(":") if ":" in column[6:] else (column[6:], "", "")
            value: Any = cell
            if _EXTRA_KINDS[kind] == "integer":
                try:
                    value = int(cell)
                except ValueError:
                    raise DecodeError(f"column {column}: {cell!r} is not an integer") from None
            extra[name] = {"type": _EXTRA_KINDS[kind], "value": value}
        elif column == "valid_to":
            obj[column] = cell or None
        elif column == "status":
            obj[column] = cell or "valid"
        else:
            obj[column] = cell
    obj["extra"] = extra
    return LicenceRecord.from_dict(obj)


def _check_header(header: list[str]) -> list[str]:
    header = [h.strip() for h in header]
    required = [c for c in CSV_COLUMNS if c != "status"]
    missing = [c for c in required if c not in header]
    if missing:
        raise DecodeError(f"CSV header lacks column(s): {', '.join(missing)}")
    for column in header:
        if column in CSV_COLUMNS:
            continue
        if not column.startswith("extra.") or len(column) <= 6:
            raise DecodeError(f"CSV column {column!r} is neither a record field nor extra.<name>[:int|:date]")
        kind = column[6:].rpartition(":")[2] if ":" in column[6:] else ""
        if kind not in _EXTRA_KINDS:
            raise DecodeError(f"CSV column {column!r}: the type suffix must be :int or :date")
    if len(set(header)) != len(header):
        raise DecodeError("CSV header names a column twice")
    return header


def csv_rows(stream: TextIO) -> Iterator[tuple[int, LicenceRecord | DecodeError]]:
    """(row number, record or the error that row gave), streaming; row 1 is the header.

    :raises DecodeError: an empty file or a bad header.
    """
    csv.field_size_limit(_MAX_FIELD)
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise DecodeError("the CSV file is empty (it needs a header row)") from None
    except csv.Error as exc:
        raise DecodeError(f"CSV header: {exc}") from None
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    header = _check_header(header)
    row = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row += 1
            yield row, DecodeError(f"CSV row {row}: {exc}")
            continue
        row += 1
        if not any(cells):
            continue
        try:
            yield row, _row_record(header, cells)
        except DecodeError as exc:
            yield row, DecodeError(f"CSV row {row}: {exc.message}", code=exc.code)


def read_csv_records(path: str | os.PathLike[str]) -> Iterator[LicenceRecord]:
    """Every record of a CSV file, streaming.

    :raises DecodeError: the first bad row (with its number).
    """
    with open(path, encoding="utf-8-sig", newline="") as stream:
        for _row, item in csv_rows(stream):
            if isinstance(item, DecodeError):
                raise item
            yield item


def _already_issued(path: Path, record: LicenceRecord) -> bool:
    try:
        with OFDReader.open(path) as reader:
            return reader.signatures() is not None and read_licence_record(reader).identifier == record.identifier
    except (TrustkitError, OSError, ValueError):
        return False


def _clean_temporaries(out: Path) -> None:
    for stale in out.glob(".*.ofd.*.tmp"):
        try:
            stale.unlink()
        except FileNotFoundError:
            pass


def _items(source: str | os.PathLike[str] | Iterable[LicenceRecord],
           opened: list[io.TextIOWrapper]) -> Iterator[tuple[int, LicenceRecord | DecodeError]]:
    if isinstance(source, (str, os.PathLike)):
        stream = open(source, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by issue_batch
        opened.append(stream)
        return csv_rows(stream)
    return ((i, r) for i, r in enumerate(source, 1))


def issue_batch(
    source: str | os.PathLike[str] | Iterable[LicenceRecord],
    template: Template,
    signer: Signer,
    seal: bytes,
    out_dir: str | os.PathLike[str],
    *,
    resume: bool = True,
    progress: Callable[[BatchEvent], None] | None = None,
    qr_signer: Signer | None = None,
    photos: Callable[[LicenceRecord], bytes | None] | None = None,
    time: datetime | None = None,
) -> BatchResult:
    """Issue one sealed licence per record into ``out_dir`` (guarantees in the module docstring).

    :param source: a CSV file path, or an iterable of records (consumed lazily).
    :param resume: skip records whose licence file is already complete; when False an existing
        file is a failure for that record (never overwritten).
    :param progress: called with a :class:`BatchEvent` after each record.
    :param photos: the holder's photo for a record (templates with a photo box), or None.
    :param time: the issue time of every licence (default: now, per record).
    :raises ConfigurationError: ``out_dir`` is missing, or another batch runs in it.
    :raises DecodeError: the CSV file is empty or its header is bad (row errors are failures).
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise ConfigurationError(f"output directory {out} does not exist")
    lock = open(out / LOCK_FILE, "a+b")  # noqa: SIM115 - held for the whole run
    opened: list[io.TextIOWrapper] = []
    try:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigurationError(f"another batch is issuing into {out} (lock {LOCK_FILE})") from None
        _clean_temporaries(out)
        issued = skipped = failed = 0
        failures: list[BatchFailure] = []

        def failure(row: int, identifier: str | None, message: str) -> None:
            nonlocal failed
            failed += 1
            if len(failures) < MAX_REPORTED_FAILURES:
                failures.append(BatchFailure(row, identifier, message))
            if progress is not None:
                progress(BatchEvent(row, identifier, "failed", None, message))

        for row, item in _items(source, opened):
            if isinstance(item, DecodeError):
                failure(row, None, item.message)
                continue
            if not isinstance(item, LicenceRecord):
                raise TypeError("issue_batch takes LicenceRecord items")
            identifier = str(item.identifier)
            target = out / licence_file_name(item)
            if target.exists():
                if resume and _already_issued(target, item):
                    skipped += 1
                    if progress is not None:
                        progress(BatchEvent(row, identifier, "skipped", target))
                    continue
                if not resume:
                    failure(row, identifier, f"{target.name} already exists (resume to skip it)")
                    continue
            try:
                data = issue_licence(item, template, signer, seal, qr_signer=qr_signer,
                                     photo=photos(item) if photos is not None else None,
                                     time=time or datetime.now(timezone.utc))
                write_atomic(target, data, mode=0o644)
            except (TrustkitError, ValueError) as exc:
                failure(row, identifier, exc.message if isinstance(exc, TrustkitError) else str(exc))
                continue
            issued += 1
            if progress is not None:
                progress(BatchEvent(row, identifier, "issued", target))
        return BatchResult(issued, skipped, failed, tuple(failures))
    finally:
        for stream in opened:
            stream.close()
        lock.close()
