"""``scrapy stats``: what the store holds."""

from __future__ import annotations

from crawler.store.command import StoreCommand


def _table(title: str, rows: list[tuple]) -> str:
    lines = [title]
    for key, n in rows:
        lines.append(f"  {str(key) if key is not None else '(unknown)':<24} {n:>8}")
    return "\n".join(lines)


class Command(StoreCommand):
    readonly = True

    def short_desc(self):
        return "Reports by year, region and template; failing checks; pages without tables"

    def handle(self, args, opts):
        with self.open_store(opts) as store:
            print(f"{store.count_reports()} reports, {store.count_pages()} pages "
                  f"in the {store.describe()}")
            print(_table("by year", store.counts_by("year")))
            print(_table("by province", store.counts_by("region.province")))
            print(_table("by template", store.counts_by("template")))
            print(_table("failing checks by rule", store.failing_rules()))
            # The parser gives template "unknown" exactly when it found no table.
            print(_table("reports without tables",
                         [("", store.count_reports({"template": "unknown"}))]))
