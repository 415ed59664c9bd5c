"""The HTML report: one self-contained file a journalist can open without help.

Coverage (a province × year heat grid and a site × year grid), publication timeliness against
art. 49's deadlines (with the late, undated and missing publishers listed), the failing checks
by site and organ (rule, where, expected, actual, and a link per report to its review page), and
headline totals per year and province with charts. Inline SVG and CSS only: no script, no
font, nothing fetched, so it opens offline and from a mail attachment.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from . import summary, svg

STATUS_COLORS = {"on time": "#2ca02c", "late": "#d62728", "undated": "#bbbbbb",
                 "dated before year end": "#ff7f0e", "not assessed": "#9edae5"}
_STATUS_NAMES = {"on_time": "on time", "late": "late", "undated": "undated",
                 "early": "dated before year end", "not_assessed": "not assessed"}
STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0 auto;max-width:1180px;
padding:0 18px 40px;color:#222;line-height:1.45}
h1{font-size:24px;margin:18px 0 4px} h2{font-size:19px;margin:28px 0 6px;border-bottom:2px solid #dde}
h3{font-size:15px;margin:16px 0 4px} p.lead{color:#555;margin:2px 0 10px}
nav a{margin-right:14px} .cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{background:#f4f6f8;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:22px} .card span{font-size:12px;color:#555}
table{border-collapse:collapse;font-size:13px;margin:6px 0 12px} td,th{border:1px solid #ccc;padding:3px 7px}
th{background:#eef;text-align:left} td.num{text-align:right;font-variant-numeric:tabular-nums}
.late{color:#b00} details{margin:4px 0} summary{cursor:pointer} .note{font-size:12px;color:#666}
.scroll{overflow-x:auto}
"""


def _n(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.1f}" if not v.is_integer() else f"{int(v):,}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _table(header: list[str], rows, numeric_from: int = 1) -> str:
    return "".join(_table_parts(header, rows, numeric_from))


