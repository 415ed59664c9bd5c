"""Scrapy settings of the govreports project."""

BOT_NAME = "govreports"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

USER_AGENT = "govreports/0.1 (+https://github.com/govreports/govreports; annual report research crawler)"
ROBOTSTXT_OBEY = True

# The store: unset MONGO_URI means the embedded on-disk store under DATA_DIR.
MONGO_URI = None
DATA_DIR = "data"

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# The site registry (crawler/sites/registry.toml unless set); {base} in its URLs becomes
# SITES_BASE_URL.
SITES_REGISTRY = None
SITES_BASE_URL = None

# --- Transport --------------------------------------------------------------------------
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
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0
DEPTH_LIMIT = 12

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.HostPolicyMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.ChallengeMiddleware": 590,
    "crawler.middlewares.SchemeFallbackMiddleware": 600,
}
ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 300}
# Challenge pages and errors are never cached if a user turns the HTTP cache on.
HTTPCACHE_IGNORE_HTTP_CODES = [403, 412, 500, 502, 503, 504, 521]
TELNETCONSOLE_ENABLED = False
