"""A pdfplumber page whose characters become dicts without pdfplumber's generic walk.

pdfplumber turns every drawn object into a dict (``Page.process_object``): for each attribute
it calls a nested function, a membership test and ``resolve_all``, which recurses through
tuples and copies them, and it decodes the colour-space name and strips ``LT`` off the class
name with a regular expression, all again for every character. On report PDFs that is a fifth
of all the CPU a PDF costs. :class:`Page` builds the same dict for each character (same keys,
same order, same values) and passes plain values through as they are; every other kind of
object still goes through pdfplumber's own code. tests/test_pdf_content.py compares both on
the characters of every fixture page.
"""

from __future__ import annotations

import functools


@functools.cache
def page_class():
    """:class:`pdfplumber.page.Page` with a faster ``process_object`` for characters (built on
    first use: pdfplumber is imported lazily)."""
    from pdfminer.layout import LTChar
    from pdfplumber.page import ALL_ATTRS, fix_fontname_bytes
    from pdfplumber.page import Page as PlumberPage
    from pdfplumber.utils.pdfinternals import resolve_all, resolve_and_decode

    plain = {float, int, str, bool, type(None)}  # what resolve_all returns unchanged
    decoded: dict = {}  # colour-space name -> pdfplumber's decoding of it

    class Page(PlumberPage):
        def process_object(self, obj):
            if obj.__class__ is not LTChar:
                return super().process_object(obj)
            attr = {}
            for k, v in obj.__dict__.items():
                if k in ALL_ATTRS:
                    kind = v.__class__
                    if kind in plain or (kind is tuple and all(e.__class__ in plain for e in v)):
                        attr[k] = v  # resolve_all would return it (a tuple: an equal copy)
                    else:
                        attr[k] = resolve_all(v)
            attr["object_type"] = "char"
            attr["page_number"] = self.page_number
            for cs in ("ncs", "scs"):
                if hasattr(obj, cs):
                    name = getattr(obj, cs).name
                    if name.__class__ is str:
                        if name not in decoded:
                            decoded[name] = resolve_and_decode(name)
                        attr[cs] = decoded[name]
                    else:
                        attr[cs] = resolve_and_decode(name)
            text = obj.get_text()
            norm = self.pdf.unicode_norm
            if norm is not None:
                from pdfplumber.page import normalize_unicode

                text = normalize_unicode(norm, text)
            attr["text"] = text
            gs = obj.graphicstate
            attr["stroking_color"] = gs.scolor if isinstance(gs.scolor, tuple) else (gs.scolor,)
            attr["non_stroking_color"] = (gs.ncolor if isinstance(gs.ncolor, tuple)
                                          else (gs.ncolor,))
            if isinstance(attr["fontname"], bytes):
                attr["fontname"] = fix_fontname_bytes(attr["fontname"])
            mb_x0, mb_top = self.mediabox[:2]
            if "y0" in attr:
                height = self.height
                attr["top"] = (height - attr["y1"]) + mb_top
                attr["bottom"] = (height - attr["y0"]) + mb_top
                attr["doctop"] = self.initial_doctop + attr["top"]
            if "x0" in attr and mb_x0 != 0:
                attr["x0"] = attr["x0"] + mb_x0
                attr["x1"] = attr["x1"] + mb_x0
            return attr

    return Page
