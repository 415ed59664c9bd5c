"""``scrapy export -o FILE``: write stored reports as JSONL, wide CSV or long CSV.

Streams from the database cursor: memory does not grow with the collection.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

from scrapy.exceptions import UsageError

from crawler.records import META_COLUMNS, cell_columns, long_rows, neutralise, wide_row
from crawler.storecommand import StoreCommand

FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv"}
LONG_COLUMNS = ["url", "organ", "year", "table", "row", "column", "value", "raw"]


def _json_default(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class Command(StoreCommand):
    def syntax(self):
        return "-o FILE [options]"

    def short_desc(self):
        return "Export stored reports (jsonl, csv, csv-long)"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("-o", "--output", required=True, help="output file ('-' for stdout)")
        parser.add_argument("--format", choices=["jsonl", "csv", "csv-long"],
                            help="default: from the file extension")
        parser.add_argument("--region", help="region code prefix (54 = Tibet, 5401 = Lhasa)")
        parser.add_argument("--year", type=int)
        parser.add_argument("--organ", help="text the organ name contains")
        parser.add_argument("--template", choices=["2021", "2019", "unknown"])
        parser.add_argument("--failed-checks", action="store_true",
                            help="only reports with at least one failing check")

    def query(self, opts) -> dict:
        q: dict = {}
        if opts.region:
            q["region.code"] = {"$regex": "^" + re.escape(opts.region)}
        if opts.year:
            q["year"] = opts.year
        if opts.organ:
            q["organ"] = {"$regex": re.escape(opts.organ)}
        if opts.template:
            q["template"] = opts.template
        if opts.failed_checks:
            q["checks"] = {"$elemMatch": {"ok": False}}
        return q

    def run(self, args, opts):
        fmt = opts.format or FORMATS.get(Path(opts.output).suffix.lower())
        if fmt is None:
            raise UsageError(f"cannot tell the format of {opts.output!r}: give --format")
        out = sys.stdout if opts.output == "-" else open(  # noqa: SIM115
            opts.output, "w", encoding="utf-8-sig" if fmt.startswith("csv") else "utf-8",
            newline="")
        count = 0
        with self.open_store(opts) as store:
            cursor = store.reports.find(self.query(opts), {"_id": 0}).sort("url", 1).batch_size(200)
            try:
                if fmt == "jsonl":
                    for record in cursor:
                        out.write(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")
                        count += 1
                else:
                    columns = META_COLUMNS + cell_columns() if fmt == "csv" else LONG_COLUMNS
                    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
                    writer.writeheader()
                    for record in cursor:
                        rows = [wide_row(record)] if fmt == "csv" else long_rows(record)
                        for row in rows:
                            writer.writerow({k: neutralise(v) for k, v in row.items()})
                        count += 1
            finally:
                if out is not sys.stdout:
                    out.close()
        print(f"exported {count} reports to {opts.output} ({fmt})", file=sys.stderr)
