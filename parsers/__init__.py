"""The shared parser of government information disclosure annual reports.

``parse_page(body, url=None, content_type=None) -> dict`` turns one page (HTML or a text dump,
bytes in any Chinese encoding or str) into the record of SCHEMA.md. It imports no Scrapy and
does no I/O, so spiders, re-parsing and the command line all call the same function.
"""

PARSER_VERSION = "1.1.0"  # 1.1: bounded work, out-of-range values null (issue 10)

from .record import parse_page  # noqa: E402  (PARSER_VERSION must exist first)

__all__ = ["PARSER_VERSION", "parse_page"]
