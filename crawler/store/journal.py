"""The journal: items the database could not take, kept on disk until ``replay-journal``.

An append-only JSONL file; each line is one item and is fsynced before the write returns, so a
crash loses at most the line being written (a torn last line is kept as ``unreadable`` for a
person to look at, never dropped).
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class Journal:
    """Append-only JSONL of items the database could not take; each line is fsynced."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def append(self, entry: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        out = []
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        out.append(json.loads(line))
                    except json.JSONDecodeError:  # a line cut by a crash: keep it for a person
                        out.append({"kind": "unreadable", "line": line})
        return out

    def rewrite(self, entries: list[dict]) -> None:
        """Atomically replace the journal with ``entries`` (removed when empty)."""
        if not entries:
            self.path.unlink(missing_ok=True)
            return
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for e in entries:
                f.write(json.dumps(e, ensure_ascii=False, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
