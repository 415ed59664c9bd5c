"""What to crawl: the ``reports`` spider's arguments, parsed and checked once.

``scrapy crawl reports -a ...``, ``scrapy enqueue`` and ``scrapy schedule`` all describe a crawl
with the same arguments (``site``, ``region``, ``start_url``, ``years``, ``refresh``,
``render``); a
:class:`CrawlSpec` is that description as one value, and :meth:`CrawlSpec.sites` the sites it
names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler import sites as registry

_YEARS = re.compile(r"\s*((?:19|20)\d{2})\s*(?:-\s*((?:19|20)\d{2}))?\s*")


def parse_years(spec: str | None) -> tuple[int, int] | None:
    """``2019-2024`` or ``2023`` -> (first, last); None means every year."""
    if not spec:
        return None
    m = _YEARS.fullmatch(str(spec))
    if not m:
        raise ValueError(f"years must be YYYY or YYYY-YYYY, got {spec!r}")
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    if last < first:
        raise ValueError(f"years range is backwards: {spec!r}")
    return first, last


RENDER_MODES = ("auto", "never", "always")


def parse_render(value) -> str | None:
    """``auto|never|always`` (crawler.rendering); None when not given (the site's registry
    field applies, else auto)."""
    if value is None or str(value).strip() == "":
        return None
    mode = str(value).strip().lower()
    if mode not in RENDER_MODES:
        raise ValueError(f"render must be one of {', '.join(RENDER_MODES)}, got {value!r}")
    return mode


def parse_flag(value) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def adhoc_site(url: str) -> registry.Site:
    """A site made up for one start URL: its host is allowed for that crawl, whatever it is."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"start_url must be an http(s) URL, got {url!r}")
    host = parts.netloc.lower()
    return registry.Site(id=f"adhoc-{host.replace(':', '-')}", name=host, region=None,
                         level="other", home=url, columns=(url,), columns_are_hints=False,
                         hosts=(host,))


@dataclass(frozen=True)
class CrawlSpec:
    """One crawl's targets and options. Build it with :meth:`parse` (raises ValueError with a
    message a user can act on)."""

    site_ids: tuple[str, ...] | None = None
    region: str | None = None
    start_url: str | None = None
    years: tuple[int, int] | None = None
    refresh: bool = False
    render: str | None = None

    @classmethod
    def parse(cls, site=None, region=None, start_url=None, years=None, refresh=None,
              render=None, **unknown) -> CrawlSpec:
        if unknown:
            raise ValueError(f"unknown spider argument(s): {', '.join(sorted(unknown))}")
        if start_url:
            adhoc_site(start_url)  # checks the URL
        site_ids = tuple(s.strip() for s in str(site).split(",") if s.strip()) if site else None
        return cls(site_ids, str(region).strip() if region else None, start_url or None,
                   parse_years(years), parse_flag(refresh), parse_render(render))

    @property
    def is_empty(self) -> bool:
        """No target: a distributed worker, whose work comes from ``scrapy enqueue``."""
        return not (self.site_ids or self.region or self.start_url)

    def arguments(self) -> dict[str, str]:
        """The spider arguments (``-a``) that give this spec back, for logs, the ``crawls``
        collection, queues and subprocesses."""
        out = {}
        if self.site_ids:
            out["site"] = ",".join(self.site_ids)
        if self.region:
            out["region"] = self.region
        if self.start_url:
            out["start_url"] = self.start_url
        if self.years:
            first, last = self.years
            out["years"] = str(first) if first == last else f"{first}-{last}"
        if self.refresh:
            out["refresh"] = "1"
        if self.render:
            out["render"] = self.render
        return out

    def sites(self, settings) -> list[registry.Site]:
        """The sites this spec names, from the registry the settings name."""
        if self.start_url:
            return [adhoc_site(self.start_url)]
        if self.is_empty:
            raise ValueError("give -a site=ID[,ID], -a region=CODE or -a start_url=URL")
        sites = registry.load(settings.get("SITES_REGISTRY"), settings.get("SITES_BASE_URL"))
        try:
            chosen = registry.select(sites, list(self.site_ids) if self.site_ids else None,
                                     self.region)
        except KeyError as exc:
            raise ValueError(str(exc).strip("'\"")) from exc
        if not chosen:
            raise ValueError(f"no site in the registry has a region code starting {self.region!r}")
        return chosen
