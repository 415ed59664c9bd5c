"""Flattening records for tabular export: one dotted key per table cell."""

from __future__ import annotations

from parsers import templates as T

META_COLUMNS = ["url", "organ", "year", "title", "published_at", "region.code", "region.province",
                "template", "script", "parser_version", "content_sha256", "failed_checks"]


def cell_kinds() -> dict[str, str]:
    """Every table cell of both templates as ``table.row.column`` -> "count" or "money", in
    template order."""
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
        "url": record.get("url"), "organ": record.get("organ"), "year": record.get("year"),
        "title": record.get("title"), "published_at": record.get("published_at"),
        "region.code": region.get("code"), "region.province": region.get("province"),
        "template": record.get("template"), "script": record.get("script"),
        "parser_version": record.get("parser_version"),
        "content_sha256": record.get("content_sha256"),
        "failed_checks": sum(1 for c in record.get("checks") or [] if not c.get("ok")),
    }
    for table, rows in (record.get("tables") or {}).items():
        for name, cols in rows.items():
            for col, value in cols.items():
                row[f"{table}.{name}.{col}"] = value
    return row


def long_rows(record: dict):
    """One row per cell: url, organ, year, table, row, column, value, raw."""
    cells = record.get("cells") or {}
    for table, rows in (record.get("tables") or {}).items():
        for name, cols in rows.items():
            for col, value in cols.items():
                raw = cells.get(table, {}).get(name, {}).get(col)
                yield {"url": record.get("url"), "organ": record.get("organ"),
                       "year": record.get("year"), "table": table, "row": name, "column": col,
                       "value": value, "raw": raw}


def neutralise(value):
    """Spreadsheet formula injection: text that starts with = + - @ is prefixed with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
