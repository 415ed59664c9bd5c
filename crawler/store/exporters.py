"""Streaming writers for ``scrapy export``: one function per format.

Each takes an iterator of records and an output path, writes as it goes (memory does not grow
with the collection) and returns the number of records written. Every format carries its
codebook (:mod:`crawler.analysis.codebook`): ``codebook.csv`` beside the file
(:func:`write_codebook`), a sheet in the XLSX, column descriptions in the Parquet schema, a
``codebook`` table in SQLite. Where a dot in a column name would need quoting (Parquet, SQLite,
DuckDB), names use ``__``: ``applications__granted__total``.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3

from crawler.analysis import codebook
from crawler.analysis.checks import all_checks
from crawler.analysis.timeliness import as_date
from crawler.store.flatten import (
    LONG_COLUMNS,
    META_COLUMNS,
    cell_columns,
    cell_kinds,
    long_rows,
    neutralise,
    table_columns,
    wide_row,
)

TABLES = ("active_disclosure", "applications", "review_litigation")
CHECK_COLUMNS = ["url", "organ", "year", "site", "rule", "where", "expected", "actual", "ok",
                 "other_url", "other_year"]
_INTEGER_META = ("year", "failed_checks")


def _json_default(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def check_rows(record: dict):
    """One row per check, own and cross-year (:data:`CHECK_COLUMNS`)."""
    for c in all_checks(record):
        yield {"url": record.get("url"), "organ": record.get("organ"), "year": record.get("year"),
               "site": record.get("site"), "rule": c.get("rule"), "where": c.get("where"),
               "expected": c.get("expected"), "actual": c.get("actual"), "ok": bool(c.get("ok")),
               "other_url": c.get("other_url"), "other_year": c.get("other_year")}


def write_codebook(path) -> int:
    """``codebook.csv``: UTF-8 with a BOM, like the CSV exports."""
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        return codebook.write_csv(out)


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


def _sheet(wb, title: str, header: list[str], widths: dict[str, float]):
    """A write-only sheet with a frozen, filterable header and column widths."""
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    for i, name in enumerate(header, 1):
        ws.column_dimensions[get_column_letter(i)].width = widths.get(name, max(10, min(len(name), 28)))
    ws.append(header)
    return ws


def _finish(ws, ncols: int, nrows: int) -> None:
    from openpyxl.utils import get_column_letter

    ws.auto_filter.ref = f"A1:{get_column_letter(ncols)}{max(nrows, 1) + 1}"


def write_xlsx(records, path) -> int:
    """Sheets: reports, one per table (a row per table row), failing checks, codebook. Frozen
    header, autofilter, column widths, publication dates as dates. Every text cell goes
    through :func:`xlsx_cell`."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    widths = {"url": 48, "organ": 30, "title": 44, "published_at": 12, "region.code": 10,
              "region.province": 14, "report_key": 36, "content_sha256": 20, "where": 44,
              "other_url": 40, "row": 28, "description": 60, "row_zh": 40, "column_zh": 24}
    wb = Workbook(write_only=True)
    reports = _sheet(wb, "reports", META_COLUMNS, widths)
    sheets, counts = {}, {"reports": 0, "checks": 0}
    for table in TABLES:
        cols = table_columns(table)
        sheets[table] = (_sheet(wb, table, ["url", "organ", "year", "row", *cols], widths), cols)
        counts[table] = 0
    checks = _sheet(wb, "failing checks", CHECK_COLUMNS[:-2] + ["other_url", "other_year"], widths)
    n = 0
    for record in records:
        n += 1
        row = wide_row(record)
        values = []
        for c in META_COLUMNS:
            if c == "published_at" and as_date(row.get(c)):
                cell = WriteOnlyCell(reports, value=as_date(row[c]))
                cell.number_format = "yyyy-mm-dd"
                values.append(cell)
            else:
                values.append(xlsx_cell(row.get(c)))
        reports.append(values)
        counts["reports"] += 1
        for table, rows in (record.get("tables") or {}).items():
            if table not in sheets:
                continue
            sheet, cols = sheets[table]
            for name, vals in rows.items():
                sheet.append([xlsx_cell(record.get("url")), xlsx_cell(record.get("organ")),
                              record.get("year"), xlsx_cell(name),
                              *(xlsx_cell(vals.get(c)) for c in cols)])
                counts[table] += 1
        for c in check_rows(record):
            if not c["ok"]:
                checks.append([xlsx_cell(c[k]) for k in CHECK_COLUMNS if k != "ok"])
                counts["checks"] += 1
    _finish(reports, len(META_COLUMNS), counts["reports"])
    for table, (sheet, cols) in sheets.items():
        _finish(sheet, len(cols) + 4, counts[table])
    _finish(checks, len(CHECK_COLUMNS) - 1, counts["checks"])
    entries = codebook.entries()
    book = _sheet(wb, "codebook", codebook.FIELDS, widths)
    for e in entries:
        book.append([xlsx_cell(e[f]) for f in codebook.FIELDS])
    _finish(book, len(codebook.FIELDS), len(entries))
    wb.save(path)
    return n


