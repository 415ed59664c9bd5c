"""The requests of the ``reports`` spider: what every one of them carries.

Every request names its site (``meta[SITE]``), whose id is also its download slot (politeness
per site, across the site's hosts) and whose hosts it may be fetched from, the CMS module that
reads it and its walk depth (:mod:`crawler.meta` is the contract). A site whose registry entry
says so is fetched without obeying robots.txt. A link followed from a page carries on the
years, refresh and render mode of the crawl that found it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import scrapy

from crawler import meta as M
from crawler import sites as registry

#: The crawl's own choices, handed from a page to every link followed from it.
CARRIED = (M.YEARS, M.REFRESH, M.RENDER)


def site_request(url: str, site: registry.Site, callback, *, cms_name=None, depth=0,
                 meta: dict | None = None, **kwargs) -> scrapy.Request:
    """A request of ``site``; ``meta`` adds to (or overrides) the site's keys, ``kwargs`` go to
    :class:`scrapy.Request` (``errback``, ``method``, ``body``, ``dont_filter``...)."""
    meta = {M.SITE: site.id, M.DOWNLOAD_SLOT: site.id, M.ALLOWED_HOSTS: site.hosts,
            M.CMS: cms_name, M.WALK_DEPTH: depth, **(meta or {})}
    if not site.obey_robots:
        meta["dont_obey_robotstxt"] = True
    return scrapy.Request(url, callback=callback, meta=meta, **kwargs)


def carried_meta(found_on) -> dict:
    """The crawl's choices (:data:`CARRIED`) of the response (or request) a link was found on."""
    return {key: found_on.meta.get(key) for key in CARRIED}


def site_of(found_on, sites_by_id: dict[str, registry.Site]) -> registry.Site:
    """The site a response (or request) belongs to. In a distributed crawl a worker also gets
    requests of ad hoc sites another worker started: those are rebuilt from the request's meta
    and added to ``sites_by_id``."""
    site_id = found_on.meta[M.SITE]
    site = sites_by_id.get(site_id)
    if site is None:
        hosts = tuple(found_on.meta.get(M.ALLOWED_HOSTS) or (urlsplit(found_on.url).netloc,))
        site = registry.Site(id=site_id, name=hosts[0], region=None, level="other",
                             home=found_on.url, columns_are_hints=False, hosts=hosts)
        sites_by_id[site_id] = site
    return site
