"""Which links are annual reports, and of which statistics year.

A report title names 政府信息公开 (or 政务信息公开) and a 年度报告/年报; look-alikes are rejected:
解读 pages, 通知 about compiling the report, 网站工作年度报表 (another mandatory report),
法治政府建设年度报告, budget documents, summaries of who has published. Cover letters
(关于报送《…工作情况》的函) are told apart: their attachment is the report.
"""

from __future__ import annotations

import functools
import re

from parsers.script import to_simplified

REPORT = re.compile(r"(?:政府|政务)?信息公开.{0,12}?(?:年度|年)?(?:工作)?(?:年度)?报告|信息公开.{0,4}年报"
                    r"|政务公开.{0,8}年度报告|^年报$")
LOOKALIKE = re.compile(r"解读|图解|通知|公告|公布情况|汇总情况|网站.{0,4}年度报表|报表|法治政府|决算|预算|"
                       r"工作要点|答记者问|考核|评估|编制|指南|目录|制度|征求意见")
COLUMN = re.compile(r"^(?:政府)?信息公开(?:工作)?(?:年报|年度报告)(?:专栏)?$|^公开年报$|^年度报告$|^年报$|"
                    r"^政府信息公开年度报告专栏$|^信息公开年报$")
DISCLOSURE = re.compile(r"政府信息公开|信息公开|政务公开")
DISCLOSURE_HREF = re.compile(r"zfxxgk|xxgk|zwgk|gongkai|openness|gkmlpt|public", re.I)
SUBCOLUMN = re.compile(r"^(?:19|20)\d{2}\s*年?度?(?:年报)?$|^\d{4}n(?:b)?$|部门|区县|乡镇|街道|本级|县直|市直|"
                       r"单位|办公室$|政府$")
# A cover letter sends the report as an attachment: 关于报送《…2017年政府信息公开工作情况》的函.
COVER = re.compile(r"关于(?:报送|呈报|上报|报备)《(?P<inner>[^》]+)》的(?:函|报告|请示)")
COVER_INNER = re.compile(r"(?:政府|政务)?信息公开.{0,10}?(?:工作情况|公报|年度报告|工作报告|年报)")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=8192)
def clean_title(title: str | None) -> str:
    """Without white space, in simplified script (titles on traditional pages match too)."""
    return to_simplified(_SPACE.sub("", title or ""))[0]


def is_report_title(title: str | None) -> bool:
    t = clean_title(title)
    return (bool(t) and bool(REPORT.search(t)) and not LOOKALIKE.search(t)
            and not COLUMN.match(t))


def is_cover_letter(title: str | None) -> bool:
    """A letter whose page only carries the report as an attachment (关于报送《…》的函);
    the titles it sends are named 工作情况, 公报 or 年度报告."""
    m = COVER.search(clean_title(title))
    return bool(m) and bool(COVER_INNER.search(m.group("inner"))) \
        and not LOOKALIKE.search(m.group("inner"))


def title_year(title: str | None) -> int | None:
    """The statistics year a report title names (``…2023年度…报告`` -> 2023)."""
    m = _YEAR.search(clean_title(title))
    return int(m.group(1)) if m else None


def is_column_link(text: str | None) -> bool:
    return bool(COLUMN.match(clean_title(text)))


def is_disclosure_link(text: str | None, href: str | None) -> bool:
    t = clean_title(text)
    return (bool(DISCLOSURE.search(t)) and len(t) <= 12) or bool(DISCLOSURE_HREF.search(href or ""))


def is_subcolumn_link(text: str | None) -> bool:
    t = clean_title(text)
    return bool(t) and len(t) <= 16 and bool(SUBCOLUMN.search(t)) and not is_report_title(t)


_YEAR_LINK = re.compile(r"^(?:19|20)\d{2}\s*年?度?(?:年报)?$|^\d{4}n(?:b)?$")
SUBSITE = re.compile(r"部门|单位|平台|局$|委$|委员会$|办$|办公室$|中心$|街道|乡镇|镇$|乡$")


def is_year_link(text: str | None) -> bool:
    """A year sub-column (2023年, 2023年度, 2023n)."""
    return bool(_YEAR_LINK.match(clean_title(text)))


def is_subsite_link(text: str | None) -> bool:
    """A link to a department's (or township's) own disclosure pages, or to their list."""
    t = clean_title(text)
    return bool(t) and len(t) <= 20 and bool(SUBSITE.search(t)) and not is_report_title(t) \
        and not LOOKALIKE.search(t) and not is_column_link(t)
