"""The request ``meta`` contract: every key the spider, the middlewares and the pipeline share.

A request of the ``reports`` spider carries these keys (Scrapy's own keys, such as
``download_slot``, ``dont_obey_robotstxt`` and ``retry_times``, keep their Scrapy meaning).
They survive serialisation, so requests in a scrapy-redis queue or a JOBDIR keep them.
"""

#: The registry id of the site the request belongs to (``adhoc-<host>`` for a start URL).
SITE = "site"
#: The hosts the site may be fetched from besides .gov.cn ones; requests of ad hoc sites
#: carry them so that any worker can rebuild the site.
ALLOWED_HOSTS = "allowed_hosts"
#: Scrapy's download slot: the site id, so per-site politeness holds across the site's hosts.
DOWNLOAD_SLOT = "download_slot"
#: The CMS module (crawler.cms) that reads the response, when known.
CMS = "cms"
#: How many column/sub-column steps below a start page this page is (discovery depth; paging
#: does not add to it).
WALK_DEPTH = "walk_depth"
#: The statistics years asked for, ``(first, last)`` or None.
YEARS = "years"
#: Fetch stored reports again (``-a refresh=1``).
REFRESH = "refresh"
#: The link title a report page was found under.
TITLE = "title"
#: Set on the http retry of an https request (crawler.middlewares.SchemeFallbackMiddleware).
SCHEME_FALLBACK = "scheme_fallback"
#: The per-site politeness token a distributed worker holds while the request is downloaded
#: (crawler.distributed.SitePolitenessMiddleware).
SITE_TOKEN = "site_token"
#: When that token was granted, in ms on Redis's clock (the one every worker's grants are
#: measured on: two grants of a site are at least SITE_DELAY apart on it).
SITE_TOKEN_AT = "site_token_at"
#: The first request(s) of a site: their failures make the crawl's "unreachable" summary.
START = "start"
#: The next page of a listing (a pager): keeps the depth of the page it was found on
#: (crawler.middlewares.PagingDepthMiddleware).
PAGING = "paging"
#: Which page of its listing this is (1 = the column page); LISTING_PAGE_BUDGET bounds it.
LISTING_PAGE = "listing_page"
#: The path of the site's disclosure section (``/zwgk/zfxxgk/``): department sub-sites are
#: searched below it (crawler.subsites).
SECTION = "section"
#: How many department sub-site levels below the section this page is (SUBSITE_DEPTH).
SUBSITE_DEPTH = "subsite_depth"
#: The page was reached through a year sub-column (20xx年): no year sub-columns below it.
IN_YEAR = "in_year"
#: When listing pages are rendered: auto|never|always (the crawl's ``render`` argument, else
#: the site's registry field).
RENDER = "render"
#: This request renders the page in Chromium (crawler.rendering); scrapy-playwright's own keys
#: (``playwright``, ``playwright_include_page``, ``playwright_page``) ride along.
RENDERED = "rendered"
#: For a report fetched as a cover letter's attachment: the letter's URL.
COVER_URL = "cover_url"
#: For a report page's file: the page's item, waiting for its files, and the files still to
#: fetch (crawler.spiders.reports: a page is handed on with all its files).
REPORT_ITEM = "report_item"
PENDING_ATTACHMENTS = "pending_attachments"
#: The crawl run a request belongs to (one enqueued start spec, or one ``scrapy crawl`` with
#: targets); a distributed crawl's duplicate filter is per run (crawler.reliable_queue).
RUN = "run"
#: The reliable queue's entry a worker holds for a request it took from Redis, until the
#: response is handled (crawler.reliable_queue).
QUEUE_MEMBER = "queue_member"
