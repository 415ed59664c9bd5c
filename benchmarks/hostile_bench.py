"""Hostile-input benchmark: ``python benchmarks/hostile_bench.py [--pages|--attachments] [CASE...]``.

Runs each case of tests/hostile_cases.py (report pages) and tests/hostile_attachment_cases.py
(PDF, DOCX, XLSX, DOC and container files) in its own process under the test harness's limits
(1 GB address space, CPU seconds) and prints, per case, its input size, parse time (wall and
CPU), the child's peak RSS (and LibreOffice's, for the formats it converts) and the first
warning of the record. Without arguments both tables are printed. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile_attachment_cases import CASES as ATTACHMENT_CASES  # noqa: E402
from hostile_cases import CASES  # noqa: E402


def table(title: str, names: list[str]) -> None:
    print(f"\n{title}\n{'case':30} {'MB in':>7} {'parse s':>8} {'cpu s':>6} {'peak MB':>8} "
          f"{'LO MB':>6}  first warning")
    worst_time = worst_cpu = worst_rss = (0.0, "")
    failed = 0
    for name in names:
        proc = subprocess.run([sys.executable, str(ROOT / "tests" / "hostile_cases.py"), name],
                              capture_output=True, text=True, encoding="utf-8", cwd=ROOT)
        if proc.returncode:
            failed += 1
            print(f"{name:30} FAILED (exit {proc.returncode}): {proc.stderr.strip()[-200:]}")
            continue
        s = json.loads(proc.stdout)
        warning = (s["warnings"] or [""])[0][:60]
        print(f"{name:30} {s['bytes'] / 2**20:7.2f} {s['seconds']:8.3f} {s['cpu_seconds']:6.3f} "
              f"{s['max_rss_mb']:8.1f} {s.get('child_max_rss_mb', 0):6.0f}  {warning}")
        worst_time = max(worst_time, (s["seconds"], name))
        worst_cpu = max(worst_cpu, (s["cpu_seconds"], name))
        worst_rss = max(worst_rss, (s["max_rss_mb"], name))
    print(f"{len(names)} cases, {failed} failed; worst parse time {worst_time[0]:.3f} s "
          f"({worst_time[1]}), worst CPU {worst_cpu[0]:.3f} s ({worst_cpu[1]}); "
          f"worst peak RSS {worst_rss[0]:.1f} MB ({worst_rss[1]})")


def main(argv: list[str]) -> None:
    flags = {a for a in argv if a.startswith("--")}
    names = [a for a in argv if not a.startswith("--")]
    if names:
        table("selected cases", names)
        return
    if "--attachments" not in flags:
        table("report pages (tests/hostile_cases.py)", list(CASES))
    if "--pages" not in flags:
        table("attachments (tests/hostile_attachment_cases.py)", list(ATTACHMENT_CASES))


if __name__ == "__main__":
    main(sys.argv[1:])
