"""PDF attachments to a :class:`~parsers.document.Document` with pdfplumber (MIT).

Per page, in reading order (top to bottom):

- **Ruled tables** (``find_tables``): the cells are placed in a grid by their edges, so merged
  cells read like an HTML rowspan/colspan (:mod:`parsers.grid`). A row that is one cell across
  the table is prose, not data: reports put their whole text in a page-wide ruled frame, and
  one-column "tables" are such frames. Runs of multi-cell rows become :class:`Table` blocks.
- **Text outside those runs** becomes :class:`Line` blocks, one per paragraph: a line that
  reaches the right margin continues on the next unindented line, also across a page break.
  Spaces a PDF puts between Chinese characters (justified lines) are removed.
- **Page furniture**: page numbers (``- 3 -``, ``— 1 —``, ``第 2 页``) and lines repeated in
  the top or bottom band of several pages are dropped.
- **A table continued on the next page** (the page's first block is a table with the same
  number of columns as the previous page's last block) is joined to its first part.
- **Pages without ruling** fall back to the text layer's layout: a line whose words stand in
  columns far apart, one of them a number, is a table row.
- **Scans**: pages that are images with (almost) no text layer are listed in a warning; they
  need OCR, and no number is ever guessed from an image.

Bounded work (:mod:`parsers.limits`, :mod:`parsers.pdf_bounds`): the first
``MAX_PDF_PAGES`` pages are read; a stream never inflates beyond ``MAX_PDF_STREAM``; a page
whose content or drawn objects pass the per-page limits is not read, and the document is cut
where they pass the per-document ones; a page with more than ``MAX_PAGE_RULES`` ruling
objects is read from its text layer without looking for tables. Each says so in a warning.
Encrypted PDFs are read when they open without a password (owner-only protection).

pdfplumber is imported on the first PDF only: parsing HTML pages never pays for it.
"""

from __future__ import annotations

import io
import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass

from . import limits
from .document import Document, Line, Table, collapse
from .grid import row_cells
from .values import is_blank, is_value

_SCAN_CHARS = 10  # fewer text characters than this on a page with an image: a scanned page
_BAND = 0.07  # top and bottom share of the page height where running headers/footers sit
_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_PAGE_NUMBER = re.compile(r"^[-—–－_~\s]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[-—–－_~\s]*$")
_WRAPPED_NUMBER = re.compile(r"(?<=[\d.,])\n(?=[\d.,])")
_DASHED = re.compile(r"^\s*[-—–－]")
_NUMBERED = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[（(]\s*[一二三四五六七八九十\d]+\s*[)）]"
                       r"|\d{1,2}\s*[、.．](?!\d))")


@dataclass
class _Item:
    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    size: float = 10.0
    text: str = ""
    rows: list[list[str]] | None = None  # a table run, or None for prose
    ncols: int = 0
    band: bool = False


def join_text(text: str, cell: bool = False) -> str:
    """Cell or line text: line breaks and gaps between Chinese characters removed. In a
    cell, a number wrapped in a narrow column (``1\n2``) is joined again."""
    text = text or ""
    if cell:
        text = _WRAPPED_NUMBER.sub("", text)
    return collapse(_CJK_GAP.sub("", text))


