"""``python -m parsers``, driven as users run it."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REALDOCS, ROOT, SEEDS, label_for


def run(*args):
    return subprocess.run([sys.executable, "-m", "parsers", *args], capture_output=True,
                          text=True, encoding="utf-8", cwd=ROOT)


def test_one_json_record_per_line_not_ascii_escaped():
    files = [str(p) for p in SEEDS + REALDOCS if p.suffix != ".csv"]
    proc = run(*files)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(files)
    assert "\\u" not in proc.stdout and "财政局" in proc.stdout
    for line, name in zip(lines, files, strict=True):
        record = json.loads(line)
        assert record["tables"] == label_for(ROOT / name)["tables"]
        assert record["url"].startswith("file://")


def test_url_and_pretty():
    proc = run("--url", "https://www.example.gov.cn/a.html", "--pretty", str(SEEDS[0]))
    assert proc.returncode == 0
    assert proc.stdout.startswith("{\n  ")
    assert json.loads(proc.stdout)["url"] == "https://www.example.gov.cn/a.html"


def test_unreadable_and_empty_files(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"  \n")
    missing = tmp_path / "missing.html"
    proc = run(str(missing), str(SEEDS[0]), str(empty), str(tmp_path))
    assert proc.returncode == 2
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 3
    assert str(missing) in errors[0] and str(empty) in errors[1] and str(tmp_path) in errors[2]
    assert "Traceback" not in proc.stderr
    assert len(proc.stdout.splitlines()) == 1  # the good file was still parsed
