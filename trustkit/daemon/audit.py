"""Tamper-evident audit log: JSON records chained by SM3, made durable before the response.

Each line is canonical JSON (sorted keys, no spaces, UTF-8)
``{"hash": H, "prev": P, "rec": {event fields}, "seq": N}``: ``seq`` counts 0, 1, 2 ..., ``prev``
is the previous record's hash (64 zeros for the first) and ``hash`` is SM3 over the canonical
JSON of the line without ``hash``, i.e. ``{"prev":P,"rec":{...},"seq":N}``.  Editing a record breaks its hash,
removing or reordering records breaks ``seq``/``prev``; :func:`verify_audit` names the index of
the first bad record.  Request secrets (tokens, passphrases, inputs) are written only as
HMAC-SM3 under a server key (:meth:`AuditLog.hmac`), never in clear.

Durability with group commit: handlers :meth:`AuditLog.submit` records to one writer thread,
which takes everything queued, appends it in one write + fsync (file) or one transaction
(database), and only then completes the futures the handlers wait on.  Concurrent requests
share an fsync while each response still follows its own durable record.  If the append fails,
every waiting request fails: the daemon refuses to act without an audit trail (fail closed).

Sinks: :class:`FileAuditSink` (JSON lines; ``flock`` serialises worker processes sharing the
file) and :class:`StorageAuditSink` (the ``audit`` table of SQLite/PostgreSQL, shared by
instances).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from trustkit.daemon.storage import AuditRow, Storage
from trustkit.errors import AuditUnavailableError
from trustkit.primitives import sm3

__all__ = [
    "GENESIS",
    "AuditLog",
    "AuditReport",
    "AuditSink",
    "FileAuditSink",
    "StorageAuditSink",
    "canonical",
    "verify_audit",
]

#: ``prev`` of the first record.
GENESIS = "0" * 64
_MAX_LINE = 1 << 20


def canonical(record: dict[str, Any]) -> str:
    """The canonical JSON text of a record (what is hashed and stored)."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _chain(bodies: Sequence[str], last_seq: int, last_hash: str) -> list[AuditRow]:
    """Link canonical event bodies into lines.  Only string formatting and one SM3 per record
    happen here (under the sink's lock, in the writer thread); the JSON encoding was done by
    the submitting thread, so the writer holds the GIL only briefly."""
    rows = []
    prev = last_hash or GENESIS
    seq = last_seq
    for body in bodies:
        seq += 1
        unhashed = f'{{"prev":"{prev}","rec":{body},"seq":{seq}}}'
        digest = sm3.hash(unhashed.encode("utf-8")).hex()
        rows.append(AuditRow(seq, digest, f'{{"hash":"{digest}",{unhashed[1:]}'))
        prev = digest
    return rows


class AuditSink(Protocol):
    """Appends chained rows durably; the chain's tail is read under the sink's own lock."""

    def append(self, records: Sequence[str]) -> Sequence[AuditRow]: ...
    def rows(self) -> Iterator[AuditRow]: ...


