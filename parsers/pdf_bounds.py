"""pdfminer, bounded: how much one PDF may make pdfminer inflate, interpret and draw.

pdfminer (under pdfplumber) inflates every stream whole, interprets content streams of any
size and draws every object they paint, a Form XObject as many times as it is invoked. A PDF
of a few KB can so cost gigabytes or minutes. This module bounds each of these, with the
limits of :mod:`parsers.limits`:

- **Inflation**: :func:`install` puts a stand-in for the ``zlib`` module into
  ``pdfminer.pdftypes`` (the only place pdfminer inflates), whose ``decompress`` and
  ``decompressobj`` stop at ``MAX_PDF_STREAM`` bytes and raise :class:`TooMuch`, and bounded
  versions of its LZW and RunLength decoders (which expand up to about 1,300 and 128 times).
  There is no hook for this in pdfminer: without it a 2 MB stream inflates to 2 GB.
- **Interpretation and drawing**: :func:`page_layout` interprets one page with an
  interpreter that counts the content bytes it runs (``MAX_PAGE_CONTENT`` per page,
  ``MAX_PDF_CONTENT`` per document, each invocation of a form counted again) and a device
  that counts the objects drawn (``MAX_PAGE_OBJECTS``, ``MAX_PDF_OBJECTS``). Past a limit it
  raises :class:`TooMuch`, whose message says what was refused.

The layout is the same pdfplumber would build itself (same device class, same parameters);
it is given to the page as its cached layout.
"""

from __future__ import annotations

import functools
import io
import zlib

from . import limits


class TooMuch(ValueError):
    """A PDF (or one page of it) is beyond the limits; the message says which."""

    def __init__(self, message: str, whole_document: bool = False):
        super().__init__(message)
        self.whole_document = whole_document


class _Inflater:
    """``zlib.decompressobj()`` that refuses to give more than ``MAX_PDF_STREAM`` bytes."""

    def __init__(self, *args, **kwargs):
        self._d = zlib.decompressobj(*args, **kwargs)
        self._out = 0

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        room = limits.MAX_PDF_STREAM + 1 - self._out
        if max_length:
            room = min(room, max_length)
        out = self._d.decompress(data, room)
        self._out += len(out)
        if self._out > limits.MAX_PDF_STREAM:
            raise _too_much()
        return out

    def flush(self, *args) -> bytes:
        return self._d.flush(*args)

    def __getattr__(self, name):
        return getattr(self._d, name)


class _BoundedZlib:
    """What ``pdfminer.pdftypes`` sees as ``zlib``."""

    error = zlib.error
    MAX_WBITS = zlib.MAX_WBITS

    @staticmethod
    def decompress(data: bytes, *args) -> bytes:
        d = _Inflater(*args[1:2]) if len(args) > 1 else _Inflater()
        out = d.decompress(data)
        if not d.eof:  # as zlib.decompress: pdfminer then tries its lenient path
            raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
        return out

    decompressobj = _Inflater

    def __getattr__(self, name):
        return getattr(zlib, name)


def _too_much() -> TooMuch:
    return TooMuch(f"a stream inflates beyond {limits.MAX_PDF_STREAM} bytes")


def _lzwdecode(data: bytes) -> bytes:
    from pdfminer.lzw import LZWDecoder

    out, size = [], 0
    for chunk in LZWDecoder(io.BytesIO(data)).run():
        size += len(chunk)
        if size > limits.MAX_PDF_STREAM:
            raise _too_much()
        out.append(chunk)
    return b"".join(out)


def _rldecode(data: bytes) -> bytes:
    from pdfminer.runlength import rldecode

    if len(data) * 128 > limits.MAX_PDF_STREAM:  # could pass the limit: add up the runs first
        size, i = 0, 0
        while i < len(data) and data[i] != 128:
            size += data[i] + 1 if data[i] < 128 else 257 - data[i]
            if size > limits.MAX_PDF_STREAM:
                raise _too_much()
            i += data[i] + 2 if data[i] < 128 else 2
    return rldecode(data)


def install() -> None:
    """Bound pdfminer's inflation (idempotent)."""
    from pdfminer import pdftypes

    if not isinstance(pdftypes.zlib, _BoundedZlib):
        pdftypes.zlib = _BoundedZlib()
        pdftypes.lzwdecode = _lzwdecode
        pdftypes.rldecode = _rldecode


class Budget:
    """What one document has spent so far, and what its current page has."""

    def __init__(self):
        self.content = self.objects = 0
        self.page_content = self.page_objects = 0
        self.crossings = 0  # of rules given to the table finder (see parsers.pdf_doc)

    def new_page(self) -> None:
        self.page_content = self.page_objects = 0

    def spend_content(self, n: int) -> None:
        self.content += n
        self.page_content += n
        if self.page_content > limits.MAX_PAGE_CONTENT:
            raise TooMuch(f"over {limits.MAX_PAGE_CONTENT} bytes of content to interpret")
        if self.content > limits.MAX_PDF_CONTENT:
            raise TooMuch(f"the document has over {limits.MAX_PDF_CONTENT} bytes of content",
                          whole_document=True)

    def spend_object(self) -> None:
        self.objects += 1
        self.page_objects += 1
        if self.page_objects > limits.MAX_PAGE_OBJECTS:
            raise TooMuch(f"over {limits.MAX_PAGE_OBJECTS} drawn objects (characters, paths, "
                          f"images)")
        if self.objects > limits.MAX_PDF_OBJECTS:
            raise TooMuch(f"the document has over {limits.MAX_PDF_OBJECTS} drawn objects",
                          whole_document=True)


@functools.cache
def _classes():
    """The counting device and interpreter (built on first use: pdfminer loads lazily)."""
    from pdfminer.pdfinterp import PDFPageInterpreter
    from pdfminer.pdftypes import list_value, stream_value
    from pdfplumber.page import PDFPageAggregatorWithMarkedContent

    from .pdf_content import FastExecute

    class Device(PDFPageAggregatorWithMarkedContent):
        budget: Budget

        def render_char(self, *args, **kwargs):
            self.budget.spend_object()
            return super().render_char(*args, **kwargs)

        def paint_path(self, *args, **kwargs):
            self.budget.spend_object()
            return super().paint_path(*args, **kwargs)

        def render_image(self, *args, **kwargs):
            self.budget.spend_object()
            return super().render_image(*args, **kwargs)

    class Interpreter(FastExecute, PDFPageInterpreter):
        # Form XObjects are run by sub-interpreters of this class sharing the device, so
        # each invocation of a form is counted.
        def render_contents(self, resources, streams, *args, **kwargs):
            for stream in list_value(streams):
                self.device.budget.spend_content(len(stream_value(stream).get_data() or b""))
            return super().render_contents(resources, streams, *args, **kwargs)

    return Device, Interpreter


def page_layout(page, budget: Budget):
    """Interpret ``page`` (a pdfplumber page) within ``budget`` and cache its layout on it,
    so that pdfplumber's ``chars``, ``rects`` ... read from it. Raises :class:`TooMuch`."""
    device_class, interpreter_class = _classes()
    budget.new_page()
    device = device_class(page.pdf.rsrcmgr, pageno=page.page_number, laparams=page.pdf.laparams)
    device.budget = budget
    interpreter_class(page.pdf.rsrcmgr, device).process_page(page.page_obj)
    page._layout = device.get_result()  # pdfplumber's own cache of this layout
    return page._layout
