"""Hostile-input benchmark: ``python benchmarks/hostile_bench.py [CASE...]``.

Runs each case of tests/hostile_cases.py in its own process under the test harness's limits
(1 GB address space, CPU seconds) and prints its input size, parse time (wall and CPU), the
child's peak RSS and the warnings the record carries. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile_cases import CASES  # noqa: E402


def main(argv: list[str]) -> None:
    names = argv or list(CASES)
    print(f"{'case':30} {'MB in':>7} {'parse s':>8} {'cpu s':>6} {'peak MB':>8}  first warning")
    worst_time = worst_rss = (0.0, "")
    for name in names:
        proc = subprocess.run([sys.executable, str(ROOT / "tests" / "hostile_cases.py"), name],
                              capture_output=True, text=True, encoding="utf-8", cwd=ROOT)
        if proc.returncode:
            print(f"{name:30} FAILED (exit {proc.returncode}): {proc.stderr.strip()[-200:]}")
            continue
        s = json.loads(proc.stdout)
        warning = (s["warnings"] or [""])[0][:60]
        print(f"{name:30} {s['bytes'] / 2**20:7.2f} {s['seconds']:8.3f} {s['cpu_seconds']:6.3f} "
              f"{s['max_rss_mb']:8.1f}  {warning}")
        worst_time = max(worst_time, (s["seconds"], name))
        worst_rss = max(worst_rss, (s["max_rss_mb"], name))
    print(f"\nworst parse time {worst_time[0]:.3f} s ({worst_time[1]}); "
          f"worst peak RSS {worst_rss[0]:.1f} MB ({worst_rss[1]})")


if __name__ == "__main__":
    main(sys.argv[1:])
