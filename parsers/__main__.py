"""``python -m parsers FILE...``: parse report pages or attachments, one JSON record per line.

Exit status 0 when every file was parsed, 2 when some file could not be read (each such file
gets a one-line error on stderr naming it; the other files are still parsed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import parse_page


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m parsers", description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", metavar="FILE", help="report pages (HTML, text) or attachments (PDF, DOCX, DOC, WPS, XLSX, XLS)")
    ap.add_argument("--url", help="the URL the page was fetched from (one file only, or all)")
    ap.add_argument("--content-type", help="the Content-Type header the page was served with")
    ap.add_argument("--pretty", action="store_true", help="indented JSON, for people")
    args = ap.parse_args(argv)
    out = sys.stdout
    status = 0
    for name in args.files:
        path = Path(name)
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
        record = parse_page(body, url=args.url or path.resolve().as_uri(),
                            content_type=args.content_type)
        out.write(json.dumps(record, ensure_ascii=False, indent=2 if args.pretty else None))
        out.write("\n")
    out.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
