"""A page's content streams (and its fonts' ToUnicode CMaps) read with one regular expression,
into the operands and operators pdfminer's own parser would give, and run through the
interpreter without its per-operator lookups.

pdfminer reads content streams byte by byte in Python (``PSBaseParser``: a state machine over
4 KB chunks, a logging call per token and per object). On report PDFs that is a third of all
the CPU a PDF costs, and dispatching each operator (building its method name, ``hasattr``,
``getattr``, counting its arguments) is another tenth. :func:`content_objects` reads the
common grammar of content streams, the one office programs write (numbers, names, keywords,
hex strings, plain literal strings, arrays, dictionaries, comments), with a single
``re.finditer`` per stream and builds arrays and dictionaries as ``PSStackParser.nextobject``
does. Anything else (a literal string with a backslash or nested parentheses, a name with a
``#`` escape, an inline image, a token cut at a stream boundary in a way pdfminer carries over
into the next stream, an odd dictionary that makes pdfminer raise) makes it answer ``None``,
and :class:`FastExecute` then hands the whole stream list to pdfminer's own ``execute``: the
objects are always pdfminer's. The same :func:`tokens` feeds pdfminer's ToUnicode CMap parser
(:func:`install`), which otherwise tokenises each embedded font's CMap byte by byte.
tests/test_pdf_content.py compares both with pdfminer on every content stream and CMap of the
fixtures and on generated streams.

The module never changes what is drawn: only how the content is tokenised and dispatched.
"""

from __future__ import annotations

import functools
import re

# Kinds of token, by the group of _TOKEN that matched (``Match.lastindex``).
_COMMENT, _NAME, _NUMBER, _KEYWORD, _STRING, _DICT_BEGIN, _HEX, _DICT_END, _CLOSE, _OTHER, \
    _CHAR = range(1, 12)
_DELIM = rb"#/%\[\]()<>{}\s"  # what ends a name or a keyword in pdfminer (END_LITERAL/KEYWORD)
_TOKEN = re.compile(
    rb"[\s\x00]*(?:"
    rb"(%[^\r\n]*)"  # 1 comment, to the end of the line
    rb"|(/[^" + _DELIM + rb"]*)(?=[/%\[\]()<>{}\s]|\Z)"  # 2 name (one with a # escape: 10)
    rb"|([-+0-9][0-9]*(?:\.[0-9]*)?|\.[0-9]*)"  # 3 number, as pdfminer cuts it
    rb"|([A-Za-z][^" + _DELIM + rb"]*)"  # 4 keyword (operator, true, false)
    rb"|\(([^()\\]*)\)"  # 5 literal string without escapes or nested parentheses
    rb"|(<<)"  # 6
    rb"|<([0-9A-Fa-f\s]*)(?=[^0-9A-Fa-f\s])"  # 7 hex string; its end is read as a token
    rb"|(>>)"  # 8
    rb"|(>)"  # 9 a lone '>' (the end of a hex string): nothing
    rb"|([(</])"  # 10 anything else that starts with these: left to pdfminer
    rb"|([^\s\x00])"  # 11 any other byte is a one-byte keyword ('[', ']', "'", '"', ...)
    rb")",
)
_SPACE = re.compile(rb"\s")


@functools.cache
def _symbols():
    from pdfminer import psparser

    return psparser


def tokens(data: bytes, symbols: dict | None = None) -> list | None:
    """The tokens pdfminer's ``PSBaseParser.nexttoken`` gives for ``data`` read to its end
    (numbers, booleans, bytes, :class:`PSLiteral` and :class:`PSKeyword` objects), or ``None``
    when ``data`` uses something beyond the grammar read here. ``symbols`` caches the names
    and keywords met (raw bytes -> token) across calls for one document."""
    ps = _symbols()
    LIT, KWD = ps.LIT, ps.KWD
    if symbols is None:
        symbols = {}
    out: list = []
    append = out.append
    for m in _TOKEN.finditer(data):
        kind = m.lastindex
        if kind == _KEYWORD or kind == _NAME:
            raw = m.group(kind)
            token = symbols.get(raw)
            if token is None:
                if kind == _NAME:
                    try:
                        token = LIT(str(raw[1:], "utf-8"))
                    except UnicodeDecodeError:
                        token = LIT(raw[1:])
                else:
                    token = True if raw == b"true" else False if raw == b"false" else KWD(raw)
                symbols[raw] = token
            append(token)
        elif kind == _NUMBER:
            text = m.group(kind)
            try:
                append(float(text) if b"." in text else int(text))
            except ValueError:  # '-', '.', '+.': pdfminer drops them
                pass
        elif kind == _HEX:
            digits = _SPACE.sub(b"", m.group(kind))
            if len(digits) % 2:
                append(ps.HEX_PAIR.sub(lambda h: bytes((int(h.group(0), 16),)), digits))
            else:
                append(bytes.fromhex(digits.decode("ascii")))
        elif kind == _STRING:
            append(m.group(kind))
        elif kind == _CHAR:
            append(KWD(m.group(kind)))
        elif kind == _DICT_BEGIN:
            append(ps.KEYWORD_DICT_BEGIN)
        elif kind == _DICT_END:
            append(ps.KEYWORD_DICT_END)
        elif kind == _OTHER:
            return None
        # else a comment or a lone '>': nothing
    return out


