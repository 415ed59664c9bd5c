"""Attachment parsing cost: ``python benchmarks/attachments_bench.py [--rounds N]``.

Parses every attachment fixture (fixtures/attachments/, fixtures/realdocs/r005.pdf) and the
HTML pages they were made from, N rounds each on one core, and prints per format the median
milliseconds per document and per PDF page. Also prints the one-off costs a process pays:
importing ``parsers`` (HTML only), then the lazily imported attachment libraries, and the
first LibreOffice conversion (profile creation) against the following ones. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "fixtures"


def _files() -> list[Path]:
    files = sorted((FIXTURES / "attachments").iterdir()) + [FIXTURES / "realdocs" / "r005.pdf"]
    files += sorted((FIXTURES / "realdocs").glob("r00[234].html"))
    return files


def _fmt(path: Path) -> str:
    if ".scan." in path.name:
        return "pdf (scan)"
    if ".unruled." in path.name:
        return "pdf (no ruling)"
    return path.suffix.lstrip(".")


def _import_costs() -> None:
    code = ("import time; t=time.perf_counter(); import {mod}; "
            "print(round((time.perf_counter()-t)*1000, 1))")
    base = subprocess.run([sys.executable, "-c", code.format(mod="parsers")], capture_output=True,
                          text=True, cwd=ROOT).stdout.strip()
    print(f"import parsers (what an HTML-only process loads): {base} ms")
    for mod in ("pdfplumber", "docx", "openpyxl"):
        pre = "import parsers; "
        ms = subprocess.run([sys.executable, "-c", pre + code.format(mod=mod)],
                            capture_output=True, text=True, cwd=ROOT).stdout.strip()
        print(f"  + import {mod} (on the first file of its format): {ms} ms")


def _office_costs() -> None:
    from parsers import office

    if office.soffice() is None:
        print("LibreOffice: not installed (DOC/WPS/XLS are not read)")
        return
    body = (FIXTURES / "attachments" / "r003.doc").read_bytes()
    times = []
    for _ in range(3):
        t = time.perf_counter()
        office.convert(body, "doc", "docx")
        times.append((time.perf_counter() - t) * 1000)
    print(f"LibreOffice DOC->DOCX conversion: first {times[0]:.0f} ms (creates the profile), "
          f"then {statistics.median(times[1:]):.0f} ms")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    from parsers import parse_page

    per_doc: dict[str, list[float]] = defaultdict(list)
    per_page: dict[str, list[float]] = defaultdict(list)
    for path in _files():
        body = path.read_bytes()
        parse_page(body)  # warm: lazy imports, LibreOffice profile
        for _ in range(args.rounds):
            t = time.perf_counter()
            record = parse_page(body)
            ms = (time.perf_counter() - t) * 1000
            per_doc[_fmt(path)].append(ms)
            if record["source"].get("pages"):
                per_page[_fmt(path)].append(ms / record["source"]["pages"])
    print(f"{'format':16s} {'docs':>4s} {'ms/doc':>8s} {'ms/page':>8s}")
    for fmt in sorted(per_doc):
        docs = len(per_doc[fmt]) // args.rounds
        page = f"{statistics.median(per_page[fmt]):8.0f}" if per_page.get(fmt) else f"{'-':>8s}"
        print(f"{fmt:16s} {docs:4d} {statistics.median(per_doc[fmt]):8.0f} {page}")
    _import_costs()
    _office_costs()
    return 0


if __name__ == "__main__":
    sys.exit(main())
