"""An offline demo of government portals, on 127.0.0.1, for ``make demo`` and the tests.

    python -m demo.portal [--port 8321]

Serves ``fixtures/sites/`` (built by ``fixtures/sites/build_sites.py``): static pages as files,
plus the dynamic routes real CMSs have — Hanweb ``dataproxy.jsp`` (XML), gkmlpt
``/gkmlpt/api/all/{category}`` (JSON), jpaas ``/api-gateway/…/build/unit`` (JSON) — and the
faults of ``data.json``: a page that fails with 500 before it works, a slow page, a truncated
body, a 412 Ruishu challenge. Listens on the loopback interface only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "sites"
TYPES = {".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
         ".txt": "text/plain; charset=utf-8", ".pdf": "application/pdf", "": "text/html; charset=utf-8"}
#: Report links per page of the ``/bench/`` column.
BENCH_PER_PAGE = 20
#: A link to a file (PDF, Word, Excel) in a page.
FILE_LINK = re.compile(rb"""href=["'][^"']+\.(?:pdf|docx?|wps|xlsx?)["']""", re.I)
RUISHU = (b'<!DOCTYPE html><html><head><meta content="' + b"x" * 300
          + b'"><script type="text/javascript" r="m">var _$a=1;</script>'
          b'<script src="/c.js" r="m"></script></head><body></body></html>')


class Portal(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, root: Path = ROOT, *, bench_reports: int = 200,
                 bench_attachments: bool = True):
        super().__init__(address, Handler)
        self.root = root
        self.bench_reports = bench_reports
        self.bench_attachments = bench_attachments
        self._bench_bodies: list[bytes] | None = None
        self.data = json.loads((root / "data.json").read_text(encoding="utf-8"))
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        # Per demo site (first path segment): requests in flight now, the most at once, and
        # when each request arrived (to check politeness across crawler processes).
        self.active: dict[str, int] = {}
        self.max_active: dict[str, int] = {}
        self.arrivals: dict[str, list[float]] = {}
        #: Seconds every response waits before it is sent: a slow portal, so that tests and
        #: benchmarks can kill crawler processes mid-crawl.
        self.delay = 0.0

    def handle_error(self, request, client_address):
        # A crawler killed mid-download (the kill -9 tests) hangs up on us: not an error here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def hit(self, path: str) -> int:
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            return self.hits[path]

    @staticmethod
    def site_of(path: str) -> str:
        first = path.strip("/").split("/", 1)[0]
        return "jpaas" if first == "api-gateway" else first

    @property
    def bench_bodies(self) -> list[bytes]:
        """The demo sites' report pages, which the ``/bench/`` column repeats (without the
        pages that link files when ``bench_attachments`` is false)."""
        if self._bench_bodies is None:
            expected = json.loads((self.root / "expected.json").read_text(encoding="utf-8"))
            bodies = [(self.root / p.lstrip("/")).read_bytes()
                      for p, stem in sorted(expected.items())
                      if stem and not p.startswith("/gkmlpt/")]
            if not self.bench_attachments:
                bodies = [b for b in bodies if not FILE_LINK.search(b)]
            self._bench_bodies = bodies
        return self._bench_bodies

    def enter(self, path: str) -> str:
        site = self.site_of(path)
        with self.lock:
            self.active[site] = self.active.get(site, 0) + 1
            self.max_active[site] = max(self.max_active.get(site, 0), self.active[site])
            self.arrivals.setdefault(site, []).append(time.monotonic())
        return site

    def leave(self, site: str) -> None:
        with self.lock:
            self.active[site] -= 1


class Handler(BaseHTTPRequestHandler):
    server: Portal
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the crawl's own log says what happened
        pass

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None,
              length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        self.do_GET()

    def do_GET(self):
        site = self.server.enter(urlsplit(self.path).path)
        try:
            self._get()
        finally:
            self.server.leave(site)

    def _get(self):
        parts = urlsplit(self.path)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        n = self.server.hit(path)
        if self.server.delay:
            time.sleep(self.server.delay)
        fault = self.server.data["faults"].get(path, {})
        if fault.get("challenge") == "ruishu":
            return self._send(412, RUISHU, "text/html", {"Set-Cookie": "FSSBBIl1UgzbN7N80S=abc; path=/"})
        if n <= fault.get("fail_first", 0):
            return self._send(500, b"<h1>500 Internal Server Error</h1>", "text/html")
        if fault.get("delay"):
            time.sleep(fault["delay"])
        if path.startswith("/bench/"):
            return self._bench(path, query)
        if path.endswith("/jpage/dataproxy.jsp"):
            return self._hanweb(query)
        if "/gkmlpt/api/all/" in path:
            return self._gkmlpt(path, query)
        if path.startswith("/api-gateway/jpaas-publish-server/"):
            return self._jpaas(query)
        file = (self.server.root / path.lstrip("/")).resolve()
        if file.is_dir():
            file = file / "index.html"
        if not file.is_relative_to(self.server.root) or not file.is_file():
            return self._send(404, b"<h1>404 Not Found</h1>", "text/html")
        body = file.read_bytes()
        content_type = fault.get("content_type") or TYPES.get(file.suffix, "application/octet-stream")
        if fault.get("truncate"):  # announce the whole body, send half, hang up
            self._send(200, body[: len(body) // 2], content_type, length=len(body))
            self.close_connection = True
            return None
        return self._send(200, body, content_type)

    def _bench(self, path, query):
        """``/bench/``: a TRS-style column of ``bench_reports`` report pages (the demo sites'
        report pages, repeated), for the crawl benchmarks."""
        server = self.server
        total = server.bench_reports
        pages = -(-total // BENCH_PER_PAGE)
        name = path.rsplit("/", 1)[1]
        if name.startswith("index"):
            k = int(name[6:-5] or 0) if name.startswith("index_") else 0
            first = k * BENCH_PER_PAGE
            items = "".join(f'<li><a href="/bench/r/{i}.html">演示县{i}号单位2024年政府信息公开工作年度报告</a></li>'
                            for i in range(first, min(first + BENCH_PER_PAGE, total)))
            body = (f'<html><head><meta charset="utf-8"></head><body><ul>{items}</ul><script>'
                    f'createPageHTML({pages}, {k}, "index", "html");</script></body></html>').encode()
            return self._send(200, body, "text/html; charset=utf-8")
        i = int(name.split(".")[0])
        body = server.bench_bodies[i % len(server.bench_bodies)] + f"<!-- {i} -->".encode()
        charset = "gbk" if b"charset=gbk" in body[:400] else "utf-8"
        return self._send(200, body, f"text/html; charset={charset}")

    def _hanweb(self, query):
        column = self.server.data["hanweb"].get(query.get("columnid", ""), {"records": [], "perpage": 1})
        per, records = column["perpage"], column["records"]
        page = int(query.get("page", "1"))
        total = max(1, -(-len(records) // per))
        chunk = records[(page - 1) * per: page * per]
        xml = (f"<?xml version='1.0' encoding='UTF-8'?><datastore><totalrecord>{len(records)}</totalrecord>"
               f"<totalpage>{total}</totalpage><recordset>"
               + "".join(f"<record><![CDATA[{r}]]></record>" for r in chunk) + "</recordset></datastore>")
        return self._send(200, xml.encode(), "text/xml; charset=utf-8")

    def _gkmlpt(self, path, query):
        data = self.server.data["gkmlpt"]
        cat = data["categories"].get(path.rstrip("/").rsplit("/", 1)[1])
        if cat is None or query.get("sid") != data["sid"]:
            return self._send(404, b'{"error": "no such category"}', "application/json")
        page, per = int(query.get("page", "1")), cat["per_page"]
        body = {"classify": {"post_count": len(cat["articles"])},
                "articles": cat["articles"][(page - 1) * per: page * per]}
        return self._send(200, json.dumps(body, ensure_ascii=False).encode(), "application/json")

    def _jpaas(self, query):
        items = self.server.data["jpaas"]["items"]
        try:
            param = json.loads(query.get("paramJson", "{}"))
        except json.JSONDecodeError:
            param = {}
        n, rows = int(param.get("pageNo", 1)), int(param.get("pageSize", 15))
        fragment = ("<ul>" + "".join(items[(n - 1) * rows: n * rows]) + "</ul>"
                    f'<div class="pagination" rows="{rows}" count="{len(items)}"></div>')
        body = {"success": True, "data": {"html": fragment}}
        return self._send(200, json.dumps(body, ensure_ascii=False).encode(), "application/json")


def serve(port: int = 0, root: Path = ROOT, *, bench_reports: int = 200,
          bench_attachments: bool = True) -> Portal:
    """Start the portal in a background thread (port 0: a free port); ``.shutdown()`` stops it.
    ``bench_reports``: how many report pages the ``/bench/`` column lists;
    ``bench_attachments``: whether it includes the report page that links its report as a file."""
    portal = Portal(("127.0.0.1", port), root, bench_reports=bench_reports,
                    bench_attachments=bench_attachments)
    threading.Thread(target=portal.serve_forever, daemon=True).start()
    return portal


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m demo.portal")
    ap.add_argument("--port", type=int, default=8321)
    args = ap.parse_args()
    portal = Portal(("127.0.0.1", args.port))
    print(f"demo portal on {portal.base_url}/ (Ctrl-C stops it)", flush=True)
    try:
        portal.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
