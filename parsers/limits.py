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