def read_pdf(body: bytes) -> tuple[Document, dict, list[str]]:
    """The document, ``{"pages": n}`` for ``source``, and warnings."""
    import pdfplumber  # noqa: PLC0415  (lazy: HTML-only processes never load it)

    from . import pdf_content
    from .pdf_bounds import Budget, TooMuch, install, page_layout

    install()
    pdf_content.install()
    doc = Document(kind="pdf")
    warnings: list[str] = []
    try:
        pdf = pdfplumber.open(io.BytesIO(body))
        pages = _first_pages(pdf)
    except Exception as exc:  # pdfminer raises many kinds on damaged or encrypted files
        return doc, {"pages": None}, [_unopened(exc)]
    items: list[_Item] = []
    scanned: list[int] = []
    budget = Budget()
    # Not closed with ``pdf.close()``: it would make a page object of every page (a
    # 5,000-page file costs seconds); the body is in memory, there is nothing to release.
    title = _title(pdf)
    if title:
        doc.titles.append(title)
    n_pages = _page_count(pdf, len(pages))
    if n_pages > len(pages):
        warnings.append(f"the PDF has {n_pages} pages; only the first {len(pages)} were read")
    for number, page in enumerate(pages, 1):
        try:
            page_layout(page, budget)
            page_items, chars = _read_page(page, number, warnings, budget)
            if chars < _SCAN_CHARS and page.images:
                scanned.append(number)
        except TooMuch as exc:
            if exc.whole_document:
                warnings.append(f"PDF cut after page {number - 1} of {n_pages}: {exc}")
                break
            warnings.append(f"PDF page {number} not read: {exc}")
            continue
        except Exception as exc:
            warnings.append(f"PDF page {number} could not be read: {_why(exc)}")
            continue
        finally:
            page.close()
        items.extend(page_items)
    if scanned:
        which = "all pages" if len(scanned) == n_pages else "pages " + ", ".join(map(str, scanned))
        warnings.append(f"scanned PDF: {which} are images without a text layer and need OCR; "
                        "no numbers were read from them")
    doc.blocks = _assemble(_drop_furniture(items, n_pages))
    return doc, {"pages": n_pages}, warnings


def _first_pages(pdf) -> list:
    """pdfplumber pages for the first ``MAX_PDF_PAGES`` pages of the page tree only
    (``pdf.pages`` resolves every page of the file first)."""
    from pdfminer.pdfpage import PDFPage

    from .pdf_page import page_class

    Page = page_class()
    pages, doctop = [], 0.0
    for number, page_obj in enumerate(PDFPage.create_pages(pdf.doc), 1):
        if number > limits.MAX_PDF_PAGES:
            break
        page = Page(pdf, page_obj, page_number=number, initial_doctop=doctop)
        pages.append(page)
        doctop += page.height
    return pages


def _unopened(exc: Exception) -> str:
    cause = exc.__cause__ or (exc.args[0] if exc.args and isinstance(exc.args[0], Exception)
                              else exc)
    if "Password" in type(cause).__name__ or "Password" in type(exc).__name__:
        return "the PDF is encrypted and needs a password to open; not read"
    return f"the PDF could not be opened: {_why(exc)}"


def _title(pdf) -> str:
    try:
        title = (pdf.metadata or {}).get("Title")
    except Exception:  # a damaged Info dictionary: the title is not needed
        return ""
    return collapse(title) if isinstance(title, str) and title.strip() else ""


def _page_count(pdf, read: int) -> int:
    """The number of pages the PDF declares (``/Count``), at least those read."""
    if read < limits.MAX_PDF_PAGES:
        return read
    try:
        from pdfminer.pdftypes import resolve1

        count = resolve1(resolve1(pdf.doc.catalog["Pages"])["Count"])
        return max(read, int(count)) if isinstance(count, int) else read
    except Exception:  # a damaged page tree: say what was read
        return read


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


# --- one page ------------------------------------------------------------------------------

