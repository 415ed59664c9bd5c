"""Plain-text tables aligned for Chinese text: a CJK character takes two terminal columns
(wcwidth), so names line up in a terminal whatever their script."""

from __future__ import annotations

from wcwidth import wcswidth


def width(text: str) -> int:
    w = wcswidth(text)
    return w if w >= 0 else len(text)


def pad(text: str, size: int, right: bool = False) -> str:
    gap = " " * max(size - width(text), 0)
    return gap + text if right else text + gap


def render(header: list[str], rows: list[list], indent: str = "  ") -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    cells = [[("(unknown)" if v is None else str(v)) for v in row] for row in rows]
    sizes = [max([width(h)] + [width(r[i]) for r in cells]) for i, h in enumerate(header)]
    numeric = [all(isinstance(r[i], int | float) for r in rows) and rows for i in range(len(header))]
    lines = [indent + "  ".join(pad(h, sizes[i], bool(numeric[i])) for i, h in enumerate(header))]
    for row in cells:
        lines.append(indent + "  ".join(pad(v, sizes[i], bool(numeric[i]))
                                        for i, v in enumerate(row)))
    return "\n".join(line.rstrip() for line in lines)
