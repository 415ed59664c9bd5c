"""The intermediate form every input is reduced to before reading: a list of blocks.

A block is a :class:`Line` of prose or a :class:`Table` of rows (each row a list of cell
texts, rowspans and colspans already expanded). HTML pages (:mod:`parsers.html_doc`) and text
dumps (:mod:`parsers.text_doc`) both produce a :class:`Document`, so sections, tables and
metadata are read the same way whatever the page looked like.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def collapse(text: str) -> str:
    """White space (including U+3000, &nbsp;, and the invisible U+200B and U+FEFF) folded to
    single spaces, ends stripped."""
    if text.isalnum():  # no white space at all (a number, a label): nothing to fold
        return text
    # str.split() splits on exactly the characters the regex class \s matches, in C; it runs
    # for every cell and line of a page. U+200B and U+FEFF are not white space to Python.
    if "\u200b" in text or "\ufeff" in text:
        text = text.replace("\u200b", " ").replace("\ufeff", " ")
    return " ".join(text.split())


@dataclass(slots=True)
class Line:
    text: str


@dataclass(slots=True)
class Table:
    rows: list[list[str]]
    #: How the rows were found: "html", "pipe", "tab", "markdown" or "stream" (one cell per line,
    #: rows rebuilt from the cell sequence).
    layout: str = "html"


@dataclass
class Document:
    blocks: list = field(default_factory=list)
    #: <meta name=... content=...> of an HTML page, names lower-cased.
    meta: dict[str, str] = field(default_factory=dict)
    #: Title candidates from the page head (<title>, headings), best first.
    titles: list[str] = field(default_factory=list)
    kind: str = "text"
    #: What the reader had to cut or could not read (limits, parser errors), for the record.
    warnings: list[str] = field(default_factory=list)

    def map_text(self, convert) -> None:
        """Apply ``convert`` (a str -> str function over one big string) to every text in
        the document at once: one call, so a slow converter is paid for once per page."""
        parts: list[str] = []
        for b in self.blocks:
            if isinstance(b, Line):
                parts.append(b.text)
            else:
                for row in b.rows:
                    parts.extend(row)
        parts.extend(self.titles)
        meta_keys = list(self.meta)
        parts.extend(self.meta[k] for k in meta_keys)
        joined = "\n".join(parts)
        # Texts are collapsed, so a line break inside one is rare: it is read as a space.
        unchanged = joined.count("\n") == len(parts) - 1
        if not unchanged:
            joined = "\n".join(p.replace("\n", " ") for p in parts)
        converted = convert(joined)
        if unchanged and converted == joined:  # nothing converted (a simplified page)
            return
        out = converted.split("\n")
        if len(out) != len(parts):  # a converter must keep line breaks; if not, keep the input
            return
        at = 0
        for b in self.blocks:
            if isinstance(b, Line):
                b.text = out[at]
                at += 1
            else:
                rows = []
                for row in b.rows:
                    rows.append(out[at:at + len(row)])
                    at += len(row)
                b.rows = rows
        self.titles = out[at:at + len(self.titles)]
        at += len(self.titles)
        for k in meta_keys:
            self.meta[k] = out[at]
            at += 1

    def full_text(self) -> str:
        """The document as plain text, one line per Line and per table row."""
        out = []
        for b in self.blocks:
            if isinstance(b, Line):
                out.append(b.text)
            else:
                out.extend(map(" | ".join, b.rows))
        return "\n".join(out)
