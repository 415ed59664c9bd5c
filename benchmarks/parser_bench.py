"""Parser benchmark: ``python benchmarks/parser_bench.py [--rounds N]`` (``make bench``).

Measures ``parse_page`` against its floor on the real report pages the project bundles
(fixtures/realdocs, the HTML twins in fixtures/html and the report pages of the demo portals
in fixtures/sites, as their expected*.json files list them). The floor is what any parser of
these pages must do: an lxml parse of the bytes plus an OpenCC t2s conversion of the page's
text; on a page that ships its article as a JSON string in a script (Guangdong's gkmlpt), also
an lxml parse of that article. Times are the CPU time of the benchmark's thread
(``time.thread_time``), so that other processes on a shared machine do not count, and floor
and parser run interleaved in the same rounds, so that the ratios hold even when caches are
contended; absolute times still move from run to run. Also prints the text seeds and a
synthetic 50 KB portal page.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import lxml.etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parsers import html_doc, parse_page  # noqa: E402
from parsers.decode import declared_encoding  # noqa: E402
from parsers.html_doc import embedded_content  # noqa: E402
from parsers.script import _converter, to_simplified  # noqa: E402

FIX = ROOT / "fixtures"
_FLOOR_PARSERS: dict[str, lxml.etree.HTMLParser] = {}


def report_pages() -> dict[str, bytes]:
    """The real report pages: realdocs, HTML twins, and the demo portals' report pages."""
    docs = {}
    for p in sorted((FIX / "realdocs").glob("r*.*")):
        if p.suffix in (".html", ".txt"):  # pages, not attachments (r005.pdf)
            docs[f"realdocs/{p.name}"] = p.read_bytes()
    for p in sorted((FIX / "html").glob("*.html")):
        docs[f"html/{p.name}"] = p.read_bytes()
    for listing in sorted((FIX / "sites").glob("expected*.json")):
        expected = json.loads(listing.read_text(encoding="utf-8"))
        for url, label in sorted(expected.items()):
            # None marks a page that is not a report (a PDF-only notice); attachments (.doc,
            # .pdf) are not HTML report pages.
            if label and url.endswith((".html", ".htm")):
                docs[f"sites{url}"] = (FIX / "sites" / url.lstrip("/")).read_bytes()
    return docs


def other_pages() -> dict[str, bytes]:
    docs = {f"seeds/{p.name}": p.read_bytes() for p in sorted((FIX / "seeds").glob("*.txt"))}
    body = (FIX / "realdocs" / "r004.html").read_text(encoding="utf-8")
    nav = "".join(f'<li><a href="/col/col{i}/index.html">栏目{i}</a></li>' for i in range(150))
    page = (f'<html><head><meta charset="utf-8"><title>年度报告</title><script>var a={"x" * 2000};'
            f'</script></head><body><ul class="nav">{nav}</ul>{body}<div class="footer">版权所有</div>'
            f"</body></html>")
    docs["synthetic/portal-50k.html"] = page.encode("utf-8")
    return docs


def floor(body: bytes) -> None:
    """What any parser must do: parse the bytes (in the page's declared encoding, else UTF-8,
    which all these pages are), convert the page's text to simplified."""
    encoding = declared_encoding(body, None) or "utf-8"
    for enc in {encoding, "utf-8"} - set(_FLOOR_PARSERS):
        _FLOOR_PARSERS[enc] = lxml.etree.HTMLParser(remove_comments=True, no_network=True,
                                                    encoding=enc)
    parser = _FLOOR_PARSERS[encoding]
    root = lxml.etree.fromstring(body, parser)
    text = "".join(root.itertext()) if root is not None else body.decode("utf-8", "replace")
    if root is not None and root.find(".//table") is None:
        article = embedded_content(text)  # the page's article is a JSON string: parse it too
        if article:
            inner = lxml.etree.fromstring(article.encode("utf-8"), _FLOOR_PARSERS["utf-8"])
            text += "".join(inner.itertext())
    _converter().convert(text)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(docs: dict[str, bytes], rounds: int,
            python_rows: bool = False) -> tuple[dict, dict, dict]:
    """CPU ms per page: (floor, parse_page, parse_page with table rows read in Python); the
    last is empty unless ``python_rows`` and the C reader is built. The three run
    interleaved, in alternating order, so that each sees the same machine."""
    built = html_doc._cells
    python_rows = python_rows and built is not None
    for body in docs.values():  # warm caches (OpenCC dictionaries, regexes)
        parse_page(body)
        floor(body)
    parse_ms = {name: [] for name in docs}
    floor_ms = {name: [] for name in docs}
    python_ms = {name: [] for name in docs} if python_rows else {}
    try:
        for r in range(rounds):
            for name, body in docs.items():
                t0 = time.thread_time()
                floor(body)
                floor_ms[name].append((time.thread_time() - t0) * 1000)
                for reader in (("c", "python") if r % 2 else ("python", "c")) if python_rows \
                        else ("c",):
                    html_doc._cells = built if reader == "c" else None
                    t0 = time.thread_time()
                    parse_page(body)
                    spent = (time.thread_time() - t0) * 1000
                    (parse_ms if reader == "c" else python_ms)[name].append(spent)
    finally:
        html_doc._cells = built
    return floor_ms, parse_ms, python_ms


