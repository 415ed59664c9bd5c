"""``scrapy enqueue``: push start work into Redis for the workers of a distributed crawl.

    scrapy enqueue --region 54 --years 2022-2024
    scrapy enqueue --site xizang,lasa
    scrapy enqueue --url https://www.example.gov.cn/zfxxgk/zfxxgknb/

One spec per site is pushed, so the sites of a region spread over the workers. Workers are
``scrapy crawl reports`` processes started with the same ``REDIS_URL``; they take the specs
when idle and stop after ``REDIS_IDLE_TIMEOUT`` seconds without work.
"""

from __future__ import annotations

from scrapy.exceptions import UsageError

from crawler import distributed
from crawler.cli import ProjectCommand
from crawler.crawlspec import CrawlSpec


class Command(ProjectCommand):

    def syntax(self):
        return "--region CODE | --site ID[,ID] | --url URL [--years Y[-Y]] [--refresh]"

    def short_desc(self):
        return "Push start requests into Redis for distributed workers"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--region", help="region code prefix (54 = Tibet)")
        parser.add_argument("--site", help="site id(s), comma-separated")
        parser.add_argument("--url", help="an ad hoc start URL")
        parser.add_argument("--years", help="statistics years, YYYY or YYYY-YYYY")
        parser.add_argument("--refresh", action="store_true", help="fetch stored reports again")

    def handle(self, args, opts):
        # redis and scrapy-redis load here, not on every scrapy command's start
        from crawler.reliable_queue import Queue, new_run  # noqa: PLC0415

        url = distributed.redis_url(self.settings)
        if not url:
            raise UsageError("REDIS_URL is not set: enqueue feeds distributed workers",
                             print_help=False)
        if sum(bool(x) for x in (opts.region, opts.site, opts.url)) != 1:
            raise UsageError("give one of --region, --site or --url", print_help=False)
        try:
            distributed.check(url)
            spec = CrawlSpec.parse(site=opts.site, region=opts.region, start_url=opts.url,
                                   years=opts.years, refresh=opts.refresh)
            sites = spec.sites(self.settings)
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from exc
        # One spec per site, so that the sites of a region spread over the workers. Each spec
        # is a run of its own: its own duplicate filter, and done when its last request is
        # handled (`scrapy queue` shows the runs still going).
        options = CrawlSpec(years=spec.years, refresh=spec.refresh).arguments()
        specs = ([{"start_url": opts.url, "run": new_run("url"), **options}] if opts.url
                 else [{"site": s.id, "run": new_run(s.id), **options} for s in sites])
        queue = Queue(distributed.connect(url))
        waiting = 0
        for spec in specs:
            waiting = queue.push_spec(spec)
        print(f"enqueued {len(specs)} start spec(s); {waiting} waiting in {queue.key('start')}")
