"""What a report page can be, and so how much work the parser will do on one.

The largest real report pages are under 1 MB of HTML, with a few hundred blocks of prose and
three tables of at most a few hundred cells. Anything far beyond that is a broken or hostile
page: it is cut at these bounds (the record's ``warnings`` say where and why), so that every
input is parsed in bounded time and memory (issue 10: under 5 s and 1 GB on one core).
"""

from __future__ import annotations

#: Bytes of a page that are read; the rest is cut (5x the largest real report page).
MAX_BYTES = 5 * 1024 * 1024
#: Blocks (prose lines and tables) read from one page; a real report has a few hundred.
MAX_BLOCKS = 20_000
#: Lines read from a text dump; a real report has at most a couple of thousand.
MAX_LINES = 200_000
#: Rows read from one table; the longest standard table has about 30.
MAX_TABLE_ROWS = 2_000
#: Cells of one row of a text dump; the widest standard row has 17.
MAX_ROW_CELLS = 200
#: Area (rows x width, holes included) of one table's expanded grid: rowspans and colspans are
#: capped by what they add up to, not one by one, so a grid bomb is cut, not expanded.
MAX_GRID_CELLS = 20_000
#: Expanded grid cells of all the tables of one page together.
MAX_PAGE_CELLS = 200_000
#: A rowspan or colspan above this is read as this.
MAX_SPAN = 200
#: Warnings kept in a record: a broken table can produce one per row.
MAX_WARNINGS = 50

#: Sane values: a count must fit a signed 64-bit integer (MongoDB stores nothing larger); an
#: amount (万元) must be a finite float well beyond any public budget.
MAX_COUNT = 2**63 - 1
MAX_MONEY = 1e15
#: Digits a number may have before it is not read at all (int() refuses over 4300).
MAX_DIGITS = 30

# --- attachments -------------------------------------------------------------------------------
# A real report file is a PDF of 3-30 pages (a few hundred characters and a hundred or so
# ruling lines per page, under 50 KB of page content), or a DOCX/XLSX whose XML parts are
# under 1 MB. Zips are checked from their central directory before anything is inflated;
# PDF streams and pages are bounded while pdfminer reads them.

#: Entries in a DOCX/XLSX zip (a real one has 10-30).
MAX_ZIP_ENTRIES = 2_000
#: Declared uncompressed size of one zip member, and of all of them together. Python's
#: zipfile never inflates a member beyond its declared size (it fails the CRC instead), so
#: checking the declarations bounds the inflation.
MAX_ZIP_MEMBER = 64 * 1024 * 1024  # every member is inflated once to check it
MAX_ZIP_TOTAL = 128 * 1024 * 1024
#: Compression ratio of a member over :data:`ZIP_RATIO_FROM` bytes: Office XML compresses
#: 5-30 times (a long repetitive table up to about 150), a deflate bomb about 1000 times.
MAX_ZIP_RATIO = 250
ZIP_RATIO_FROM = 1024 * 1024
#: An XML part parsed whole into a tree (document.xml, styles.xml, sharedStrings.xml ...).
#: Worksheets are streamed, so they may be larger (up to :data:`MAX_ZIP_MEMBER`).
MAX_XML_PART = 16 * 1024 * 1024
#: Cells with a value read from one sheet, and from a whole workbook; formatting-only cells
#: and rows are dropped before counting. A report sheet has a few hundred.
MAX_SHEET_CELLS = 30_000
MAX_BOOK_CELLS = 50_000
#: Shared strings of a workbook (a report has a few hundred).
MAX_SHARED_STRINGS = 100_000
#: Merged ranges of a workbook, and the cells they cover: openpyxl makes an object for each
#: covered cell and restyles the edges of each range (a report sheet has under 100 ranges).
MAX_MERGED_RANGES = 1_000
MAX_MERGED_CELLS = 20_000
#: Elements of a DOCX body walked (paragraphs, tables, rows, cells ...).
MAX_DOCX_ELEMENTS = 500_000

#: Pages of a PDF read; the rest is cut (a report has 3-30; a real page costs 80-250 ms).
MAX_PDF_PAGES = 50
#: Bytes a PDF stream may inflate to (pdfminer inflates each stream whole).
MAX_PDF_STREAM = 16 * 1024 * 1024
#: Content-stream bytes interpreted for one page (forms included, each time drawn), and for
#: the whole document: pdfminer interprets about 0.5 MB a second, and a real page has
#: 5-50 KB. Each is checked before the content runs.
MAX_PAGE_CONTENT = 256 * 1024
MAX_PDF_CONTENT = 1024 * 1024
#: Objects (characters, paths, images) drawn on one page, and in the whole document:
#: pdfminer and pdfplumber spend 25 us on a character, 70 us on a path; a real page
#: draws 300-1,000.
MAX_PAGE_OBJECTS = 10_000
MAX_PDF_OBJECTS = 40_000
#: Ruling objects (lines, rectangles, curves) on a page beyond which its tables are not
#: looked for (pdfplumber's table finder grows with the square of the rules' crossings).
MAX_PAGE_RULES = 2_000
#: Crossings of a page's rules (horizontal x vertical, once snapped and joined as the table
#: finder does) beyond which its tables are not looked for: a real page has under 1,000, and
#: the finder spends about 0.3 ms on each.
MAX_PAGE_CROSSINGS = 4_000
#: Crossings the table finder is given in a whole document (a report has a few thousand).
MAX_PDF_CROSSINGS = 20_000

#: Seconds a LibreOffice conversion may take, and the address space it may use.
OFFICE_TIMEOUT = 60
OFFICE_MEMORY = 2 * 1024 * 1024 * 1024
