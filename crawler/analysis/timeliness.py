"""Publication against the deadlines of the Regulations on Open Government Information, art. 49.

A department of a people's government at or above county level publishes its report for the
previous year by 31 January; the people's government itself (its open-government office
publishes it) by 31 March. Township governments and other bodies the article does not name
are not assessed. Which deadline applies is read from the organ's name: a name that is a
government (``…人民政府``, or just a division such as ``平潭综合实验区``) takes 31 March;
anything else (a 局, 委, 办, 厅, 中心…) is a department and takes 31 January.
"""

from __future__ import annotations

import datetime as dt
import re

_TOWNSHIP = re.compile(r"(乡|镇|街道|街道办事处)(人民政府)?$")
_GOVERNMENT = re.compile(r"(人民政府|政府|省|市|区|县|州|旗|盟|自治区|实验区|新区)$")
_DEPARTMENT_INSIDE = re.compile(r"(局|委|厅|办|中心|院|署|所|站|队|处|馆|部|会)")


def kind(organ: str | None) -> str | None:
    """``government``, ``department``, ``township`` or None (no organ)."""
    if not organ:
        return None
    if _TOWNSHIP.search(organ):
        return "township"
    if organ.endswith("人民政府") or (_GOVERNMENT.search(organ)
                                   and not _DEPARTMENT_INSIDE.search(organ)):
        return "government"
    return "department"


def deadline(organ: str | None, year: int | None) -> dt.date | None:
    """The art. 49 deadline for ``organ``'s report on ``year``, or None when none applies."""
    k = kind(organ)
    if not year or k not in ("government", "department"):
        return None
    return dt.date(year + 1, 3, 31) if k == "government" else dt.date(year + 1, 1, 31)


def as_date(value) -> dt.date | None:
    """A date from a date, a datetime or an ISO string (``published_at``); None otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def assess(row: dict) -> dict:
    """One report's timeliness: ``status`` is ``on_time``, ``late``, ``undated`` (the page shows
    no date), ``early`` (a date before the year ended: the page's date is not the publication
    date) or ``not_assessed``; ``days_late`` is set for late reports."""
    due = deadline(row.get("organ"), row.get("year"))
    published = as_date(row.get("published_at"))
    out = {"organ": row.get("organ"), "year": row.get("year"), "url": row.get("url"),
           "site": row.get("site"), "published_at": published, "deadline": due,
           "kind": kind(row.get("organ")), "days_late": None}
    if due is None:
        out["status"] = "not_assessed"
    elif published is None:
        out["status"] = "undated"
    elif published <= dt.date(row["year"], 12, 31):
        out["status"] = "early"
    elif published > due:
        out["status"], out["days_late"] = "late", (published - due).days
    else:
        out["status"] = "on_time"
    return out


def missing_of(organ: str, years: dict[int, str], latest: int, today: dt.date) -> list[dict]:
    """The years ``organ`` has no report for whose deadline has passed, between the first year
    it published and the latest year any report covers (``latest``): ``{organ, year,
    deadline, last_url, last_year}``. ``years``: the url of its report for each year it
    published (the first url of the year's reports)."""
    out = []
    first = min(years)
    for year in range(first + 1, latest + 1):
        due = deadline(organ, year)
        if year not in years and due is not None and due < today:
            before = max(y for y in years if y < year)
            out.append({"organ": organ, "year": year, "deadline": due,
                        "last_url": years[before], "last_year": before})
    return out