def ratios_of(floor_ms: dict, parse_ms: dict) -> list[float]:
    """parse / floor per page, medians of the rounds."""
    return [statistics.median(parse_ms[name]) / statistics.median(floor_ms[name])
            for name in parse_ms]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python benchmarks/parser_bench.py")
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args(argv)

    docs = report_pages()
    floor_ms, parse_ms, python_ms = measure(docs, args.rounds, python_rows=True)
    reader = ("in C (parsers._cells)" if html_doc._cells is not None
              else "in Python (parsers._cells is not built)")
    print(f"Real report pages: {len(docs)}, {args.rounds} rounds, one core, CPU ms; "
          f"table rows read {reader}\n")
    print(f"{'page':60} {'KB':>5} {'floor':>6} {'parse':>6} {'p95':>6} {'ratio':>6}")
    ratios, ratios95 = [], []
    for name in docs:
        f, p = statistics.median(floor_ms[name]), statistics.median(parse_ms[name])
        p95 = percentile(parse_ms[name], 0.95)
        ratios.append(p / f)
        ratios95.append(p95 / f)
        print(f"{name:60} {len(docs[name]) / 1024:5.1f} {f:6.2f} {p:6.2f} {p95:6.2f} {p / f:6.2f}")
    every_floor = [t for ts in floor_ms.values() for t in ts]
    every_parse = [t for ts in parse_ms.values() for t in ts]
    print(f"\nfloor (lxml parse + OpenCC t2s): median {statistics.median(every_floor):.2f} ms, "
          f"p95 {percentile(every_floor, 0.95):.2f} ms")
    print(f"parse_page:                      median {statistics.median(every_parse):.2f} ms, "
          f"p95 {percentile(every_parse, 0.95):.2f} ms")
    print(f"ratio parse_page / floor per page: median {statistics.median(ratios):.2f}x, "
          f"p95 {percentile(ratios, 0.95):.2f}x, max {max(ratios):.2f}x; "
          f"parse p95 / floor median: median {statistics.median(ratios95):.2f}x, "
          f"p95 {percentile(ratios95, 0.95):.2f}x")
    print(f"throughput: {1000 / statistics.median(every_parse):.0f} reports/s on one core")
    if python_ms:
        in_python = ratios_of(floor_ms, python_ms)
        every = [t for ts in python_ms.values() for t in ts]
        print(f"with table rows read in Python instead (no C compiler at install), same rounds: "
              f"parse_page median {statistics.median(every):.2f} ms, ratio median "
              f"{statistics.median(in_python):.2f}x, p95 {percentile(in_python, 0.95):.2f}x")

    others = other_pages()
    _, other_ms, _ = measure(others, max(5, args.rounds // 3))
    print(f"\n{'other inputs':60} {'KB':>5} {'parse':>6} {'p95':>6}")
    for name, ts in other_ms.items():
        print(f"{name:60} {len(others[name]) / 1024:5.1f} {statistics.median(ts):6.2f} "
              f"{percentile(ts, 0.95):6.2f}")
    text = (FIX / "seeds" / "002_8489e09d66f59a56.txt").read_text(encoding="utf-8")
    t0 = time.thread_time()
    for _ in range(50):
        to_simplified(text)
    print(f"t2s alone on a {len(text)}-character traditional report: "
          f"{(time.thread_time() - t0) * 1000 / 50:.2f} ms")


if __name__ == "__main__":
    main()