def _table_parts(header: list[str], rows, numeric_from: int = 1):
    """The HTML of a table, in parts of a few hundred rows (``rows`` may be a generator)."""
    out = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            if isinstance(v, tuple):  # (html, already escaped)
                cells.append(f"<td>{v[0]}</td>")
            elif i >= numeric_from and isinstance(v, int | float):
                cells.append(f'<td class="num">{_n(v)}</td>')
            else:
                cells.append(f"<td>{escape(_n(v))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
        if len(out) >= 500:
            yield "".join(out)
            out = []
    out.append("</table>")
    yield "".join(out)


def _link(href: str, text: str) -> tuple:
    return (f'<a href="{escape(href)}" rel="noreferrer">{escape(text)}</a>',)


def render(rows: list[dict], *, today: dt.date, review_href=None, **options) -> str:
    """The report over ``rows`` in memory (reports projected to :data:`summary.FIELDS`, with
    their checks) as one string; ``options`` as :func:`chunks` takes them."""
    figures = summary.Figures.of(rows, today)

    def failing_rows(sites):
        return (r for r in rows if r.get("site") in sites)

    try:
        return "".join(chunks(figures, failing_rows, review_href=review_href, **options))
    finally:
        figures.close()


def chunks(figures: summary.Figures, failing_rows, *, review_href=None, filters: str = "",
           source: str = "", generated: dt.datetime | None = None,
           crawls: list[dict] | None = None):
    """The report of ``figures`` (:class:`summary.Figures`, finished), a section at a time,
    and each long table a part at a time: a writer never holds the whole page (at national
    scale its lists of failing checks and late reports run to tens of megabytes).

    ``failing_rows(sites)`` gives the reports of one site (the set of the values its ``site``
    has, None and "" for :data:`summary.UNKNOWN`) with their failing checks: the list of
    failing checks is read a site at a time. ``review_href(url)`` gives the link to a failing
    report's review page (None: link the source URL).
    """
    review_href = review_href or (lambda url: url)
    years = sorted(figures.years)
    head = [
        ("reports stored", figures.stored), ("distinct reports", figures.distinct),
        ("publishing organs", figures.organs), ("portals", len(figures.sites)),
        ("years", f"{years[0]}–{years[-1]}" if years else "–"),
        ("reports failing a check", figures.failing),
        ("cross-year checks failing", figures.crossyear_failing),
    ]
    parts = [f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Government information disclosure annual reports · 政府信息公开工作年度报告</title>
<style>{STYLE}</style></head><body>
<h1>Government information disclosure annual reports</h1>
<p class="lead">政府信息公开工作年度报告 · {escape(filters or 'all stored reports')} ·
{escape(source)} · generated {escape((generated or dt.datetime.now()).strftime('%Y-%m-%d %H:%M'))}</p>
<nav><a href="#coverage">Coverage</a><a href="#timeliness">Timeliness</a>
<a href="#checks">Failing checks</a><a href="#totals">Totals</a><a href="#about">About</a></nav>
<div class="cards">"""]
    for label, value in head:
        parts.append(f'<div class="card"><b>{escape(_n(value))}</b><span>{escape(label)}</span></div>')
    parts.append("</div>")
    if not figures.stored:
        parts.append("<p>No report matches. Crawl first (<code>scrapy crawl reports</code>) or "
                     "check the filters and the store (<code>--data-dir</code>).</p>")
    yield "".join(parts)
    yield _coverage(figures)
    yield from _timeliness(figures, review_href)
    yield from _checks(figures, failing_rows, review_href)
    yield _totals(figures)
    yield _about(crawls)
    yield "</body></html>\n"


def _coverage(figures) -> str:
    provinces, years, counts = figures.coverage()
    sites, site_years, per_site = figures.site_years()
    out = ['<h2 id="coverage">Coverage</h2><p class="lead">Distinct reports per province and '
           "statistics year (copies of one report on several portals count once).</p>"]
    if provinces:
        out.append('<div class="scroll">' + svg.heat_grid(provinces, years, counts,
                                                          title="reports per province and year")
                   + "</div>")
    if sites:
        out.append("<h3>Reports per portal and year</h3><p class=note>Every copy counted: what each "
                   "portal publishes.</p>")
        out.append(_table(["portal", *map(str, site_years), "total"],
                          [[s, *(per_site.get((s, y), 0) for y in site_years),
                            sum(per_site.get((s, y), 0) for y in site_years)] for s in sites]))
    return "".join(out)


def _timeliness(figures, review_href):
    years = sorted({y for y, _ in figures.statuses})
    series = {name: [sum(n for (y, status), n in figures.statuses.items()
                         if y == year and _STATUS_NAMES[status] == name) for year in years]
              for name in STATUS_COLORS}
    out = ['<h2 id="timeliness">Timeliness</h2><p class="lead">Under the Regulations on Open '
           "Government Information, art. 49, a department publishes its report on the previous year "
           "by 31 January and a people's government at or above county level by 31 March. "
           "Publication date as the page shows it.</p>"]
    if years:
        out.append(svg.stacked_bars([str(y) for y in years], series, STATUS_COLORS,
                                    title="publication status per statistics year"))
    late, odd, missing = figures.late, figures.odd, figures.missing
    out.append(f"<h3>Late ({len(late)})</h3>")
    yield "".join(out)
    if late:
        yield from _table_parts(
            ["organ", "year", "published", "deadline", "days late", "page"],
            ([a["organ"], str(a["year"]), str(a["published_at"]), str(a["deadline"]),
              a["days_late"], _link(a["url"], "source")] for a in late), numeric_from=4)
    else:
        yield "<p>None.</p>"
    yield f"<details><summary>Undated or dated before the year ended ({len(odd)})</summary>"
    yield from _table_parts(["organ", "year", "date on page", "page"],
                            ([a["organ"], str(a["year"]), str(a["published_at"] or "—"),
                              _link(review_href(a["url"]) if a["failing"] else a["url"], "review")]
                             for a in odd))
    yield "</details>"
    yield (f"<h3>Missing ({len(missing)})</h3><p class=note>An organ that published for an "
           "earlier year but has no report in the store for a year whose deadline has passed "
           f"(as of {figures.today}): not published, or not found by the crawl.</p>")
    if missing:
        yield from _table_parts(["organ", "year missing", "deadline", "last report found"],
                                ([m["organ"], str(m["year"]), str(m["deadline"]),
                                  _link(m["last_url"], str(m["last_year"]))] for m in missing))


def _checks(figures, failing_rows, review_href):
    """The failing checks: per rule, then per site (read a site at a time)."""
    rules = figures.rules
    out = ['<h2 id="checks">Failing checks</h2><p class="lead">A failing check is the report\'s own '
           "arithmetic (or its figures against the same organ's previous report) not adding up: "
           "data about the report, not a reading error. Open a report's review to see its source "
           "page beside the parsed tables, the cells at fault highlighted.</p>"]
    if rules:
        out.append(_table(["rule", "failing checks"], sorted(rules.items())))
    yield "".join(out)
    for site in sorted(figures.failing_sites):
        by_site = summary.failing_by_site(failing_rows(figures.failing_sites[site]))
        for name, organs in by_site.items():
            n = sum(len(v) for v in organs.values())
            yield f"<h3>{escape(name)} · {n} report(s)</h3>"
            yield from _table_parts(["organ", "year", "rule", "where", "expected", "on the page",
                                     ""], _check_lines(organs, review_href), numeric_from=4)
    if not figures.failing_sites:
        yield "<p>No failing check.</p>"


def _check_lines(organs: dict, review_href):
    """The table rows of one site's failing checks, one at a time (tables are built from
    iterables: a national report lists hundreds of thousands of rows)."""
    for organ, reports in sorted(organs.items()):
        for row, bad in reports:
            first = True
            for c in bad:
                yield [organ if first else "", str(row.get("year") or "") if first else "",
                       c["rule"], str(c["where"]), c["expected"], c["actual"],
                       _link(review_href(row["url"]), "review") if first else ("",)]
                first = False


def _totals(figures) -> str:
    per_year = figures.totals()
    years = sorted(y for (y,) in per_year)
    names = [name for name, _ in summary.HEADLINES]
    out = ['<h2 id="totals">Totals</h2><p class="lead">Sums over distinct reports that give the '
           "figure (a report without tables adds nothing).</p>"]
    if years:
        out.append(svg.grouped_bars([str(y) for y in years],
                                    {n: [per_year[(y,)][n] for y in years] for n in names},
                                    title="headline totals per year"))
        out.append(_table(["year", "reports", *names],
                          [[str(y), per_year[(y,)]["reports"], *(per_year[(y,)][n] for n in names)]
                           for y in years]))
    per_prov = figures.totals(by_province=True)
    if per_prov:
        out.append("<h3>Per province and year</h3>")
        out.append(_table(["province", "year", "reports", *names],
                          [[p, str(y), v["reports"], *(v[n] for n in names)]
                           for (p, y), v in sorted(per_prov.items(), key=lambda kv: (kv[0][0], kv[0][1]))],
                          numeric_from=2))
    return "".join(out)


def _about(crawls) -> str:
    out = ['<h2 id="about">About these figures</h2><p class="note">Reports are read from the '
           "portals' own pages; every cell keeps its raw text in the store. Codebook: "
           "<code>codebook.csv</code> beside every export.</p>"]
    if crawls:
        out.append("<h3>Recent crawls</h3>")
        out.append(_table(["started", "status", "sites", "pages", "new reports", "challenges"],
                          [[str(c.get("started_at") or ""), c.get("status", ""), c.get("sites", ""),
                            c.get("pages", 0), c.get("new", 0), c.get("challenges", 0)]
                           for c in crawls], numeric_from=3))
    return "".join(out)
