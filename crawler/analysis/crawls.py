"""What a crawl's own stats say about it: the outcome the scheduler records and
``scrapy crawls`` lists.

A crawl whose every request failed (connection refused, timeouts, 5xx, a challenge page) ends
with Scrapy's finish reason ``finished`` all the same; its counts tell the truth: no response
with a 2xx or 3xx status apart from robots.txt. Such a crawl is ``failed``.
"""

from __future__ import annotations

_STATUS = "downloader/response_status_count/"
_ROBOTS = "robotstxt/response_status_count/"


def _sum(counts: dict, prefix: str, ok: bool) -> int:
    return sum(v for k, v in counts.items()
               if k.startswith(prefix) and (k[len(prefix):][:1] in "23") == ok)


def outcome(doc: dict | None) -> str:
    """``running``, ``failed``, ``finished``, or Scrapy's finish reason (``shutdown``…)."""
    if doc is None:
        return "unknown"
    if doc.get("finished_at") is None:
        return "running"
    counts = doc.get("counts") or {}
    good = _sum(counts, _STATUS, True) - _sum(counts, _ROBOTS, True)
    bad = (_sum(counts, _STATUS, False) - _sum(counts, _ROBOTS, False)
           + sum(v for k, v in counts.items() if k.startswith("downloader/exception_type_count/")))
    if good <= 0 and bad > 0:
        return "failed"
    reason = doc.get("finish_reason") or "finished"
    return "finished" if reason == "finished" else reason


def describe(doc: dict) -> dict:
    """One line of ``scrapy crawls``: when, what, outcome and the counts that matter."""
    counts = doc.get("counts") or {}
    args = doc.get("arguments") or {}
    return {
        "started_at": doc.get("started_at"), "finished_at": doc.get("finished_at"),
        "status": outcome(doc),
        "sites": args.get("site") or args.get("region") or args.get("start_url") or "(queue)",
        "pages": counts.get("pages", 0), "new": counts.get("reports/new", 0),
        "changed": counts.get("reports/changed", 0),
        "failed_checks": counts.get("reports/failed_checks", 0),
        "challenges": sum(v for k, v in counts.items()
                          if k.startswith("challenge:")),
        "errors": _sum(counts, _STATUS, False) - _sum(counts, _ROBOTS, False)
        + sum(v for k, v in counts.items() if k.startswith("downloader/exception_type_count/")),
    }
