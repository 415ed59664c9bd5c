"""Streaming writers for ``scrapy export``: one function per format.

Each takes an iterator of records and an output path, writes as it goes (memory does not grow
with the collection) and returns the number of records written.
"""

from __future__ import annotations

import csv
import json
import re

from crawler.store.flatten import (
    META_COLUMNS,
    cell_columns,
    cell_kinds,
    long_rows,
    neutralise,
    table_columns,
    wide_row,
)

LONG_COLUMNS = ["url", "organ", "year", "table", "row", "column", "value", "raw"]
TABLES = ("active_disclosure", "applications", "review_litigation")


def _json_default(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def write_jsonl(records, out) -> int:
    n = 0
    for record in records:
        n += 1
        out.write(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")
    return n


def write_csv(records, out, *, long: bool = False) -> int:
    columns = LONG_COLUMNS if long else META_COLUMNS + cell_columns()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    n = 0
    for record in records:
        n += 1
        for row in (long_rows(record) if long else [wide_row(record)]):
            writer.writerow({k: neutralise(v) for k, v in row.items()})
    return n


#: Characters XML 1.0 cannot hold (C0 controls but tab, newline, carriage return): one in a
#: cell makes openpyxl refuse the whole workbook.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_cell(value):
    """A value as an XLSX cell takes it: formulas neutralised, XML-illegal controls removed."""
    value = neutralise(value)
    return _XML_ILLEGAL.sub("", value) if isinstance(value, str) else value


def write_xlsx(records, path) -> int:
    """A workbook with a sheet of reports and one sheet per table (a row per table row).
    Every text cell goes through :func:`xlsx_cell`."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    reports = wb.create_sheet("reports")
    reports.append(META_COLUMNS)
    sheets = {}
    for table in TABLES:
        sheets[table] = (wb.create_sheet(table), table_columns(table))
        sheets[table][0].append(["url", "organ", "year", "row", *sheets[table][1]])
    n = 0
    for record in records:
        n += 1
        row = wide_row(record)
        reports.append([xlsx_cell(row.get(c)) for c in META_COLUMNS])
        for table, rows in (record.get("tables") or {}).items():
            if table not in sheets:
                continue
            sheet, cols = sheets[table]
            for name, values in rows.items():
                sheet.append([xlsx_cell(record.get("url")), xlsx_cell(record.get("organ")),
                              record.get("year"), xlsx_cell(name),
                              *(xlsx_cell(values.get(c)) for c in cols)])
    wb.save(path)
    return n


def write_parquet(records, path, batch: int = 500) -> int:
    """The wide table (one row per report, one typed column per cell) as Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = cell_kinds()
    fields = [pa.field(c, pa.int64() if c in ("year", "failed_checks") else pa.string())
              for c in META_COLUMNS]
    fields += [pa.field(c, pa.float64() if k == "money" else pa.int64()) for c, k in kinds.items()]
    schema = pa.schema(fields)
    names = schema.names
    n = 0
    with pq.ParquetWriter(path, schema) as writer:
        chunk: list[dict] = []
        for record in records:
            n += 1
            chunk.append(wide_row(record))
            if len(chunk) >= batch:
                writer.write_table(_arrow(chunk, names, schema, pa))
                chunk = []
        if chunk:
            writer.write_table(_arrow(chunk, names, schema, pa))
    return n


def _arrow(rows, names, schema, pa):
    columns = {}
    for name, field in zip(names, schema, strict=True):
        values = [r.get(name) for r in rows]
        if pa.types.is_integer(field.type):
            values = [int(v) if isinstance(v, int | float) and float(v).is_integer() else None
                      for v in values]
        elif pa.types.is_string(field.type):
            values = [None if v is None else str(v) for v in values]
        columns[name] = values
    return pa.Table.from_pydict(columns, schema=schema)
