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
    proc = run(str(missing), str(SEEDS[0]), str(empty))
    assert proc.returncode == 2
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 2
    assert str(missing) in errors[0] and str(empty) in errors[1]
    assert "Traceback" not in proc.stderr
    assert len(proc.stdout.splitlines()) == 1  # the good file was still parsed


def test_a_directory_stands_for_its_files(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (tmp_path / "a.txt").write_bytes(SEEDS[0].read_bytes())
    (sub / "b.html").write_bytes(REALDOCS[1].read_bytes())
    (tmp_path / ".hidden").write_bytes(b"not a report")
    proc = run(str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["url"].rsplit("/", 1)[1] for r in records] == ["a.txt", "b.html"]
    assert records[1]["tables"] == label_for(REALDOCS[1])["tables"]


def test_hostile_files_do_not_stop_the_run(tmp_path):
    """Files that used to raise (a 5000-digit number, charset=undefined) give records with
    warnings; a file that cannot be read is one line on stderr; the others are parsed."""
    digits = tmp_path / "digits.txt"
    digits.write_text("二、主动公开政府信息情况\n行政许可 | " + "9" * 5000 + "\n", encoding="utf-8")
    charset = tmp_path / "charset.html"
    charset.write_bytes('<html><head><meta charset="undefined"></head><body><p>规章 说明</p>'
                        "</body></html>".encode("gb18030"))
    missing = tmp_path / "missing.html"
    proc = run(str(digits), str(missing), str(charset), str(SEEDS[1]))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"{missing}: cannot read: No such file or directory"]
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == 3
    assert records[0]["tables"]["active_disclosure"]["administrative_license"] == {"decisions": None}
    assert records[0]["cells"]["active_disclosure"]["administrative_license"]["decisions"] == "9" * 5000
    assert any("out of range" in w for w in records[0]["warnings"])
    assert any("'undefined' is not a text encoding" in w for w in records[1]["warnings"])
    assert records[2]["tables"] == label_for(SEEDS[1])["tables"]


def test_closed_pipe_ends_quietly():
    files = [str(p) for p in SEEDS + REALDOCS if p.suffix != ".csv"]
    proc = subprocess.run(f"{sys.executable} -m parsers {' '.join(files)} | head -c 10",
                          shell=True, capture_output=True, text=True, cwd=ROOT)
    assert len(proc.stdout) == 10
    assert proc.stderr == ""
