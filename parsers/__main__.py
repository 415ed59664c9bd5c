"""``python -m parsers PATH...``: parse report pages or attachments, one JSON record per line.

A directory argument stands for the files in it (recursively, in name order, hidden files
skipped). Exit status 0 when every file was parsed, 2 when some file could not be read or
parsed: each such file gets a one-line error on stderr naming it, and the other files are
still parsed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import parse_page


def _files(names: list[str]):
    """(name, path) of every file to parse, directories expanded."""
    for name in names:
        path = Path(name)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                if child.is_file() and not any(part.startswith(".") for part in rel):
                    yield str(child), child
        else:
            yield name, path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m parsers", description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", metavar="FILE",
                    help="report pages (HTML, text) or attachments (PDF, DOCX, DOC, WPS, XLSX, "
                         "XLS), or directories of them")
    ap.add_argument("--url", help="the URL the page was fetched from (one file only, or all)")
    ap.add_argument("--content-type", help="the Content-Type header the page was served with")
    ap.add_argument("--pretty", action="store_true", help="indented JSON, for people")
    args = ap.parse_args(argv)
    out = sys.stdout
    status = 0
    for name, path in _files(args.files):
        try:
            body = path.read_bytes()
        except OSError as exc:
            print(f"{name}: cannot read: {exc.strerror or exc}", file=sys.stderr)
            status = 2
            continue
        if not body.strip():
            print(f"{name}: empty file", file=sys.stderr)
            status = 2
            continue
        try:
            record = parse_page(body, url=args.url or path.resolve().as_uri(),
                                content_type=args.content_type)
            line = json.dumps(record, ensure_ascii=False, allow_nan=False,
                              indent=2 if args.pretty else None)
        except (Exception, RecursionError, MemoryError) as exc:  # noqa: BLE001 - one bad file
            # must not stop the others; the parser itself should never get here.
            print(f"{name}: cannot parse: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
            status = 2
            continue
        try:
            out.write(line)
            out.write("\n")
            out.flush()
        except BrokenPipeError:  # `| head`: the reader has gone, so there is nobody to tell
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
            return status
    return status


if __name__ == "__main__":
    sys.exit(main())
