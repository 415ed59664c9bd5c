"""The site registry: which portals to crawl, where their report columns are, what they run.

``registry.toml`` holds one ``[[site]]`` table per portal (id, name, 6-digit region code, admin
level, home URL, report column URLs, allowed hosts, CMS kind). It is built from
``sites.csv`` (real report pages on real portals) by ``build_registry.py``; column URLs taken
from there are hints (``columns_are_hints``), re-discovered on every crawl. Another registry
file can be used with the ``SITES_REGISTRY`` setting; ``{base}`` in its URLs is replaced by the
``SITES_BASE_URL`` setting (the offline demo portal uses this).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from parsers.templates import PROVINCES

DEFAULT_REGISTRY = Path(__file__).with_name("registry.toml")
LEVELS = ("province", "city", "county", "department", "township", "other")
CMS_KINDS = ("trs", "hanweb", "gkmlpt", "jpaas", "plain")
RENDER_MODES = ("auto", "never", "always")  # as crawler.crawlspec.RENDER_MODES


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    region: str | None
    level: str
    home: str
    columns: tuple[str, ...] = ()
    columns_are_hints: bool = True
    hosts: tuple[str, ...] = ()
    cms: str | None = None
    obey_robots: bool = True
    #: Rendering of script-drawn lists in a browser: "auto", "never", "always"; None follows
    #: the crawl's ``render`` argument (see crawler.rendering).
    render: str | None = None
    #: How often scheduled crawls run: "daily", "weekly", "monthly", a number of days, or
    #: None for the law's calendar (see crawler.schedule).
    cadence: str | int | None = None
    notes: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def allows(self, url: str) -> bool:
        """May a crawl of this site fetch ``url``? (:func:`crawler.hosts.refusal`)"""
        from crawler.hosts import refusal

        return refusal(url, self.hosts) is None


#: Fields every registry entry must have (``region`` may be an empty string for "unknown").
REQUIRED = ("id", "name", "region", "level", "home")


class RegistryError(ValueError):
    """The registry cannot be read; the message names the file and, for an entry, the site."""


def load(path: str | Path | None = None, base_url: str | None = None,
         problems: list[str] | None = None) -> list[Site]:
    """The sites of a registry file. An entry missing a field, or with a field of the wrong
    kind, raises :class:`RegistryError` naming it; with a ``problems`` list, it is described
    there and left out instead (``scrapy sites --check``)."""
    path = Path(path or DEFAULT_REGISTRY)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"site registry {path}: {exc.strerror or exc}") from exc
    if base_url:
        text = text.replace("{base}", base_url.rstrip("/"))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"site registry {path}: not valid TOML: {exc}") from exc
    sites = []
    entries = data.get("site", [])
    if not isinstance(entries, list):
        raise RegistryError(f"site registry {path}: 'site' must be [[site]] tables")
    for n, entry in enumerate(entries, 1):
        try:
            sites.append(_site(entry))
        except (TypeError, ValueError) as exc:
            name = entry.get("id") if isinstance(entry, dict) else None
            message = f"site #{n}" + (f" {name!r}" if name else "") + f": {exc}"
            if problems is None:
                raise RegistryError(f"site registry {path}: {message}") from exc
            problems.append(message)
    return sites


def _site(entry: dict) -> Site:
    if not isinstance(entry, dict):
        raise TypeError("not a table")
    missing = [k for k in REQUIRED if k not in entry]
    if missing:
        raise ValueError("missing field" + ("s " if len(missing) > 1 else " ")
                       + ", ".join(repr(k) for k in missing))
    known = {k: entry[k] for k in Site.__dataclass_fields__ if k in entry and k != "extra"}
    known["region"] = known["region"] or None
    for key in ("id", "name", "level", "home"):
        if not isinstance(known[key], str):
            raise TypeError(f"{key} must be a string, got {known[key]!r}")
    for key in ("columns", "hosts"):
        value = known.get(key, ())
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise TypeError(f"{key} must be a list of strings, got {value!r}")
        known[key] = tuple(value)
    if not known.get("hosts"):
        known["hosts"] = (urlsplit(entry["home"]).netloc.lower(),)
    return Site(**known, extra={k: v for k, v in entry.items() if k not in known})


def select(sites: list[Site], ids: list[str] | None = None, region: str | None = None) -> list[Site]:
    """Sites by id list and/or region code prefix (``54`` = Tibet, ``5401`` = Lhasa)."""
    out = sites
    if ids:
        wanted = set(ids)
        unknown = wanted - {s.id for s in sites}
        if unknown:
            raise KeyError(f"unknown site id(s): {', '.join(sorted(unknown))}")
        out = [s for s in out if s.id in wanted]
    if region:
        out = [s for s in out if s.region and s.region.startswith(region)]
    return out


def check(sites: list[Site]) -> list[str]:
    """Problems in a registry, one message each (empty when it is valid)."""
    problems = []
    seen = set()
    for s in sites:
        where = f"site {s.id!r}"
        if s.id in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(s.id)
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", s.id):
            problems.append(f"{where}: id must be lower-case letters, digits and '-'")
        if s.region is not None and (not re.fullmatch(r"\d{6}", s.region)
                                     or s.region[:2] not in PROVINCES):
            problems.append(f"{where}: region {s.region!r} is not a 6-digit code of a province")
        if s.level not in LEVELS:
            problems.append(f"{where}: level {s.level!r} not in {LEVELS}")
        if s.cadence is not None and not (isinstance(s.cadence, int) and s.cadence > 0) \
                and s.cadence not in ("daily", "weekly", "monthly"):
            problems.append(f"{where}: cadence {s.cadence!r} is not daily/weekly/monthly/days")
        if s.render is not None and s.render not in RENDER_MODES:
            problems.append(f"{where}: render {s.render!r} not in {RENDER_MODES}")
        if s.cms is not None and s.cms not in CMS_KINDS:
            problems.append(f"{where}: cms {s.cms!r} not in {CMS_KINDS}")
        for url in (s.home, *s.columns):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                problems.append(f"{where}: not an http(s) URL: {url!r}")
            elif not s.allows(url):
                problems.append(f"{where}: host {parts.netloc} is neither .gov.cn nor in hosts")
    return problems
