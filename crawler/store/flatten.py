"""Flattening records for tabular export: one dotted key per table cell."""

from __future__ import annotations

from crawler.analysis.checks import failing
from crawler.analysis.codebook import META_COLUMNS, cell_kinds
from crawler.analysis.duplicates import report_key

__all__ = ["META_COLUMNS", "cell_kinds", "cell_columns", "table_columns", "wide_row", "long_rows",
           "neutralise"]


def cell_columns() -> list[str]:
    return list(cell_kinds())


def table_columns(table: str) -> list[str]:
    """The value columns of one table, over both templates."""
    seen: list[str] = []
    for key in cell_kinds():
        t, _, col = key.split(".")
        if t == table and col not in seen:
            seen.append(col)
    return seen


def wide_row(record: dict) -> dict:
    region = record.get("region") or {}
    row = {
        "url": record.get("url"), "site": record.get("site"), "organ": record.get("organ"),
        "year": record.get("year"),
        "title": record.get("title"), "published_at": record.get("published_at"),
        "region.code": region.get("code"), "region.province": region.get("province"),
        "template": record.get("template"), "script": record.get("script"),
        "parser_version": record.get("parser_version"),
        "content_sha256": record.get("content_sha256"),
        "report_key": record.get("report_key") or report_key(record),
        "failed_checks": len(failing(record)),
    }
    for table, rows in (record.get("tables") or {}).items():
        for name, cols in rows.items():
            for col, value in cols.items():
                row[f"{table}.{name}.{col}"] = value
    return row


LONG_COLUMNS = ["url", "site", "organ", "year", "template", "region_code", "province",
                "report_key", "table", "row", "column", "value", "raw"]


def long_rows(record: dict):
    """One row per cell (:data:`LONG_COLUMNS`): the report's identity, the cell and its raw text."""
    cells = record.get("cells") or {}
    region = record.get("region") or {}
    base = {"url": record.get("url"), "site": record.get("site"), "organ": record.get("organ"),
            "year": record.get("year"), "template": record.get("template"),
            "region_code": region.get("code"), "province": region.get("province"),
            "report_key": record.get("report_key") or report_key(record)}
    for table, rows in (record.get("tables") or {}).items():
        for name, cols in rows.items():
            for col, value in cols.items():
                raw = cells.get(table, {}).get(name, {}).get(col)
                yield dict(base, table=table, row=name, column=col, value=value, raw=raw)


def neutralise(value):
    """Spreadsheet formula injection: text that starts with = + - @ is prefixed with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