def content_objects(streams) -> list | None:
    """The objects pdfminer's ``PDFContentParser`` gives for ``streams`` (decoded
    :class:`~pdfminer.pdftypes.PDFStream` objects, in order), or ``None`` when they use
    something beyond the grammar read here."""
    ps = _symbols()
    from pdfminer import settings
    from pdfminer.utils import choplist

    if settings.STRICT:
        return None
    KWD, literal_name = ps.KWD, ps.literal_name
    dict_end = ps.KEYWORD_DICT_END
    inline = {KWD(b"BI"), KWD(b"ID"), KWD(b"EI")}  # inline images: pdfminer's own reader
    ends = {ps.KEYWORD_ARRAY_END: "a", dict_end: "d", ps.KEYWORD_PROC_END: "p"}
    begins = {ps.KEYWORD_ARRAY_BEGIN: "a", ps.KEYWORD_DICT_BEGIN: "d",
              ps.KEYWORD_PROC_BEGIN: "p"}
    keyword_class = ps.PSKeyword
    symbols: dict = {}

    out: list = []
    cur: list = []  # the open array/dict/proc, or the top level
    context: list = []  # what encloses it
    curtype = None
    last = len(streams) - 1
    for i, stream in enumerate(streams):
        try:
            data = stream.get_data()
        except Exception:  # let pdfminer meet (and report) it where it would
            return None
        if not isinstance(data, bytes):
            return None
        # pdfminer carries a token cut by the end of a stream into the next one only when
        # nothing of it is kept yet: a bare '/' or a '>' that may start '>>'.
        if i < last and data.endswith((b"/", b">")):
            return None
        found = tokens(data, symbols)
        if found is None:
            return None
        for token in found:
            # What PSStackParser.nextobject and PDFContentParser.do_keyword do with it.
            if token.__class__ is keyword_class:
                if token in begins:
                    context.append((curtype, cur))
                    curtype, cur = begins[token], []
                    continue
                if token in ends:
                    if curtype != ends[token]:
                        continue  # pdfminer drops a closing token that closes nothing open
                    objs = cur
                    curtype, cur = context.pop()
                    if token is dict_end:
                        if len(objs) % 2:
                            return None  # pdfminer raises here, mid-page: let it
                        objs = {literal_name(k): v for (k, v) in choplist(2, objs)
                                if v is not None}
                    token = objs
                elif token in inline:
                    return None
            if context:
                cur.append(token)
            else:
                out.append(token)
    return out  # an array or dictionary still open at the end is dropped, as by pdfminer


class FastExecute:
    """Mixin for a ``PDFPageInterpreter`` subclass: ``execute`` reads the streams with
    :func:`content_objects` and dispatches each operator through a table built once per
    class; streams it does not read go to pdfminer's ``execute`` unchanged."""

    def execute(self, streams) -> None:
        from pdfminer.pdftypes import stream_value

        valid = []
        for obj in streams:
            stream = stream_value(obj)
            if stream.objid is None or stream.objid in self.parent_stream_ids:
                return super().execute(streams)  # pdfminer warns and skips: let it
            valid.append(stream)
        objects = content_objects(valid) if valid else None
        if objects is None:
            return super().execute(streams)
        self.stream_ids.clear()
        self.stream_ids.update(s.objid for s in valid)
        ops = _operators(type(self))
        keyword = _symbols().PSKeyword
        for obj in objects:
            if obj.__class__ is not keyword:
                self.argstack.append(obj)
                continue
            op = ops.get(obj)
            if op is None:
                op = ops[obj] = _operator(type(self), obj)
            if not op:
                continue  # no such operator: pdfminer ignores it (STRICT is off)
            func = getattr(self, op[0])
            nargs = op[1]
            if nargs:
                args = self.pop(nargs)
                if len(args) == nargs:
                    func(*args)
            else:
                func()


@functools.cache
def _operators(cls) -> dict:
    return {}


def _operator(cls, keyword) -> tuple:
    """``(method name, number of operands)`` as pdfminer's ``execute`` finds them, or ``()``."""
    name = _symbols().keyword_name(keyword)
    method = "do_" + name.replace("*", "_a").replace('"', "_w").replace("'", "_q")
    func = getattr(cls, method, None)
    if func is None:
        return ()
    return method, func.__code__.co_argcount - 1


def install() -> None:
    """Make pdfminer read ToUnicode CMaps (one per embedded font, parsed when the font is
    first used) with :func:`tokens` too (idempotent)."""
    from pdfminer import pdffont

    parser = _cmap_parser()
    if pdffont.CMapParser is not parser:
        pdffont.CMapParser = parser


@functools.cache
def _cmap_parser():
    from pdfminer.cmapdb import CMapParser

    class FastCMapParser(CMapParser):
        """pdfminer's ``CMapParser`` taking its tokens from :func:`tokens`, or from its own
        tokenizer where :func:`tokens` steps aside. Token positions are given as 0: a CMap
        parser drops them."""

        def __init__(self, cmap, fp):
            super().__init__(cmap, fp)
            data = fp.getvalue() if hasattr(fp, "getvalue") else None
            found = tokens(data) if isinstance(data, bytes) else None
            self._fast = None if found is None else iter(found)

        def nexttoken(self):
            if self._fast is None:
                return super().nexttoken()
            for token in self._fast:
                return 0, token
            raise _symbols().PSEOF("Unexpected EOF")

    return FastCMapParser
