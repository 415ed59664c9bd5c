"""What the spider hands to the pipeline: a fetched page, with what it is.

The pipeline turns each report page into its record (a plain dict of JSON-able values, the
item that feed exports such as ``-O out.jsonl`` receive); raw bytes never reach the feeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PageItem:
    #: The URL requested (the link found); ``final_url`` is where redirects ended.
    url: str
    final_url: str
    body: bytes
    status: int
    headers: dict = field(default_factory=dict)
    site: str | None = None
    #: The site's 6-digit region code from the registry (the page's SiteIDCode wins).
    region: str | None = None
    #: "report" (an annual report page) or "attachment" (a file linked from one).
    kind: str = "report"
    #: For attachments: the report page that links the file.
    report_url: str | None = None
    #: The statistics years the crawl asked for, (first, last) or None.
    years: tuple[int, int] | None = None
    #: For a report page: the files it links (PDF, Word, Excel), fetched before the page is
    #: handed on, so that its record can be read from them when the page holds no tables.
    attachments: list[FetchedFile] = field(default_factory=list)


@dataclass
class FetchedFile:
    """A file linked from a report page, as fetched."""

    url: str
    final_url: str
    body: bytes
    status: int
    headers: dict = field(default_factory=dict)
