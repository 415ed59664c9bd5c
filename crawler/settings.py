"""Scrapy settings of the govreports project: every default of the project, in one place.

This is the only module that reads the environment. ``MONGO_URI``, ``DATA_DIR``,
``JOURNAL_PATH``, ``REDIS_URL`` and ``RENDER_BROWSER`` may come from it (a cluster's machines
set them once); it also sets tldextract's suffix-list variable and the level of pdfminer's
logger (below); Scrapy's priorities then hold as usual: ``-s NAME=VALUE`` on the command line wins over both
the environment and these defaults.
"""

import logging
import os

# pdfminer (under pdfplumber) logs a DEBUG record per token of a PDF's content streams, some 140k
# for a five-page report. Scrapy sets the root logger to NOTSET and filters in its handler, so
# every one of them was built and then thrown away: a PDF parsed in a Scrapy process (`scrapy
# reparse`, `import-files`, the pipeline with PARSE_WORKERS=0) cost 3x its CPU (measured 0.85 s
# against 0.29 s). pdfminer's own warnings still show.
logging.getLogger("pdfminer").setLevel(logging.INFO)

# Scrapy's cookie middleware builds a tldextract.TLDExtract when it is imported; by default that
# fetches the public suffix list over the network on first use and prints a traceback offline.
# An empty URL list makes tldextract use the snapshot it bundles (read at construction, hence
# set here, before Scrapy imports its middlewares). A value set by the user wins.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

BOT_NAME = "govreports"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# Every command of the project is a module of this package, named as the command is
# (``import-files.py`` is ``scrapy import-files``).
COMMANDS_MODULE = "crawler.commands"

USER_AGENT = "govreports/0.1 (+https://github.com/govreports/govreports; annual report research crawler)"
ROBOTSTXT_OBEY = True

# --- The store ----------------------------------------------------------------------------
# A MongoDB URI (mongodb://host/db); unset means the embedded on-disk store under DATA_DIR.
MONGO_URI = os.environ.get("MONGO_URI") or None
DATA_DIR = os.environ.get("DATA_DIR") or "data"
# Items the database could not take wait here for `scrapy replay-journal`
# (default: DATA_DIR/journal.jsonl).
JOURNAL_PATH = os.environ.get("JOURNAL_PATH") or None

LOG_LEVEL = "INFO"
# Items are records: `scrapy crawl reports -O out.jsonl` (or .csv, FEEDS) writes them as the
# store keeps them; CSV feeds are the same wide table as `scrapy export`.
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORTERS = {"csv": "crawler.store.feeds.WideCsvItemExporter"}

# Where `scrapy schedule` writes each crawl's log (None: DATA_DIR/logs, or ./logs with MONGO_URI).
SCHEDULE_LOG_DIR = None

# The site registry (crawler/sites/registry.toml unless set); {base} in its URLs becomes
# SITES_BASE_URL.
SITES_REGISTRY = None
SITES_BASE_URL = None

# Files (PDF, Word, Excel) fetched per report page at most, for reading reports published as
# attachments.
ATTACHMENTS_PER_REPORT = 5

# --- Transport ----------------------------------------------------------------------------
# Politeness: every request of a site shares one download slot (request.meta["download_slot"]
# is the site id), so per-site limits hold whatever host the site uses.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
# Retry n waits RETRY_BACKOFF_BASE × 2^(n-1) seconds, at most RETRY_BACKOFF_MAX.
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0
# Discovery depth (home -> disclosure -> column -> sub-columns); paging does not count
# (crawler.middlewares.PagingDepthMiddleware).
DEPTH_LIMIT = 12

# --- Bounds ------------------------------------------------------------------------------
# Requests one site may cost in one crawl; pages one listing (a column and its pager chain)
# may cost. Page counts a server announces (createPageHTML(1000000, …), totalpage, JSON
# totals) are followed one page at a time and never beyond LISTING_PAGE_BUDGET.
SITE_REQUEST_BUDGET = 5000
LISTING_PAGE_BUDGET = 500
# Levels of department sub-sites followed below a portal's disclosure section.
SUBSITE_DEPTH = 4

# --- Rendering script-drawn lists (crawler.rendering) ---------------------------------------
# The spider argument render=auto|never|always (and a site's registry field) choose when;
# these say with what. Chromium is Debian's package, driven by Playwright (no browser download).
RENDER_BROWSER = os.environ.get("RENDER_BROWSER", "/usr/bin/chromium")
RENDER_PAGES = 2            # browser tabs open at once (one browser per crawl process)
RENDER_TIMEOUT = 20         # seconds per rendered page (navigation, and each pager click)

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.HostPolicyMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.ChallengeMiddleware": 590,
    "crawler.middlewares.SchemeFallbackMiddleware": 600,
}
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "crawler.middlewares.PagingDepthMiddleware": 900,
    "crawler.middlewares.SiteBudgetMiddleware": 850,
}
ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 300}
# The pipeline derives and stores pages in this many worker processes (0: a thread of the crawl
# process). A page goes at once to a free worker; pages that arrive while all are busy go
# together when one is free, at most STORE_BATCH_SIZE in one batch (one store transaction).
PARSE_WORKERS = 2
STORE_BATCH_SIZE = 50
# Each crawl run is recorded in the store's `crawls` collection with all its stats.
EXTENSIONS = {"crawler.extensions.CrawlRecorder": 500}
# Challenge pages and errors are never cached if a user turns the HTTP cache on.
HTTPCACHE_IGNORE_HTTP_CODES = [403, 412, 500, 502, 503, 504, 521]
TELNETCONSOLE_ENABLED = False

# --- Several machines (crawler.distributed) ----------------------------------------------------
# redis://host:port/db: the crawl's queue and duplicate filter live there, shared by workers.
REDIS_URL = os.environ.get("REDIS_URL") or None
# A worker with nothing to do anywhere in the cluster for this long stops (seconds).
REDIS_IDLE_TIMEOUT = 60.0
# Start specs a worker takes at a time when idle, so workers going idle together share sites.
REDIS_SPECS_PER_IDLE = 2
# Per site, across all workers: requests in flight at most, seconds between two starts, and how
# long a token not released is kept (a dead worker's are freed on its recovery, long before).
SITE_CONCURRENCY = 2
SITE_DELAY = 0.5
SITE_TOKEN_TTL = 300.0
# Workers on one machine may share the embedded store (tests, small runs); across machines the
# store must be MongoDB.
EMBEDDED_STORE_SHARED = False
# The reliable queue (crawler.reliable_queue): a worker refreshes its heartbeat every INTERVAL
# seconds; one silent for TTL seconds is dead, and the next live worker to beat puts its
# requests and start specs back and frees its site tokens.
WORKER_HEARTBEAT_INTERVAL = 5.0
WORKER_HEARTBEAT_TTL = 20.0
# How long a run's duplicate filter is kept after its last use; failed requests kept for
# `scrapy queue` (the latest).
QUEUE_SEEN_TTL = 30 * 86400.0
QUEUE_FAILED_KEEP = 10000
# Scheduled crawls on a cluster: how long at most a site's lock is held by one run.
SCHEDULE_LOCK_TTL = 24 * 3600.0

# --- Outages (crawler.store.breaker) ---------------------------------------------------------
# After a failed write the store does not ask the database again for this many seconds (items
# go straight to the journal), doubling after each failed try up to STORE_BREAKER_MAX.
STORE_BREAKER_COOLDOWN = 2.0
STORE_BREAKER_MAX = 60.0
