"""``scrapy stats``: what the store holds."""

from __future__ import annotations

from crawler.storecommand import StoreCommand


def _table(title: str, rows: list[tuple]) -> str:
    lines = [title]
    for key, n in rows:
        lines.append(f"  {str(key) if key is not None else '(unknown)':<24} {n:>8}")
    return "\n".join(lines)


class Command(StoreCommand):
    def short_desc(self):
        return "Reports by year, region and template; failing checks; pages without tables"

    def run(self, args, opts):
        with self.open_store(opts) as store:
            r = store.reports

            def group(field):
                out = list(r.aggregate([{"$group": {"_id": f"${field}", "n": {"$sum": 1}}}]))
                return sorted(((d["_id"], d["n"]) for d in out), key=lambda x: str(x[0]))

            failing = list(r.aggregate([{"$unwind": "$checks"}, {"$match": {"checks.ok": False}},
                                        {"$group": {"_id": "$checks.rule", "n": {"$sum": 1}}}]))
            print(f"{r.count_documents({})} reports, {store.pages.count_documents({})} pages "
                  f"in the {store.describe()}")
            print(_table("by year", group("year")))
            print(_table("by province", group("region.province")))
            print(_table("by template", group("template")))
            print(_table("failing checks by rule", sorted((d["_id"], d["n"]) for d in failing)))
            print(_table("reports without tables", [("", r.count_documents({"tables": {}}))]))