def _read_page(page, number: int, warnings: list[str], budget) -> tuple[list[_Item], int]:
    height = page.height or 1.0
    items: list[_Item] = []
    boxes: list[tuple] = []
    rules = len(page.rects) + len(page.lines) + len(page.curves)
    crossings = _crossings(page) if rules <= limits.MAX_PAGE_RULES else 0
    why = None
    if rules > limits.MAX_PAGE_RULES:
        why = f"{rules} ruling objects (limit {limits.MAX_PAGE_RULES})"
    elif crossings > limits.MAX_PAGE_CROSSINGS:
        why = f"its rules may cross {crossings} times (limit {limits.MAX_PAGE_CROSSINGS})"
    elif budget.crossings + crossings > limits.MAX_PDF_CROSSINGS:
        why = f"the document's rules cross over {limits.MAX_PDF_CROSSINGS} times"
    if why:
        warnings.append(f"PDF page {number}: tables not looked for, {why}; read from the text "
                        f"layer")
        tables = []
    else:
        budget.crossings += crossings
        tables = page.find_tables()
    for table in tables:
        for item in _table_runs(table, number, warnings):
            items.append(item)
            boxes.append((item.x0 - 1, item.top - 1, item.x1 + 1, item.bottom + 1))
    words = [w for w in page.extract_words(keep_blank_chars=False, use_text_flow=False)
             if not _inside(w, boxes)]
    lines = _lines(words)
    fallback = not boxes
    run: _Item | None = None
    for ws in lines:
        top, bottom = min(w["top"] for w in ws), max(w["bottom"] for w in ws)
        size = max(1.0, min(w["bottom"] - w["top"] for w in ws))
        x0, x1 = ws[0]["x0"], ws[-1]["x1"]
        band = top < _BAND * height or bottom > (1 - _BAND) * height
        cells, wide = _cells(ws, size) if fallback else ([], False)
        if cells and _is_row(cells, wide):
            if run is None:
                run = _Item(number, top, bottom, x0, x1, size, rows=[], ncols=len(cells))
                items.append(run)
            run.rows.append(cells)
            run.bottom, run.ncols = bottom, max(run.ncols, len(cells))
            continue
        run = None
        text = join_text(" ".join(w["text"] for w in ws))
        if text:
            items.append(_Item(number, top, bottom, x0, x1, size, text=text, band=band))
    items.sort(key=lambda it: it.top)
    return items, len(page.chars)


def _crossings(page) -> int:
    """How many times the page's rules may cross, once pdfplumber has snapped and joined them
    as its table finder does (horizontal x vertical): the finder's work grows with it."""
    from pdfplumber.table import TableSettings, merge_edges

    s = TableSettings.resolve(None)
    edges = merge_edges(page.edges, s.snap_x_tolerance, s.snap_y_tolerance,
                        s.join_x_tolerance, s.join_y_tolerance)
    horizontal = vertical = 0
    for e in edges:
        if e["orientation"] == "h" and e["x1"] - e["x0"] >= s.edge_min_length:
            horizontal += 1
        elif e["orientation"] == "v" and e["bottom"] - e["top"] >= s.edge_min_length:
            vertical += 1
    return horizontal * vertical


def _inside(word: dict, boxes: list[tuple]) -> bool:
    cx, cy = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
    return any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes)


def _lines(words: list[dict]) -> list[list[dict]]:
    """Words grouped into visual lines (same baseline band), each sorted left to right."""
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines:
            last = lines[-1]
            ref = last[0]
            if abs(w["top"] - ref["top"]) <= 0.5 * max(1.0, ref["bottom"] - ref["top"]):
                last.append(w)
                continue
        lines.append([w])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def _cells(words: list[dict], size: float) -> tuple[list[str], bool]:
    """A line's words as cells: a gap wider than two characters separates columns, and a
    number that pdfplumber found as a word of its own is a cell of its own (a label that
    fills its column leaves only a narrow gap before the first value). Also says whether
    some gap was a column gap."""
    cells: list[list[str]] = [[words[0]["text"]]]
    wide = False
    for prev, w in zip(words, words[1:], strict=False):
        gap = w["x0"] - prev["x1"]
        if gap > 2 * size or _is_number(w["text"]) or _is_number(prev["text"]):
            wide = wide or gap > 2 * size
            cells.append([])
        cells[-1].append(w["text"])
    return [join_text(" ".join(c)) for c in cells], wide


def _is_number(text: str) -> bool:
    return is_value(text) and not is_blank(text)


def _is_row(cells: list[str], wide: bool) -> bool:
    """A line of a table laid out without ruling: it ends in a value, and either its columns
    are far apart or it ends in two values (prose such as ``2023 年`` does neither)."""
    if len(cells) < 2 or not _is_number(cells[-1]):
        return False
    return wide or _is_number(cells[-2])


