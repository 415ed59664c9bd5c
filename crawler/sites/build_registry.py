"""Build ``registry.toml`` from ``sites.csv`` (real report pages on real portals).

    python -m crawler.sites.build_registry [sites.csv] > crawler/sites/registry.toml

One site per host. The region is the finest division code the organ's name gives within its
province (``江永县`` is ``431125``, :mod:`crawler.analysis.divisions`), else the province's code
(``430000``). Names lose the annotations of whoever collected sites.csv
(``(inferred: 我办)``). Column URLs from the CSV are
hints (inferred from breadcrumbs or URL directories), marked ``columns_are_hints = true``.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

from crawler.analysis import divisions
from parsers.templates import PROVINCES

_TIER_RANK = {"province": 0, "city": 1, "county": 2, "township": 3}
_CMS_BY_URL = [(re.compile(r"/gkmlpt/"), "gkmlpt"), (re.compile(r"/art/\d{4}/"), "hanweb"),
               (re.compile(r"/t\d{8}_\d+\.s?html?$"), "trs")]


def province_code(name: str) -> str | None:
    for code, full in PROVINCES.items():
        if full.startswith(name):
            return code + "0000"
    return None


def site_id(host: str) -> str:
    host = host.lower().split(":")[0]
    host = re.sub(r"^www\.", "", host)
    host = re.sub(r"\.gov\.cn$", "", host)
    return re.sub(r"[^a-z0-9]+", "-", host).strip("-") or "site"


def toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build(rows: list[dict]) -> str:
    by_host: dict[str, list[dict]] = {}
    for row in rows:
        host = row["site_host"].lower()
        by_host.setdefault(re.sub(r"^www\.", "", host), []).append(row)
    out = ["# Built by crawler/sites/build_registry.py from sites.csv; edit freely.",
           "# columns_are_hints: list URLs inferred from report pages, re-discovered each crawl.", ""]
    ids: set[str] = set()
    for key in sorted(by_host):
        group = by_host[key]
        best = min(group, key=lambda r: _TIER_RANK.get(r["gov_tier"], 9))
        first = urlsplit(group[0]["url"])
        sid = site_id(first.netloc)
        while sid in ids:
            sid += "-2"
        ids.add(sid)
        hosts = sorted({urlsplit(r["url"]).netloc.lower() for r in group})
        columns = sorted({r["list_url"] for r in group if r["list_url"]})
        cms = next((kind for rx, kind in _CMS_BY_URL if rx.search(first.path)), None)
        level = best["admin_level"] if best["admin_level"] in (
            "province", "city", "county", "department") else "other"
        region = province_code(best["province"])
        name = divisions.clean_name(best["organ"])
        found = divisions.locate(name, region)
        if found is not None and region and found.code[:2] == region[:2]:
            region = found.code
        out += ["[[site]]", f"id = {toml_str(sid)}", f"name = {toml_str(name)}",
                f"region = {toml_str(region)}" if region else "# region unknown",
                f"level = {toml_str(level)}", f"tier = {toml_str(best['gov_tier'])}",
                f"home = {toml_str(f'{first.scheme}://{first.netloc}/')}",
                "columns = [" + ", ".join(toml_str(c) for c in columns) + "]",
                "columns_are_hints = true",
                "hosts = [" + ", ".join(toml_str(h) for h in hosts) + "]"]
        if cms:
            out.append(f"cms = {toml_str(cms)}")
        out.append("report_pages = [" + ", ".join(toml_str(r["url"]) for r in group) + "]")
        out.append("")
    return "\n".join(out)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("sites.csv")
    with open(path, encoding="utf-8") as f:
        sys.stdout.write(build(list(csv.DictReader(f))))


if __name__ == "__main__":
    main()
