# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The rows of an HTML data table, read from libxml2's tree in C.

Reading a cell in Python costs about ten lxml calls (each making a proxy object or a string),
and a report page has some 280 cells: that was a quarter of ``parse_page``. Here one call
per table walks the C nodes lxml holds and returns what :func:`parsers.html_doc._table_rows`
returns, row for row: each cell's text as :func:`parsers.html_doc.cell_text` reads it (all
its text when it holds at most one paragraph and nothing skipped; else a space at each
paragraph's start and end and at each ``<br>``, scripts and the like left out; white space
folded by :func:`parsers.document.collapse`), and the span attributes of the cells that have
one. The tests compare both readers on generated tables and on every fixture table.

Built by setup.py where a C compiler is found; :mod:`parsers.html_doc` loads it only if it
was compiled against the lxml in use (it reads lxml's element structs).
"""

from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, strcmp, strlen

cimport lxml.includes.etreepublic as cetree
from lxml.includes cimport tree
from lxml.includes.tree cimport xmlAttr, xmlNode

from parsers.document import collapse as _collapse

cetree.import_lxml__etree()

#: The lxml release whose headers this module was compiled with.
LXML_VERSION = cetree.LXML_VERSION_STRING.decode("ascii")

# What an element is to the cell rule. Tag names are kept by first letter (libxml2's HTML
# parser gives them in lower case), a handful per letter, compared in C.
DEF OTHER = 0
DEF BLOCK = 1
DEF BR = 2
DEF SKIP = 3
DEF MAXB = 16

cdef const char* _names[26][MAXB]
cdef int _kinds[26][MAXB]
cdef int _counts[26]
cdef list _keep = []  # the bytes _names points into


def configure(block, skip):
    """Take the tag vocabulary of :mod:`parsers.html_doc` (declared once, there): the block
    elements (a paragraph each) and the skipped ones (no text read); ``br`` is a line break."""
    cdef int i, b
    for i in range(26):
        _counts[i] = 0
    _keep.clear()
    for names, kind in ((block, BLOCK), (skip, SKIP), (("br",), BR)):
        for name in sorted(names):
            raw = name.encode("ascii")
            _keep.append(raw)
            b = raw[0] - 97
            if b < 0 or b >= 26 or _counts[b] >= MAXB:
                raise ValueError(name)
            _names[b][_counts[b]] = <const char*> raw
            _kinds[b][_counts[b]] = kind
            _counts[b] += 1


cdef inline int kind_of(xmlNode* n) noexcept nogil:
    cdef const char* name
    cdef int b, i
    if n.type != tree.XML_ELEMENT_NODE:
        return -1
    if n.ns is not NULL:
        return OTHER
    name = <const char*> n.name
    b = <unsigned char> name[0] - 97
    if b < 0 or b >= 26:
        return OTHER
    for i in range(_counts[b]):
        if strcmp(_names[b][i], name) == 0:
            return _kinds[b][i]
    return OTHER


cdef struct Buf:
    char* data
    size_t size
    size_t cap


cdef int put(Buf* buf, const char* s, size_t n) except -1:
    cdef size_t cap
    cdef char* data
    if buf.size + n > buf.cap:
        cap = (buf.size + n) * 2 + 64
        data = <char*> realloc(buf.data, cap)
        if data is NULL:
            raise MemoryError()
        buf.data = data
        buf.cap = cap
    memcpy(buf.data + buf.size, s, n)
    buf.size += n
    return 0


cdef int count_blocks(xmlNode* top, int* blocks) noexcept nogil:
    """Add the descendant blocks and <br>s of ``top`` to ``blocks``; 1 at the first skipped
    element (the cell is then read with its paragraphs apart anyway). The walk follows the
    nodes' own links, without recursion: a tree built through lxml's API can be deeper than
    any C stack."""
    cdef xmlNode* c = top.children
    cdef int k
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE:
            k = kind_of(c)
            if k == SKIP:
                return 1
            if k == BLOCK or k == BR:
                blocks[0] += 1
            if c.children is not NULL:
                c = c.children
                continue
        while c.next is NULL:  # the last child: back up to the next node in document order
            c = c.parent
            if c is NULL or c == top:
                return 0
        c = c.next
    return 0


cdef int text_of(xmlNode* top, Buf* buf, bint apart) except -1:
    """The text under ``top`` in document order, as UTF-8 into ``buf``; with ``apart``, a
    space at each block's start and end and at each <br>, skipped elements left out (their
    tails, the text nodes after them, stay). Walked like :func:`count_blocks`."""
    cdef xmlNode* c = top.children
    cdef int k
    while c is not NULL:
        if c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE:
            if c.content is not NULL:
                put(buf, <const char*> c.content, strlen(<const char*> c.content))
        elif c.type == tree.XML_ELEMENT_NODE:
            k = kind_of(c) if apart else OTHER
            if k != SKIP:
                if k == BLOCK or k == BR:
                    put(buf, " ", 1)
                if c.children is not NULL:
                    c = c.children
                    continue
                if k == BLOCK:
                    put(buf, " ", 1)
        while c.next is NULL:  # the last child: its parent ends here
            c = c.parent
            if c is NULL or c == top:
                return 0
            if apart and kind_of(c) == BLOCK:
                put(buf, " ", 1)
        c = c.next
    return 0


# Cell texts repeat within and across pages ("0", "\n  0\n  ", a template's labels): short
# ones are folded once. Long ones are not kept (a hostile cell can hold megabytes).
cdef dict _folded = {}


cdef str collapse(str text):
    cdef object hit
    if len(text) > 64:
        return _collapse(text)
    hit = _folded.get(text)
    if hit is None:
        if len(_folded) >= 16384:
            _folded.clear()
        hit = _folded[text] = _collapse(text)
    return hit


cdef str cell_text(xmlNode* cell, Buf* buf):
    cdef int blocks = 0
    cdef bint apart = count_blocks(cell, &blocks) or blocks > 1
    buf.size = 0
    text_of(cell, buf, apart)
    return collapse(PyUnicode_DecodeUTF8(buf.data, buf.size, "replace"))


cdef object attr(xmlNode* n, const char* name):
    """The value of the attribute ``name`` in no namespace (lxml's ``get``), or None."""
    cdef xmlAttr* a = n.properties
    cdef xmlNode* t
    cdef Buf buf
    while a is not NULL:
        if a.ns is NULL and strcmp(<const char*> a.name, name) == 0:
            buf.data = NULL
            buf.size = buf.cap = 0
            try:
                t = a.children
                while t is not NULL:
                    if t.content is not NULL:
                        put(&buf, <const char*> t.content, strlen(<const char*> t.content))
                    t = t.next
                return PyUnicode_DecodeUTF8(buf.data, buf.size, "replace")
            finally:
                free(buf.data)
        a = a.next
    return None


cdef inline bint named(xmlNode* n, const char* name) noexcept nogil:
    return n.type == tree.XML_ELEMENT_NODE and n.ns is NULL and strcmp(<const char*> n.name, name) == 0


cdef int add_row(xmlNode* tr, list rows, Buf* buf, Py_ssize_t* left) except -1:
    cdef xmlNode* c = tr.children
    cdef list texts = []
    cdef object spans = None
    cdef object rs, cs
    while c is not NULL:
        if named(c, "td") or named(c, "th"):
            if left[0] <= 0:
                break
            left[0] -= 1
            rs = attr(c, "rowspan")
            cs = attr(c, "colspan")
            if rs is not None or cs is not None:
                if spans is None:
                    spans = {}
                spans[len(texts)] = (rs, cs)
            texts.append(cell_text(c, buf))
        c = c.next
    rows.append((texts, spans))
    return 0


def table_rows(cetree._Element table not None, Py_ssize_t budget, Py_ssize_t max_rows):
    """(rows, total): the table's rows (./tr, ./thead/tr, ./tbody/tr, ./tfoot/tr) as
    (cell texts, spans or None), at most ``max_rows`` of them and ``budget + 1`` cells."""
    cdef xmlNode* c = table._c_node.children
    cdef xmlNode* r
    cdef list rows = []
    cdef Py_ssize_t total = 0, left = budget + 1
    cdef Buf buf
    buf.data = NULL
    buf.size = buf.cap = 0
    try:
        while c is not NULL:
            if named(c, "tr"):
                total += 1
                if total <= max_rows:
                    add_row(c, rows, &buf, &left)
            elif named(c, "thead") or named(c, "tbody") or named(c, "tfoot"):
                r = c.children
                while r is not NULL:
                    if named(r, "tr"):
                        total += 1
                        if total <= max_rows:
                            add_row(r, rows, &buf, &left)
                    r = r.next
            c = c.next
    finally:
        free(buf.data)
    return rows, total
