"""Scrapy feed exporters for records (``scrapy crawl reports -O out.csv``).

JSON and JSON lines feeds use Scrapy's own exporters: a record is a dict of JSON-able values.
A CSV feed is the wide table of ``scrapy export`` (one row per report, one column per table
cell, formulas neutralised) rather than nested dicts printed into cells.
"""

from __future__ import annotations

from scrapy.exporters import CsvItemExporter

from crawler.store.flatten import META_COLUMNS, cell_columns, neutralise, wide_row


class WideCsvItemExporter(CsvItemExporter):
    def __init__(self, file, **kwargs):
        kwargs.setdefault("fields_to_export", META_COLUMNS + cell_columns())
        super().__init__(file, **kwargs)

    def export_item(self, item):
        super().export_item({k: neutralise(v) for k, v in wide_row(dict(item)).items()})
