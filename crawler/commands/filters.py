"""The report filters shared by ``export``, ``stats``, ``report`` and ``show``: one set of
options, one store query."""

from __future__ import annotations

import re

from crawler.analysis.checks import failing_query


def add_options(parser) -> None:
    parser.add_argument("--region", help="region code prefix (54 = Tibet, 5401 = Lhasa)")
    parser.add_argument("--year", type=int, help="statistics year")
    parser.add_argument("--organ", help="text the organ name contains")
    parser.add_argument("--site", help="registry site id(s), comma-separated")
    parser.add_argument("--template", choices=["2021", "2019", "unknown"])
    parser.add_argument("--failed-checks", action="store_true",
                        help="only reports with at least one failing check (own or cross-year)")


def query(opts) -> dict:
    q: dict = {}
    if opts.region:
        q["region.code"] = {"$regex": "^" + re.escape(opts.region)}
    if opts.year:
        q["year"] = opts.year
    if opts.organ:
        q["organ"] = {"$regex": re.escape(opts.organ)}
    if getattr(opts, "site", None):
        sites = [s for s in opts.site.split(",") if s]
        q["site"] = sites[0] if len(sites) == 1 else {"$in": sites}
    if opts.template:
        q["template"] = opts.template
    if opts.failed_checks:
        q.update(failing_query())
    return q


def describe(opts) -> str:
    """The filters in words, for a report's heading."""
    parts = [f"{name} {getattr(opts, name)}" for name in ("region", "year", "organ", "site",
                                                           "template") if getattr(opts, name, None)]
    if opts.failed_checks:
        parts.append("failing checks only")
    return ", ".join(parts) or "all stored reports"
