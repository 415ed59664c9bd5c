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
#: For an attachment: the report page that links it.
REPORT_URL = "report_url"
#: Set on the http retry of an https request (crawler.middlewares.SchemeFallbackMiddleware).
SCHEME_FALLBACK = "scheme_fallback"
#: The per-site politeness token a distributed worker holds while the request is downloaded
#: (crawler.distributed.SitePolitenessMiddleware).
SITE_TOKEN = "site_token"