def _cluster(values, tol: float = 2.0) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _table_runs(table, number: int, warnings: list[str]) -> list[_Item]:
    """A ruled table as runs of multi-cell rows (single-cell rows are prose, left to the text
    layer). Cells are placed by their edges, so merged cells span grid positions; a table
    whose grid is over ``MAX_GRID_CELLS`` positions is left to the text layer."""
    texts: dict[tuple, str] = {}
    for row, cells in zip(table.rows, table.extract(), strict=False):
        for bbox, text in zip(row.cells, cells, strict=False):
            if bbox is not None:
                texts[tuple(bbox)] = join_text(text, cell=True)
    if not texts:
        return []
    xs = _cluster(b[0] for b in texts)
    ys = _cluster(b[1] for b in texts)
    if len(xs) * len(ys) > limits.MAX_GRID_CELLS:
        warnings.append(f"PDF page {number}: a table of {len(ys)} x {len(xs)} cells not read as "
                        f"a table (limit {limits.MAX_GRID_CELLS})")
        return []
    grid = {}
    for k, (bbox, text) in enumerate(texts.items()):
        # The rows and columns whose start lies inside the cell (sorted: found by bisection).
        rows = range(bisect_left(ys, bbox[1] - 2), bisect_left(ys, bbox[3] - 2))
        cols = range(bisect_left(xs, bbox[0] - 2), bisect_left(xs, bbox[2] - 2))
        for r in rows:
            for c in cols:
                grid[(r, c)] = (text, k)
    x0, _, x1, bottom = table.bbox
    runs: list[_Item] = []
    run: _Item | None = None
    for r, y in enumerate(ys):
        row = row_cells(grid, r, range(len(xs)))
        row_bottom = ys[r + 1] if r + 1 < len(ys) else bottom
        if len(row) <= 1:
            run = None
            continue
        if run is None:
            run = _Item(number, y, row_bottom, x0, x1, rows=[], ncols=len(xs))
            runs.append(run)
        run.rows.append(row)
        run.bottom = row_bottom
    return runs


# --- the whole document --------------------------------------------------------------------

def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", text)


def _drop_furniture(items: list[_Item], n_pages: int) -> list[_Item]:
    repeated = Counter(_furniture_key(it.text) for it in items if it.rows is None and it.band)
    kept = []
    for it in items:
        if it.rows is None:
            if _PAGE_NUMBER.match(it.text) and (it.band or _DASHED.match(it.text)):
                continue
            if it.band and n_pages >= 2 and repeated[_furniture_key(it.text)] >= 2:
                continue
        kept.append(it)
    return kept


def _assemble(items: list[_Item]) -> list:
    """Blocks in reading order: paragraphs joined, continued tables joined."""
    margins: dict[int, tuple[float, float]] = {}
    for it in items:
        if it.rows is None:
            lo, hi = margins.get(it.page, (it.x0, it.x1))
            margins[it.page] = (min(lo, it.x0), max(hi, it.x1))
    blocks: list = []
    prev: _Item | None = None
    for i, it in enumerate(items):
        first_on_page = i == 0 or items[i - 1].page != it.page
        if it.rows is not None:
            if (prev is not None and prev.rows is not None and first_on_page
                    and prev.page == it.page - 1 and prev.ncols == it.ncols):
                blocks[-1].rows.extend(it.rows)  # the table goes on from the previous page
            else:
                blocks.append(Table(it.rows, "pdf"))
            prev = it
            continue
        if prev is not None and prev.rows is None and _continues(prev, it, margins, first_on_page):
            blocks[-1].text += it.text if _joins_tight(blocks[-1].text, it.text) else " " + it.text
        else:
            blocks.append(Line(it.text))
        prev = it
    return blocks


def _continues(prev: _Item, cur: _Item, margins, first_on_page: bool) -> bool:
    """Is ``cur`` the next line of ``prev``'s paragraph? ``prev`` ran to the right margin and
    ``cur`` is not indented nor numbered, just below it or at the top of the next page."""
    size = max(prev.size, cur.size)
    if prev.x1 < margins[prev.page][1] - 1.5 * size:
        return False
    if cur.x0 > margins[cur.page][0] + 0.8 * size or _NUMBERED.match(cur.text):
        return False
    if cur.page == prev.page:
        return cur.top - prev.bottom < 1.5 * size
    return first_on_page and cur.page == prev.page + 1


def _joins_tight(left: str, right: str) -> bool:
    return bool(left and right and re.match(f"[{_CJK}]", left[-1]) and re.match(f"[{_CJK}]", right[0]))
