"""Inline SVG charts for the HTML report: no script, no library, no network.

Each function returns an ``<svg>`` element as a string, sized in CSS pixels, with a
``<title>`` on every mark so a reader hovering a bar or a square sees its figure.
"""

from __future__ import annotations

from html import escape

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def _text(x, y, text, *, anchor="start", size=12, cls="") -> str:
    c = f' class="{cls}"' if cls else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{c}>'
            f"{escape(str(text))}</text>")


def _legend_width(name: str) -> float:
    return 30 + 6.5 * len(name)


def _legend(left: float, names: list[str], colors: list[str]) -> list[str]:
    """A row of colour keys, each as wide as its name."""
    parts, x = [], left
    for name, color in zip(names, colors, strict=True):
        parts.append(f'<rect x="{x:.0f}" y="6" width="10" height="10" fill="{color}"/>')
        parts.append(_text(x + 14, 15, name, size=11))
        x += _legend_width(name)
    return parts


def heat_grid(rows: list[str], cols: list, values: dict[tuple, int], *, cell: int = 34,
              label_width: int = 130, title: str = "") -> str:
    """A grid of squares, darker for more: ``values[(row, col)]``; empty squares for none."""
    top = 24
    width = label_width + cell * len(cols) + 10
    height = top + cell * len(rows) + 10
    peak = max(values.values(), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="{escape(title)}">']
    for j, col in enumerate(cols):
        parts.append(_text(label_width + cell * j + cell / 2, top - 8, col, anchor="middle", size=11))
    for i, row in enumerate(rows):
        y = top + cell * i
        parts.append(_text(label_width - 6, y + cell / 2 + 4, row, anchor="end"))
        for j, col in enumerate(cols):
            n = values.get((row, col), 0)
            x = label_width + cell * j
            if n:
                shade = 0.15 + 0.85 * n / peak
                parts.append(f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" '
                             f'fill="#08519c" fill-opacity="{shade:.2f}"><title>{escape(str(row))} '
                             f'{escape(str(col))}: {n}</title></rect>')
                color = "#fff" if shade > 0.55 else "#000"
                parts.append(f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" font-size="11" '
                             f'text-anchor="middle" fill="{color}">{n}</text>')
            else:
                parts.append(f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" '
                             f'fill="none" stroke="#ddd"><title>{escape(str(row))} {escape(str(col))}: '
                             f'none</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def grouped_bars(categories: list, series: dict[str, list[float]], *, height: int = 220,
                 group_width: int = 90, title: str = "") -> str:
    """Bars per category (x axis), one colour per series, with a legend; values labelled."""
    names = list(series)
    left, bottom, top = 50, 30, 30
    width = left + group_width * max(len(categories), 1) + 20
    peak = max((v for vs in series.values() for v in vs if v), default=0) or 1
    plot = height - bottom - top
    bar = (group_width - 16) / max(len(names), 1)
    width = max(width, 60 + sum(_legend_width(n) for n in names))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(title)}">']
    parts += _legend(left, names, [PALETTE[k % len(PALETTE)] for k in range(len(names))])
    parts.append(f'<line x1="{left}" y1="{top + plot}" x2="{width - 10}" y2="{top + plot}" '
                 f'stroke="#888"/>')
    for i, cat in enumerate(categories):
        x0 = left + group_width * i + 8
        for k, name in enumerate(names):
            v = series[name][i] or 0
            h = plot * v / peak
            x = x0 + bar * k
            parts.append(f'<rect x="{x:.1f}" y="{top + plot - h:.1f}" width="{bar - 2:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(str(cat))} '
                         f'{escape(name)}: {v:g}</title></rect>')
            if v:
                parts.append(_text(x + (bar - 2) / 2, top + plot - h - 3, f"{v:g}", anchor="middle",
                                   size=10))
        parts.append(_text(x0 + (group_width - 16) / 2, height - 10, cat, anchor="middle"))
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(categories: list, series: dict[str, list[int]], colors: dict[str, str], *,
                 height: int = 200, bar_width: int = 44, title: str = "") -> str:
    """One stacked bar per category (e.g. statuses per year), with a legend."""
    left, bottom, top = 40, 30, 34
    width = max(left + (bar_width + 20) * max(len(categories), 1) + 20,
                60 + sum(_legend_width(n) for n in series))
    totals = [sum(series[s][i] for s in series) for i in range(len(categories))]
    peak = max(totals, default=0) or 1
    plot = height - bottom - top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="{escape(title)}">']
    parts += _legend(left, list(series), [colors[n] for n in series])
    for i, cat in enumerate(categories):
        x = left + (bar_width + 20) * i
        y = top + plot
        for name, values in series.items():
            v = values[i]
            if not v:
                continue
            h = plot * v / peak
            y -= h
            parts.append(f'<rect x="{x}" y="{y:.1f}" width="{bar_width}" height="{h:.1f}" '
                         f'fill="{colors[name]}"><title>{escape(str(cat))} {escape(name)}: {v}'
                         f'</title></rect>')
        parts.append(_text(x + bar_width / 2, top + plot - plot * totals[i] / peak - 4, totals[i],
                           anchor="middle", size=10))
        parts.append(_text(x + bar_width / 2, height - 10, cat, anchor="middle"))
    parts.append("</svg>")
    return "".join(parts)
