"""The journal: items the database could not take, kept on disk until ``replay-journal``.

An append-only JSONL file. Each line is one item, written whole or not at all: before writing,
the free space is checked; the line goes out in one ``write`` and is fsynced before the append
returns; a write the disk cuts short (full disk, file size limit) is truncated away again and
reported as :class:`JournalFull`, so the journal never holds a torn line of ours. (A line torn
by something else, a crash mid-write on an older version, reads back as ``unreadable``.)

Appends and the replayer's claim of the file are serialised by an ``flock`` on a lock file
beside the journal, so a crawl journaling while ``replay-journal`` runs loses nothing: the
replayer renames the journal to a ``.replaying`` file it owns, and new items start a new journal.

The quarantine file (``<journal>.quarantine.jsonl``) holds the entries the database refused
for good (a document it cannot store, an unreadable line), each with the reason, for a person
to look at; they are no longer retried.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
from pathlib import Path

#: Room kept free beyond the line itself: the filesystem's own metadata, and a margin so that
#: the disk is not filled to the last byte by the journal.
RESERVE = 64 * 1024


class JournalFull(Exception):
    """The journal cannot take a whole line: the disk is full or a size limit is reached.

    Not an ``OSError`` on purpose: the store retries and journals ``OSError``; this one has
    nowhere left to go and must stop the writer."""


def _line(entry: dict) -> bytes:
    return (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")


class Journal:
    """Append-only JSONL of items the database could not take; each line whole and fsynced."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.quarantine_path = self.path.with_name(self.path.stem + ".quarantine.jsonl")
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @contextlib.contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def append(self, entry: dict) -> None:
        """Append one entry as one line, fsynced; raises :class:`JournalFull` (and writes
        nothing) when the line does not fit."""
        with self._locked():
            _append_whole(self.path, _line(entry))

    def quarantine(self, entry: dict, reason: str) -> None:
        """Keep an entry the database refused, with the reason, out of the journal."""
        with self._locked():
            _append_whole(self.quarantine_path, _line({"reason": reason, "entry": entry}))

    def entries(self) -> list[dict]:
        """The entries waiting, in order (the journal and any claim a replay left behind)."""
        out = []
        for path in [*self._claims(), self.path]:
            out += _read(path)
        return out

    def pending(self) -> int:
        """How many entries wait for a replay."""
        return len(self.entries())

    def _claims(self) -> list[Path]:
        return sorted(self.path.parent.glob(self.path.name + ".replaying*"))

    def claim(self) -> tuple[list[Path], list[dict]]:
        """Take the journal for a replay: it is renamed to a ``.replaying`` file (new items
        start a new journal), and the entries of that file and of claims left by a replay that
        died are returned with their files. :meth:`release` ends the claim."""
        with self._locked():
            if self.path.exists():
                n = 0
                while (target := self.path.with_name(f"{self.path.name}.replaying{n}")).exists():
                    n += 1
                os.replace(self.path, target)
            files = self._claims()
        entries = []
        for path in files:
            entries += _read(path)
        return files, entries

    def release(self, files: list[Path], remaining: list[dict]) -> None:
        """End a claim: the entries still waiting go back to the journal, then the claimed
        files are removed. (A crash between the two replays them twice, which the store
        takes as ``unchanged``: never lost.)"""
        if remaining:
            with self._locked():
                _append_whole(self.path, b"".join(_line(e) for e in remaining))
        for path in files:
            path.unlink(missing_ok=True)


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:  # a line torn by a crash: keep it for a person
                    out.append({"kind": "unreadable", "line": line})
    return out


def _free_bytes(directory: Path) -> int:
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize


def _append_whole(path: Path, data: bytes) -> None:
    """Write ``data`` at the end of ``path`` entirely, fsynced, or leave the file as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if _free_bytes(path.parent) < len(data) + RESERVE:
        raise JournalFull(f"{path}: no room for {len(data)} more bytes on the disk "
                          f"({_free_bytes(path.parent)} bytes free)")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        start = os.fstat(fd).st_size
        try:
            written = 0
            while written < len(data):
                n = os.write(fd, data[written:])
                if n == 0:
                    raise OSError(errno.ENOSPC, "no progress writing")
                written += n
            os.fsync(fd)
        except OSError as exc:
            # Cut short by a full disk or a file size limit: take the partial line back.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
                os.fsync(fd)
            if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                raise JournalFull(f"{path}: {os.strerror(exc.errno)}") from exc
            raise
    finally:
        os.close(fd)
