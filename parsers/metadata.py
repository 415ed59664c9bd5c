"""Report metadata: title, organ, statistics year, publication date and region.

Each field is read from the most reliable place the page offers, in a fixed order of trust:
the title (``<meta name=ArticleTitle>``, headings, the first lines); sentences the template
makes every report write (``现向社会公布2025年…年度报告``, ``统计期限为2023年1月1日至…``);
the signature at the end (organ, then date); the 信息公开 metadata block (发布机构, 发布日期);
the 2017 site meta tags (``SiteIDCode``, ``PubDate``, ``ContentSource``). The year is never
taken from the URL: portals file reports under misleading paths.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter

from . import templates as T
from .document import Document, Line, Table, collapse

_YEAR = r"((?:19|20)\d{2})"
_ORGAN_CHARS = r"[\u4e00-\u9fff（）()0-9A-Za-z·]"
_TITLE_TAIL = re.compile(r"(?:政府|政务)?信息公开.{0,12}?报告|信息公开年报")
_STAT_PERIOD = re.compile(
    r"统计(?:期限|周期|时限|时间|区间|范围|数据时间段|数据期限|时段)[^。；;]{0,20}?" + _YEAR + r"\s*年")
_PERIOD_RANGE = re.compile(_YEAR + r"\s*年\s*1\s*月\s*1\s*日\s*(?:起)?\s*(?:至|到|-|—)\s*(?:" + _YEAR
                           + r"\s*年\s*)?12\s*月\s*31\s*日")
_PUBLISH_SENTENCE = [
    re.compile(r"(?:公布|发布|现将|编制)\s*" + _YEAR + r"\s*年度?\s*(?P<org>" + _ORGAN_CHARS
               + r"{2,40}?)\s*(?:的)?(?:政府|政务)(?:信息)?公开"),
    re.compile(r"(?:公布|发布|现将|编制)\s*(?P<org>" + _ORGAN_CHARS + r"{2,40}?)\s*" + _YEAR
               + r"\s*年度?\s*(?:的)?(?:政府|政务)?(?:信息)?公开"),
]
_SUBJECT = re.compile(
    r"^\s*" + _YEAR + r"\s*年(?:度)?\s*[，,]\s*(?:在[^，,。]{0,40}?下\s*[，,]\s*)?(?P<org>"
    + _ORGAN_CHARS + r"{2,30}?)(?=坚持|始终|深入|认真|全面|紧紧|紧密|围绕|按照|严格|高度|持续|积极|聚焦|"
    r"进一步|以习近平|在|不断|切实|牢固|立足|扎实|大力|继续|着力)")
_DATE = re.compile(_YEAR + r"\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
_DATE_LINE = re.compile(r"^\s*" + _YEAR + r"\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")
_KV_LABELS = {"发布机构": "publisher", "发文机关": "publisher", "发布单位": "publisher",
              "信息来源": "publisher", "来源": "publisher",
              "发布日期": "published", "发布时间": "published", "公开日期": "published",
              "成文日期": "written", "生成日期": "written",
              "标题": "title", "名称": "title", "文件名称": "title"}
_KV_INLINE = re.compile(r"(发布机构|发文机关|发布单位|信息来源|来源|发布日期|发布时间|公开日期|成文日期|生成日期)"
                        r"\s*[:：]\s*([^\s|]{2,40}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)")
_NOT_ORGAN_START = ("我", "本", "关于", "现", "在", "根据", "按照")
_SUFFIX = re.compile("(?:" + "|".join(sorted(map(re.escape, T.ORGAN_SUFFIXES), key=len,
                                               reverse=True)) + ")$")
_PUB_META = ("pubdate", "publishdate", "firstpublishedtime", "publishtime", "dcterms.issued")


def _clean_organ(org: str | None) -> str | None:
    if not org:
        return None
    org = _SPACES.sub("", org).strip("，,。：:、 ")
    org = _ORGAN_LEAD.sub("", org)
    if not (2 <= len(org) <= 40) or org.startswith(_NOT_ORGAN_START) or not _SUFFIX.search(org):
        return None
    if org in T.ORGAN_SUFFIXES:  # a bare "政府" or "办公室" names no one
        return None
    for short, full in T.ORGAN_ABBREVIATIONS.items():
        if org.endswith(short) and not org.endswith(full):
            return org[: -len(short)] + full
    return org


# Compiled once: these run for every block or line a page has, or several times a page.
_ORGAN_LEAD = re.compile(r"^(?:关于|现将|现)")
_TITLE_ORG_YEAR = re.compile(r"^(?P<org>.*?)" + _YEAR + r"年度?")
_TITLE_YEAR_ORG = re.compile(r"^" + _YEAR + r"年度?(?P<org>.+?)(?:政府|政务)?信息公开")
_TITLE_ORG = re.compile(r"^(?P<org>.+?)(?:政府|政务)信息公开")
_ORG_DATE_LINE = re.compile(r"^(?P<org>\S{2,40}?)\s*" + _YEAR + r"\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_OVERVIEW = re.compile(r"总体情况|概述")
_YEAR_WORD = re.compile(_YEAR + r"\s*年")
_LEADING_YEAR = re.compile(r"^\s*" + _YEAR + r"\s*年")
_KV_NOISE = re.compile(r"[\s:：]")
_KV_WORD = re.compile("发布|发文|来源|日期")
_KV_NAME = re.compile("|".join(r"[\s:：]*".join(map(re.escape, k)) for k in _KV_LABELS))
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=4096)  # table cells repeat ("0", "本年新收")
def _kv_label(cell: str) -> str | None:
    """The metadata field a cell names (发布机构 -> publisher), if any."""
    return _KV_LABELS.get(_KV_NOISE.sub("", cell))


def _kv(doc: Document, limit: int) -> dict[str, str]:
    """The 信息公开 metadata block: ``发布机构 | X | 发布日期 | 2022-03-10`` rows or
    ``发布日期：2022-03-10`` lines, read from the first ``limit`` blocks."""
    out: dict[str, str] = {}
    for b in doc.blocks[:limit]:
        text = b.text if isinstance(b, Line) else " | ".join(map(" | ".join, b.rows))
        # A cell names a field only if the table's text, noise removed, holds the field's name:
        # one search for the names with noise between their characters, no copy of the text.
        if isinstance(b, Table) and _KV_NAME.search(text):
            for row in b.rows:
                cells = [collapse(c) for c in row]
                for i, c in enumerate(cells[:-1]):
                    key = _kv_label(c)
                    nxt = cells[i + 1]
                    if key and nxt and _kv_label(nxt) is None:
                        out.setdefault(key, nxt)
        # Every match of _KV_INLINE has a colon and one of these words: rule the block out
        # cheaply (the colon first, found in C; the words start on common characters, 日).
        if ("：" in text or ":" in text) and _KV_WORD.search(text):
            for m in _KV_INLINE.finditer(text):
                out.setdefault(_KV_LABELS[m.group(1)], m.group(2))
    return out


def _iso(y: str, m: str, d: str) -> str | None:
    mi, di = int(m), int(d)
    if 1 <= mi <= 12 and 1 <= di <= 31:
        return f"{int(y):04d}-{mi:02d}-{di:02d}"
    return None


def _date(text: str | None) -> str | None:
    if not text:
        return None
    m = _DATE.search(text)
    return _iso(*m.groups()) if m else None


def _title(doc: Document, kv: dict) -> tuple[str | None, str | None]:
    """(title, organ-bearing line before a title that lacks the organ)."""
    candidates = list(doc.titles)
    if kv.get("title"):
        candidates.insert(0, kv["title"])
    # Titles are short: long paragraphs are not candidates (and would be slow to search).
    lines = [b.text for b in doc.blocks[:25] if isinstance(b, Line) and len(b.text) <= 70]
    for i, line in enumerate(lines):
        candidates.append(line)
        if i + 1 < len(lines):
            candidates.append(line + lines[i + 1])
    for cand in candidates:
        text = _SPACES.sub("", cand)
        if "信息公开" not in text:  # both forms of _TITLE_TAIL hold it: cheap to rule out
            continue
        for sep in ("_", "|", "－", "--", " - "):
            if sep in text:
                head = text.split(sep)[0]
                text = head if _TITLE_TAIL.search(head) else text
        m = _TITLE_TAIL.search(text)
        if not m or len(text) > 70 or not text.endswith(("报告", "年报")):
            continue
        if lines and cand in lines:
            idx = lines.index(cand)
            prev = lines[idx - 1] if idx else None
            return text, prev
        return text, None
    return None, None


def _organ_from_title(title: str) -> str | None:
    text = _SPACES.sub("", title)
    m = _TITLE_ORG_YEAR.match(text)
    if m and m.group("org"):
        return _clean_organ(m.group("org"))
    m = _TITLE_YEAR_ORG.match(text)
    if m:
        return _clean_organ(m.group("org"))
    m = _TITLE_ORG.match(text)
    return _clean_organ(m.group("org")) if m else None


def _organ_from_head(doc: Document) -> str | None:
    """The organ named by the page head when the body never states it in full: the report
    title in ``<title>`` (``XX局2023年…年度报告_门户``: the part holding the report title,
    never the portal's name), the ``ArticleTitle`` meta, then the ``ColumnName`` meta
    (department columns are named after the department)."""
    for key in ("<title>", "articletitle"):
        for part in re.split(r"\s*(?:[_|｜]|--|\s-\s|—)\s*", doc.meta.get(key) or ""):
            if _TITLE_TAIL.search(part):
                organ = _organ_from_title(part)
                if organ:
                    return organ
    return _clean_organ(doc.meta.get("columnname"))


def _signature(doc: Document, end: int) -> tuple[str | None, str | None]:
    """The organ and date signed at the end of the report (``陇西县财政局`` / ``2023年1月19日``)."""
    # The last eight lines before the end, found from the end (the body can be long).
    lines = list(itertools.islice((b.text for b in reversed(doc.blocks[:end])
                                   if isinstance(b, Line)), 8))[::-1]
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i].strip()
        if not line.endswith("日"):  # both signature forms end with the date's 日
            continue
        m = _DATE_LINE.match(line)
        if m:
            date = _iso(*m.groups())
            org = _clean_organ(lines[i - 1]) if i else None
            return org, date
        m = _ORG_DATE_LINE.match(line)
        if m:
            return _clean_organ(m.group("org")), _iso(*m.groups()[1:])
    return None, None


def read_metadata(doc: Document, overview: str | None, body_end: int) -> dict:
    """Title, organ, year, published_at, region and the raw site code of a document."""
    first = next((i for i, b in enumerate(doc.blocks) if isinstance(b, Line)
                  and _OVERVIEW.search(b.text)), 40)
    kv = _kv(doc, max(first, 12))
    title, before_title = _title(doc, kv)
    text = doc.full_text()
    sig_org, sig_date = _signature(doc, body_end)

    organ = _organ_from_title(title) if title else None
    if not organ and before_title:
        organ = _clean_organ(before_title)
    if not organ:
        for rx in _PUBLISH_SENTENCE:
            m = rx.search(text)
            if m and _clean_organ(m.group("org")):
                organ = _clean_organ(m.group("org"))
                break
    if not organ:
        organ = _organ_from_head(doc)
    if not organ:
        organ = sig_org
    if not organ and overview:
        m = _SUBJECT.search(overview.split("\n", 1)[0])
        organ = _clean_organ(m.group("org")) if m else None
    if not organ:
        organ = _clean_organ(kv.get("publisher")) or _clean_organ(doc.meta.get("contentsource"))
    if title and organ and not re.sub(r"\s+", "", title).startswith(organ) \
            and not re.match(r"^\d{4}年", title) and _organ_from_title(title) is None:
        title = organ + title

    year = _year(text, title, overview)
    published = (_date(kv.get("published")) or _date(kv.get("written"))
                 or next((_date(doc.meta[k]) for k in _PUB_META if doc.meta.get(k)), None)
                 or sig_date)
    return {"title": title, "organ": organ, "year": year, "published_at": published,
            "region": _region(doc.meta.get("siteidcode"), organ or title)}


def _year(text: str, title: str | None, overview: str | None) -> int | None:
    m = _STAT_PERIOD.search(text) or _PERIOD_RANGE.search(text)
    if m:
        return int(m.group(1))
    if title:
        m = _YEAR_WORD.search(title)
        if m:
            return int(m.group(1))
    if overview:
        m = _LEADING_YEAR.match(overview)
        if m:
            return int(m.group(1))
    years = Counter(_YEAR_WORD.findall(text))
    return int(years.most_common(1)[0][0]) if years else None


#: (full name, name without its 省/市/自治区 ending) of every province-level division.
_PROVINCE_SHORT = [(full, re.sub(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$", "", full))
                   for full in T.PROVINCES.values()]


def _region(site_id_code: str | None, name: str | None) -> dict:
    code = None
    if site_id_code:
        m = re.match(r"^(\d{6})\d{0,4}$", site_id_code.strip())
        if m and m.group(1)[:2] in T.PROVINCES:
            code = m.group(1)
    province = T.PROVINCES.get(code[:2]) if code else None
    if not province and name:
        for full, short in _PROVINCE_SHORT:
            if name.startswith(full) or (len(short) >= 2 and name.startswith(short + "市")):
                province = full
                break
    return {"code": code, "province": province, "city": None, "county": None}
