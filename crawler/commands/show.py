"""``scrapy show URL``: one stored report, its failing checks, and its review page (the stored
source beside the parsed tables, failing cells highlighted) written to a file or served on
127.0.0.1.
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from scrapy.exceptions import UsageError

from crawler.analysis import review, textable
from crawler.analysis.checks import failing
from crawler.store.command import StoreCommand


class Command(StoreCommand):
    readonly = True
    takes_arguments = True

    def syntax(self):
        return "URL [-o review.html | --serve]"

    def short_desc(self):
        return "Show a stored report with its failing checks; write or serve its review page"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("-o", "--output", help="write the review page to this file")
        parser.add_argument("--serve", action="store_true",
                            help="serve the review page on 127.0.0.1 until Ctrl-C")
        parser.add_argument("--port", type=int, default=0, help="with --serve (default: any free)")

    def handle(self, args, opts):
        if len(args) != 1:
            raise UsageError("give one report URL (or the unique end of one)", print_help=False)
        with self.open_store(opts) as store:
            record = store.find_report(args[0])
            if record is None:
                print(f"{args[0]}: no such report in the {store.describe()}", file=sys.stderr)
                self.exitcode = 1
                return
            page = store.page(record["page_sha256"]) if record.get("page_sha256") else None
        region = record.get("region") or {}
        print(f"{record.get('title') or '(no title)'}\n  url        {record['url']}\n"
              f"  organ      {record.get('organ')}\n  year       {record.get('year')}\n"
              f"  published  {record.get('published_at')}\n"
              f"  region     {region.get('code')} {region.get('province') or ''} "
              f"{region.get('city') or ''} {region.get('county') or ''}\n"
              f"  site       {record.get('site')}\n  template   {record.get('template')}\n"
              f"  key        {record.get('report_key')}")
        bad = failing(record)
        print(f"{len(bad)} failing check(s)")
        if bad:
            print(textable.render(["rule", "where", "expected", "actual", "other report"],
                                  [[c["rule"], c["where"], c["expected"], c["actual"],
                                    c.get("other_url") or ""] for c in bad]))
        html = review.render(record, page)
        if opts.output:
            with open(opts.output, "w", encoding="utf-8") as f:
                f.write(html)
            print(f"review page: {opts.output}")
        if opts.serve:
            self._serve(html.encode("utf-8"), opts.port)

    def _serve(self, body: bytes, port: int) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        print(f"review page on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)",
              flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