class FileAuditSink:
    """JSON lines in one file, appended with O_APPEND, fsync'd, under an exclusive ``flock``.

    The file is reopened for every batch, so a replaced, removed or unwritable file is noticed at
    once.  A torn last line (a crash in the middle of a write, before the fsync that would have
    acknowledged it) is cut off before the next append.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._tail: tuple[int, int, int, str] | None = None  # (inode, size, seq, hash) after our last write

    def _read_tail(self, fd: int, size: int) -> tuple[int, str, int]:
        """(last seq, last hash, size of the complete part) of the file."""
        if size == 0:
            return -1, "", 0
        start = max(0, size - _MAX_LINE)
        os.lseek(fd, start, os.SEEK_SET)
        chunk = b""
        while len(chunk) < size - start:
            part = os.read(fd, size - start - len(chunk))
            if not part:
                break
            chunk += part
        end = len(chunk)
        if not chunk.endswith(b"\n"):
            end = chunk.rfind(b"\n") + 1
        complete = chunk[:end]
        lines = complete.rstrip(b"\n").split(b"\n") if complete.strip() else []
        if not lines or not lines[-1]:
            if start == 0:
                return -1, "", start + end
            raise AuditUnavailableError("audit log tail unreadable")
        last = json.loads(lines[-1])
        return int(last["seq"]), str(last["hash"]), start + end

    def append(self, records: Sequence[str]) -> Sequence[AuditRow]:
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            st = os.fstat(fd)
            if self._tail is not None and self._tail[0] == st.st_ino and self._tail[1] == st.st_size:
                seq, digest = self._tail[2], self._tail[3]
            else:
                if self._tail is not None and st.st_size == 0:
                    raise AuditUnavailableError("the audit log was emptied or replaced; refusing to start a new chain")
                seq, digest, good = self._read_tail(fd, st.st_size)
                if good != st.st_size:
                    os.ftruncate(fd, good)
            rows = _chain(records, seq, digest)
            data = "".join(row.record + "\n" for row in rows).encode("utf-8")
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            self._tail = (st.st_ino, os.fstat(fd).st_size, rows[-1].seq, rows[-1].hash)
            # The chain order is fixed once the lines are written: let the other workers append
            # while this one waits for the disk.  Their fsyncs and ours overlap, and any fsync
            # of the file also makes the lines written before it durable.
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.fsync(fd)
            return rows
        finally:
            os.close(fd)

    def rows(self) -> Iterator[AuditRow]:
        with open(self.path, "rb") as handle:
            for line in handle:
                text = line.decode("utf-8", errors="replace").rstrip("\n")
                try:
                    parsed = json.loads(text)
                    yield AuditRow(int(parsed.get("seq", -1)), str(parsed.get("hash", "")), text)
                except (ValueError, AttributeError):
                    yield AuditRow(-1, "", text)


class StorageAuditSink:
    """The ``audit`` table of the storage backend (one transaction per batch)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def append(self, records: Sequence[str]) -> Sequence[AuditRow]:
        return self.storage.audit_append(lambda seq, digest: _chain(records, seq, digest))

    def rows(self) -> Iterator[AuditRow]:
        return self.storage.audit_rows()


class _Pending:
    __slots__ = ("future", "record")

    def __init__(self, record: str) -> None:
        self.record = record
        self.future: Future[AuditRow] = Future()


class _LoopBatch:
    """Records of one event loop waiting for the writer thread (at most one batch in flight)."""

    __slots__ = ("buffer", "in_flight", "scheduled")

    def __init__(self) -> None:
        self.buffer: list[tuple[str, asyncio.Future[AuditRow]]] = []
        self.in_flight = False
        self.scheduled = False


_Job = tuple[list[str], Callable[[list[AuditRow | BaseException]], None]]