def parquet_schema():
    """The wide table's Arrow schema: ``__`` names, typed columns, codebook descriptions."""
    import pyarrow as pa

    described = codebook.descriptions()
    fields = []
    for c in META_COLUMNS:
        kind = (pa.int64() if c in _INTEGER_META else pa.date32() if c == "published_at"
                else pa.string())
        fields.append(pa.field(codebook.sql_name(c), kind,
                               metadata={"description": described[c], "key": c}))
    for c, k in cell_kinds().items():
        fields.append(pa.field(codebook.sql_name(c), pa.float64() if k == "money" else pa.int64(),
                               metadata={"description": described[c], "key": c}))
    return pa.schema(fields)


def write_parquet(records, path, batch: int = 500) -> int:
    """The wide table (one row per report, one typed column per cell) as Parquet."""
    import pyarrow.parquet as pq

    schema = parquet_schema()
    keys = META_COLUMNS + cell_columns()
    n = 0
    with pq.ParquetWriter(path, schema) as writer:
        chunk: list[dict] = []
        for record in records:
            n += 1
            chunk.append(wide_row(record))
            if len(chunk) >= batch:
                writer.write_table(_arrow(chunk, keys, schema))
                chunk = []
        if chunk:
            writer.write_table(_arrow(chunk, keys, schema))
    return n


def _arrow(rows, keys, schema):
    import pyarrow as pa

    columns = {}
    for key, field in zip(keys, schema, strict=True):
        values = [r.get(key) for r in rows]
        if pa.types.is_integer(field.type):
            values = [int(v) if isinstance(v, int | float) and float(v).is_integer() else None
                      for v in values]
        elif pa.types.is_date(field.type):
            values = [as_date(v) for v in values]
        elif pa.types.is_string(field.type):
            values = [None if v is None else str(v) for v in values]
        columns[field.name] = values
    return pa.Table.from_pydict(columns, schema=schema)


SQLITE_INDEXES = [
    "CREATE UNIQUE INDEX reports_url ON reports(url)",
    "CREATE INDEX reports_organ_year ON reports(organ, year)",
    "CREATE INDEX reports_region ON reports(region__code, year)",
    "CREATE INDEX reports_site ON reports(site)",
    "CREATE INDEX reports_key ON reports(report_key)",
    'CREATE INDEX cells_url ON cells(url)',
    'CREATE INDEX cells_cell ON cells("table", "row", "column")',
    "CREATE INDEX checks_url ON checks(url)",
    "CREATE INDEX checks_rule ON checks(rule, ok)",
]


def write_sqlite(records, path, batch: int = 500) -> int:
    """``reports`` (one row per report, report-level columns), ``cells`` (one row per cell, with
    its raw text), ``checks`` (own and cross-year) and ``codebook``, indexed for Datasette,
    DuckDB and pandas. An existing file is replaced."""
    import os

    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    meta = [codebook.sql_name(c) for c in META_COLUMNS]
    types = {c: ("INTEGER" if c in _INTEGER_META else "TEXT") for c in META_COLUMNS}
    db.execute("CREATE TABLE reports (" + ", ".join(
        f'"{codebook.sql_name(c)}" {types[c]}' for c in META_COLUMNS) + ")")
    db.execute('CREATE TABLE cells (url TEXT, site TEXT, organ TEXT, year INTEGER, template TEXT, '
               'region_code TEXT, province TEXT, report_key TEXT, "table" TEXT, "row" TEXT, '
               '"column" TEXT, value REAL, raw TEXT)')
    db.execute("CREATE TABLE checks (url TEXT, organ TEXT, year INTEGER, site TEXT, rule TEXT, "
               '"where" TEXT, expected REAL, actual REAL, ok INTEGER, other_url TEXT, '
               "other_year INTEGER)")
    db.execute("CREATE TABLE codebook (" + ", ".join(f'"{f}" TEXT' for f in codebook.FIELDS) + ")")
    db.executemany(f"INSERT INTO codebook VALUES ({', '.join('?' * len(codebook.FIELDS))})",
                   [[e[f] for f in codebook.FIELDS] for e in codebook.entries()])
    insert_report = (f"INSERT INTO reports VALUES ({', '.join('?' * len(meta))})")
    insert_cell = f"INSERT INTO cells VALUES ({', '.join('?' * len(LONG_COLUMNS))})"
    insert_check = f"INSERT INTO checks VALUES ({', '.join('?' * len(CHECK_COLUMNS))})"
    n = 0
    pending: tuple[list, list, list] = ([], [], [])
    for record in records:
        n += 1
        row = wide_row(record)
        pending[0].append([str(as_date(row[c]) or "") or None if c == "published_at" else row.get(c)
                           for c in META_COLUMNS])
        pending[1].extend([r[c] for c in LONG_COLUMNS] for r in long_rows(record))
        pending[2].extend([r[c] for c in CHECK_COLUMNS] for r in check_rows(record))
        if n % batch == 0:
            _flush(db, pending, insert_report, insert_cell, insert_check)
    _flush(db, pending, insert_report, insert_cell, insert_check)
    for statement in SQLITE_INDEXES:
        db.execute(statement)
    db.commit()
    db.close()
    return n


def _flush(db, pending, *statements) -> None:
    for rows, statement in zip(pending, statements, strict=True):
        db.executemany(statement, rows)
        rows.clear()
    db.commit()
