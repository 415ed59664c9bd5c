"""The codebook: every column of the exports, generated from the templates.

One entry per column: the dotted key used in CSV and XLSX (``applications.granted.total``), the
name used where a dot would need quoting (Parquet, SQLite, DuckDB: ``applications__granted__total``),
the table, the Chinese row and column labels as the national templates print them, the
template(s) the cell exists in, its unit and its type. Nothing is written by hand per cell:
the rows and columns come from :mod:`parsers.templates`.
"""

from __future__ import annotations

import csv

from parsers import templates as T

FIELDS = ["key", "name", "table", "table_zh", "row", "row_zh", "column", "column_zh",
          "templates", "unit", "type", "description"]

#: The report-level columns of the wide exports: (key, type, description).
META = [
    ("url", "text", "the page the report was read from (final URL)"),
    ("site", "text", "registry id of the portal the report was found on"),
    ("organ", "text", "the publishing body (发布机关)"),
    ("year", "integer", "the statistics year the report covers (统计年度)"),
    ("title", "text", "report title, simplified script"),
    ("published_at", "date", "publication date shown on the page (发布日期), if any"),
    ("region.code", "text", "six-digit administrative division code (行政区划代码), as fine as known"),
    ("region.province", "text", "province-level division (省级行政区)"),
    ("template", "text", "national template: 2021 (国办公开办函〔2021〕30号), 2019 (〔2019〕60号) "
                         "or unknown"),
    ("script", "text", "hans or hant: the script the page was written in"),
    ("parser_version", "text", "version of the parser that produced the record"),
    ("content_sha256", "text", "hash of the raw page bytes"),
    ("report_key", "text", "duplicate key: organ, year and table fingerprint; equal keys are "
                           "the same report posted on several portals"),
    ("failed_checks", "integer", "number of failing checks, the report's own and cross-year"),
]
META_COLUMNS = [key for key, _, _ in META]


def sql_name(key: str) -> str:
    """A column name that needs no quoting in SQL: dots become double underscores."""
    return key.replace(".", "__")


def _cell_templates() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for template in ("2021", "2019"):
        for row, columns, _ in T.ACTIVE_DISCLOSURE[template]:
            for col, _kind in columns:
                out.setdefault(f"active_disclosure.{row}.{col}", []).append(template)
        for row in T.APPLICATION_TEMPLATE_ROWS[template]:
            for col in T.APPLICATION_COLUMNS:
                out.setdefault(f"applications.{row}.{col}", []).append(template)
        for group, _ in T.REVIEW_GROUPS:
            for col in T.REVIEW_COLUMNS:
                out.setdefault(f"review_litigation.{group}.{col}", []).append(template)
    return out


def cell_kinds() -> dict[str, str]:
    """Every table cell of both templates as ``table.row.column`` -> "count" or "money", in
    template order: the wide exports' cell columns."""
    kinds: dict[str, str] = {}
    for template in ("2021", "2019"):
        for row, columns, _ in T.ACTIVE_DISCLOSURE[template]:
            for col, kind in columns:
                kinds.setdefault(f"active_disclosure.{row}.{col}", kind)
    for row, _ in T.APPLICATION_ROWS:
        kinds.update({f"applications.{row}.{col}": "count" for col in T.APPLICATION_COLUMNS})
    for group, _ in T.REVIEW_GROUPS:
        kinds.update({f"review_litigation.{group}.{col}": "count" for col in T.REVIEW_COLUMNS})
    return kinds


def cell_entries() -> list[dict]:
    """One entry per table cell of either template, in the wide exports' column order."""
    kinds = cell_kinds()
    entries = []
    templates = _cell_templates()
    for key in kinds:
        table, row, col = key.split(".")
        money = kinds.get(key) == "money"
        row_zh = T.ROW_TITLES[table][row]
        col_zh = T.CELL_TITLES.get(key) or T.COLUMN_TITLES[table][col]
        entries.append({
            "key": key, "name": sql_name(key), "table": table, "table_zh": T.TABLE_TITLES[table],
            "row": row, "row_zh": row_zh, "column": col, "column_zh": col_zh,
            "templates": ";".join(templates.get(key, ())), "unit": "万元" if money else "件",
            "type": "number" if money else "integer",
            "description": f"{T.TABLE_TITLES[table]} / {row_zh} / {col_zh}",
        })
    return entries


def entries() -> list[dict]:
    """The whole codebook: report-level columns, then every cell."""
    meta = [{"key": key, "name": sql_name(key), "table": "", "table_zh": "", "row": "",
             "row_zh": "", "column": "", "column_zh": "", "templates": "", "unit": "",
             "type": kind, "description": text} for key, kind, text in META]
    return meta + cell_entries()


def descriptions() -> dict[str, str]:
    """Column key -> one-line description (Parquet column metadata, SQLite comments)."""
    return {e["key"]: e["description"] for e in entries()}


def write_csv(out) -> int:
    """Write the codebook as CSV to an open text file; returns the number of entries."""
    rows = entries()
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    return len(rows)