class AuditLog:
    """Group-committing writer in front of an :class:`AuditSink`.

    Request handlers (:meth:`awrite`) append to a per-event-loop buffer; the loop hands the whole
    buffer to the writer thread in one piece, and while that batch is being made durable the
    next one accumulates.  The writer wakes once per batch and resolves the batch with one
    callback, so there is no thread hand-off (and no GIL contention) per request.

    :param hmac_key: the server key for :meth:`hmac` (derived from the token pepper, so records
        stay verifiable and comparable while the key store is sealed).
    :param max_batch: records per durable append.
    """

    def __init__(self, sink: AuditSink, hmac_key: bytes, *, max_batch: int = 2048) -> None:
        self.sink = sink
        self._hmac_key = hmac_key
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._loops: dict[asyncio.AbstractEventLoop, _LoopBatch] = {}
        self._thread = threading.Thread(target=self._run, name="trustkit-audit", daemon=True)
        self._closed = False
        self._thread.start()

    def hmac(self, value: str | bytes) -> str:
        """``hmac-sm3:<hex>`` of a secret, as it appears in records (Vault's ``hmac-sha256:``)."""
        data = value.encode("utf-8") if isinstance(value, str) else value
        return "hmac-sm3:" + sm3.hmac(self._hmac_key, data).hex()

    def submit(self, record: dict[str, Any]) -> Future[AuditRow]:
        """Queue a record; the future completes once it is durable (or fails: fail closed)."""
        future: Future[AuditRow] = Future()
        if self._closed:
            future.set_exception(AuditUnavailableError("the audit log is closed"))
            return future

        def done(outcomes: list[AuditRow | BaseException]) -> None:
            outcome = outcomes[0]
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

        self._queue.put(([canonical(record)], done))
        return future

    def write(self, record: dict[str, Any]) -> AuditRow:
        """Append one record and wait until it is durable.

        :raises AuditUnavailableError: the record could not be written.
        """
        return self.submit(record).result()

    async def awrite(self, record: dict[str, Any]) -> AuditRow:
        """Async :meth:`write` for request handlers (same durability guarantee)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AuditRow] = loop.create_future()
        if self._closed:
            raise AuditUnavailableError("the audit log is closed")
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _LoopBatch()
        state.buffer.append((canonical(record), future))
        if not state.in_flight and not state.scheduled:
            state.scheduled = True
            loop.call_soon(self._flush, loop, state)
        return await future

    def _flush(self, loop: asyncio.AbstractEventLoop, state: _LoopBatch) -> None:
        state.scheduled = False
        if state.in_flight or not state.buffer:
            return
        batch, state.buffer = state.buffer[: self._max_batch], state.buffer[self._max_batch:]
        state.in_flight = True

        def finished(outcomes: list[AuditRow | BaseException]) -> None:
            def resolve() -> None:
                state.in_flight = False
                for (_, future), outcome in zip(batch, outcomes):
                    if future.done():  # the request was cancelled (client went away)
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
                if state.buffer and not state.scheduled:
                    state.scheduled = True
                    loop.call_soon(self._flush, loop, state)

            try:
                loop.call_soon_threadsafe(resolve)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

        if self._closed:
            finished([AuditUnavailableError("the audit log is closed")] * len(batch))
            return
        self._queue.put(([body for body, _ in batch], finished))

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            bodies, finished = job
            outcomes: list[AuditRow | BaseException]
            try:
                outcomes = list(self.sink.append(bodies))
            except Exception as exc:  # noqa: BLE001 - fail closed: every waiter learns it is not durable
                error = exc if isinstance(exc, AuditUnavailableError) else AuditUnavailableError(
                    f"audit record could not be written: {type(exc).__name__}: {exc}")
                outcomes = [error] * len(bodies)
            finished(outcomes)

    def close(self) -> None:
        """Write what is queued, then stop the writer thread."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join(timeout=30)


@dataclass(frozen=True)
class AuditReport:
    """Result of :func:`verify_audit`: ``valid``, the record count and the first bad record."""

    valid: bool
    records: int
    bad_index: int | None = None
    reason: str | None = None
    last_hash: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "records": self.records, "bad_index": self.bad_index, "reason": self.reason,
                "last_hash": self.last_hash}


def _check(rows: Iterable[AuditRow]) -> AuditReport:
    prev = GENESIS
    count = 0
    for index, row in enumerate(rows):
        count = index + 1
        try:
            body = json.loads(row.record)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return AuditReport(False, count, index, "record is not a JSON object")
        claimed = body.pop("hash", None)
        digest = sm3.hash(canonical(body).encode("utf-8")).hex()
        if claimed != digest:
            return AuditReport(False, count, index, "record hash does not match its content (edited record)")
        if body.get("seq") != index:
            return AuditReport(False, count, index,
                               f"sequence number {body.get('seq')} where {index} was expected (record removed, "
                               "inserted or reordered)")
        if body.get("prev") != prev:
            return AuditReport(False, count, index, "previous-hash link broken (record removed or reordered)")
        prev = digest
    return AuditReport(True, count, None, None, prev if count else None)


def verify_audit(source: str | os.PathLike[str] | Storage | AuditSink, *, expect_last_hash: str | None = None) \
        -> AuditReport:
    """Check an audit chain: a JSON-lines file path, a storage backend, or a sink.

    :param expect_last_hash: the hash of the last record as remembered elsewhere (a witness);
        detects truncation at the end, which a chain alone cannot show.
    :returns: the report; ``bad_index`` is the 0-based index of the first bad record.
    """
    rows: Iterable[AuditRow]
    if isinstance(source, (str, os.PathLike)):
        rows = FileAuditSink(os.fspath(source)).rows()
    elif hasattr(source, "audit_rows"):
        rows = source.audit_rows()
    else:
        rows = source.rows()
    report = _check(rows)
    if report.valid and expect_last_hash is not None and report.last_hash != expect_last_hash:
        return AuditReport(False, report.records, report.records, "the log ends before the expected last record",
                           report.last_hash)
    return report
