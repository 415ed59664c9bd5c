"""``scrapy export -o FILE``: write stored reports as JSONL, wide CSV, long CSV, XLSX, Parquet
or SQLite, with ``codebook.csv`` (every column explained) written beside the file.

Streams from the database cursor: memory does not grow with the collection. An output that
cannot be written (a missing directory, ``/proc``) is one line on stderr; a reader that goes
away (``| head``) ends the export quietly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from scrapy.exceptions import UsageError

from crawler.commands import filters
from crawler.store import exporters
from crawler.store.command import StoreCommand

FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".xlsx": "xlsx",
           ".parquet": "parquet", ".pq": "parquet", ".sqlite": "sqlite", ".sqlite3": "sqlite",
           ".db": "sqlite"}
BINARY = ("xlsx", "parquet", "sqlite")


class Command(StoreCommand):
    readonly = True

    def syntax(self):
        return "-o FILE [options]"

    def short_desc(self):
        return "Export stored reports (jsonl, csv, csv-long, xlsx, parquet, sqlite) with a codebook"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("-o", "--output", required=True, help="output file ('-' for stdout)")
        parser.add_argument("--format", choices=["jsonl", "csv", "csv-long", "xlsx", "parquet", "sqlite"],
                            help="default: from the file extension")
        filters.add_options(parser)

    def query(self, opts) -> dict:
        return filters.query(opts)

    def handle(self, args, opts):
        fmt = opts.format or FORMATS.get(Path(opts.output).suffix.lower())
        if fmt is None:
            raise UsageError(f"cannot tell the format of {opts.output!r}: give --format",
                             print_help=False)
        if fmt in BINARY and opts.output == "-":
            raise UsageError(f"{fmt} cannot be written to stdout", print_help=False)
        try:
            with self.open_store(opts) as store:
                count = self._write(store.iter_reports(self.query(opts)), fmt, opts.output)
        except BrokenPipeError:
            # The reader has gone (`| head`): what it wanted was written. Quietly, and without
            # Python's complaint when it flushes stdout at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        except OSError as exc:
            print(f"error: cannot write {opts.output}: {exc.strerror or exc}", file=sys.stderr)
            self.exitcode = 1
            return
        print(f"exported {count} reports to {opts.output} ({fmt})", file=sys.stderr)
        if opts.output != "-":
            book = Path(opts.output).resolve().with_name("codebook.csv")
            if book != Path(opts.output).resolve():
                exporters.write_codebook(book)
                print(f"codebook: {book}", file=sys.stderr)

    def _write(self, cursor, fmt: str, output: str) -> int:
        if fmt == "xlsx":
            return exporters.write_xlsx(cursor, output)
        if fmt == "parquet":
            return exporters.write_parquet(cursor, output)
        if fmt == "sqlite":
            return exporters.write_sqlite(cursor, output)
        csv_fmt = fmt.startswith("csv")
        out = sys.stdout if output == "-" else open(  # noqa: SIM115
            output, "w", encoding="utf-8-sig" if csv_fmt else "utf-8", newline="")
        try:
            if csv_fmt:
                count = exporters.write_csv(cursor, out, long=fmt == "csv-long")
            else:
                count = exporters.write_jsonl(cursor, out)
            out.flush()
            return count
        finally:
            if out is not sys.stdout:
                out.close()
