"""Outages, full disks, read-only and damaged stores, poison journal entries and configuration
mistakes: each ends cleanly, with one clear line, and nothing is lost.

The store cases run on real filesystems: a small tmpfs for a full disk (a file size limit,
RLIMIT_FSIZE, where mounting is not allowed), a read-only bind mount (or a chmod-ed directory
for a non-root user), real SQLite files overwritten with garbage, and ``kill -9``.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DEMO_REGISTRY, FAST, REALDOCS, ROOT, SEEDS, scrapy, stored

from crawler.store import JournalFull, Store
from crawler.store.breaker import Breaker
from crawler.store.journal import Journal
from parsers import parse_page

DOCS = [p for p in SEEDS + REALDOCS if p.suffix in (".txt", ".html")]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is


def _mount(*args) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@contextlib.contextmanager
def small_filesystem(path: Path, size: str = "512k"):
    """A tmpfs of ``size`` at ``path`` (root only), unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)):
        pytest.skip("cannot mount a tmpfs here (not root); the RLIMIT_FSIZE case covers it")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@contextlib.contextmanager
def read_only(path: Path):
    """``path`` made read-only for this process's children: a read-only bind mount of itself
    as root (root ignores permissions), else permissions."""
    if os.geteuid() == 0:
        if not (_mount("--bind", str(path), str(path))
                and _mount("-o", "remount,ro,bind", str(path))):
            pytest.skip("cannot make a read-only bind mount here")
        try:
            yield path
        finally:
            subprocess.run(["umount", "-l", str(path)], check=False)
    else:
        modes = {p: p.stat().st_mode for p in [path, *path.rglob("*")]}
        for p in modes:
            p.chmod(modes[p] & ~0o222)
        try:
            yield path
        finally:
            for p, mode in modes.items():
                p.chmod(mode)


def clean(proc) -> str:
    """The output of a finished command, asserting it has no traceback (but tldextract's, which
    logs one when it cannot fetch the public suffix list: no network here)."""
    out = proc.stdout + proc.stderr
    at = out.find("Traceback")
    while at != -1:
        assert "tldextract" in out[at:at + 400], out
        at = out.find("Traceback", at + 1)
    return out


def import_fixtures(data_dir: Path) -> None:
    proc = scrapy("import-files", str(ROOT / "fixtures" / "seeds"),
                  str(ROOT / "fixtures" / "realdocs"), data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr


# --- the breaker: an outage mid-crawl ----------------------------------------------------------

class Down:
    """A collection whose writes fail while ``down`` is set, counting the calls that reach it."""

    def __init__(self, collection):
        self.collection, self.down, self.calls = collection, True, 0

    def __getattr__(self, name):
        attr = getattr(self.collection, name)
        if name not in ("insert_one", "update_one", "find_one"):
            return attr

        def call(*args, **kwargs):
            from pymongo.errors import AutoReconnect

            self.calls += 1
            if self.down:
                raise AutoReconnect("connection refused (simulated outage)")
            return attr(*args, **kwargs)
        return call


def test_breaker_sends_items_to_the_journal_without_asking_or_sleeping(tmp_path, monkeypatch):
    now = [100.0]
    monkeypatch.setattr(time, "sleep", lambda s: pytest.fail("the store slept"))
    with Store(None, tmp_path / "data", retries=0,
               breaker=Breaker(2.0, 8.0, clock=lambda: now[0])) as store:
        pages = store.pages = Down(store.pages)
        docs = [(f"https://www.example.gov.cn/{p.stem}.html", p.read_bytes()) for p in DOCS]
        statuses = [store.save(url, body, parse_page(body, url=url)) for url, body in docs[:5]]
        assert statuses == ["journaled"] * 5
        assert pages.calls == 1  # the first failure opened the breaker: the others went straight
        now[0] += 2.5  # cooldown over: one trial write, still down, open for twice as long
        url, body = docs[5]
        assert store.save(url, body, parse_page(body, url=url)) == "journaled"
        assert pages.calls == 2
        now[0] += 2.5
        url, body = docs[6]
        assert store.save(url, body, parse_page(body, url=url)) == "journaled"
        assert pages.calls == 2  # 4 s this time
        pages.down = False
        now[0] += 2.0
        url, body = docs[7]
        assert store.save(url, body, parse_page(body, url=url)) == "new"
        assert store.breaker.reason is None
        assert [e["url"] for e in store.journal.entries()] == [u for u, _ in docs[:7]]
        store.pages = pages.collection
        assert store.replay_journal()["new"] == 7
        assert store.count_reports() == 8


def test_attachments_take_the_same_journal_path(tmp_path):
    with Store(None, tmp_path / "data", retries=0) as store:
        pages = store.pages = Down(store.pages)
        body = REALDOCS[0].read_bytes()
        assert store.save_attachment("https://www.example.gov.cn/a.pdf", body,
                                     report_url="https://www.example.gov.cn/r.html") == "journaled"
        (entry,) = store.journal.entries()
        assert entry["kind"] == "page" and base64.b64decode(entry["body_b64"]) == body
        store.pages = pages.collection
        store.breaker.succeeded()
        assert store.replay_journal()["stored"] == 1
        (page,) = store.pages.find({}, {"body": 0})
        assert page["report_url"] == "https://www.example.gov.cn/r.html"


def test_a_body_over_the_store_limit_is_a_dropped_item_with_a_reason(tmp_path):
    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler

    from crawler.items import PageItem
    from crawler.pipelines import StorePipeline
    from crawler.spiders.reports import ReportsSpider

    crawler = get_crawler(ReportsSpider, {"DATA_DIR": str(tmp_path), "MONGO_URI": None,
                                          "ITEM_PIPELINES": {}, "EXTENSIONS": {}})
    crawler.spider = crawler._create_spider(start_url="https://www.example.gov.cn/nb/")
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    # 20 MiB: over the store's 15 MiB, under the 32 MiB download limit.
    big = REALDOCS[0].read_bytes() * (20 * 1024 * 1024 // REALDOCS[0].stat().st_size + 1)
    for kind in ("report", "attachment"):
        item = PageItem(url=f"https://www.example.gov.cn/big-{kind}", final_url=f"https://www."
                        f"example.gov.cn/big-{kind}", body=big, status=200, kind=kind,
                        headers={"content-type": "text/plain"})
        with pytest.raises(DropItem, match="exceeds"):
            pipeline.process_item(item)
    assert crawler.stats.get_value("pages/too_large") == 2
    store = Store.for_crawler(crawler)
    assert store.count_pages() == 0 and not store.journal.path.exists()
    store.close()


# --- the journal on a full disk ------------------------------------------------------------

def _fill(journal: Journal) -> int:
    body = base64.b64encode(REALDOCS[1].read_bytes()).decode()
    n = 0
    with pytest.raises(JournalFull):
        for n in range(10_000):  # noqa: B007
            journal.append({"kind": "save", "url": f"https://x.gov.cn/{n}", "body_b64": body})
    return n


def test_journal_on_a_full_disk_keeps_whole_lines(tmp_path):
    with small_filesystem(tmp_path / "small") as disk:
        journal = Journal(disk / "journal.jsonl")
        written = _fill(journal)
        assert written > 0
        entries = journal.entries()
        assert [e["url"] for e in entries] == [f"https://x.gov.cn/{i}" for i in range(written)]
        assert journal.path.read_bytes().endswith(b"\n")


def test_journal_at_a_file_size_limit_keeps_whole_lines(tmp_path):
    """Past the free-space check (the disk has room), the write itself is cut short: the torn
    line is taken back."""
    path = tmp_path / "journal.jsonl"
    code = (
        "import resource, sys; from crawler.store.journal import Journal, JournalFull\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))\n"
        "j = Journal(sys.argv[1]); n = 0\n"
        "try:\n"
        "    while True:\n"
        "        j.append({'n': n, 'pad': 'x' * 7000}); n += 1\n"
        "except JournalFull as e:\n"
        "    print(n, e)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    written = int(proc.stdout.split()[0])
    assert "File too large" in proc.stdout
    assert [e["n"] for e in Journal(path).entries()] == list(range(written))
    assert path.stat().st_size < 300_000 and path.read_bytes().endswith(b"\n")


# --- poison entries and kill -9 during a replay ----------------------------------------------

def _journal_entry(path: Path, url: str) -> dict:
    body = path.read_bytes()
    return {"kind": "save", "url": url, "body_b64": base64.b64encode(body).decode(),
            "record": parse_page(body, url=url), "final_url": None, "status": 200,
            "headers": {}, "encoding": None, "fetched_at": "2025-02-01T10:00:00"}


@pytest.mark.slow
def test_poison_entries_are_quarantined_and_the_rest_replayed(tmp_path):
    data = tmp_path / "data"
    journal = Journal(data / "journal.jsonl")
    good = [_journal_entry(p, f"https://www.example.gov.cn/{p.stem}.html") for p in DOCS[:4]]
    huge = _journal_entry(DOCS[4], "https://www.example.gov.cn/huge.html")
    huge["record"]["tables"] = {"applications": {"new": {"total": 10 ** 30}}}  # beyond int64
    for entry in (good[0], huge, good[1], {"kind": "mystery"}, good[2], good[3]):
        journal.append(entry)
    with open(journal.path, "a", encoding="utf-8") as f:
        f.write('{"kind": "save", "url": "https://www.exa')  # a line a crash cut short
    proc = scrapy("replay-journal", data_dir=data)
    out = clean(proc)
    assert proc.returncode == 1
    assert "new 4" in out and "quarantined 3" in out and journal.quarantine_path.name in out
    quarantined = [json.loads(x) for x in journal.quarantine_path.read_text().splitlines()]
    reasons = [q["reason"] for q in quarantined]
    assert "OverflowError" in reasons[0] and "mystery" in reasons[1] and "cut short" in reasons[2]
    assert quarantined[0]["entry"]["url"] == "https://www.example.gov.cn/huge.html"
    assert not journal.path.exists()
    again = scrapy("replay-journal", data_dir=data)
    assert again.returncode == 0 and "replayed 0" in clean(again)
    reports, _, _ = stored(data)
    assert sorted(reports) == sorted(e["url"] for e in good)


@pytest.mark.slow
def test_replay_killed_midway_loses_and_duplicates_nothing(tmp_path):
    data = tmp_path / "data"
    journal = Journal(data / "journal.jsonl")
    urls = []
    for i in range(120):
        path = DOCS[i % len(DOCS)]
        urls.append(f"https://www.example.gov.cn/{i}/{path.stem}.html")
        journal.append(_journal_entry(path, urls[-1]))
    proc = scrapy("replay-journal", data_dir=data, wait=False)
    # Kill it once it has stored some (the reports file grows), long before the end.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        files = list((data / "govreports").glob("reports*")) if (data / "govreports").exists() else []
        if sum(f.stat().st_size for f in files) > 200_000:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store(None, data) as store:
        partial = store.count_reports()
    assert 0 < partial < len(urls)
    # New items journaled meanwhile start a new journal beside the claimed one.
    journal.append(_journal_entry(DOCS[0], "https://www.example.gov.cn/late.html"))
    again = scrapy("replay-journal", data_dir=data)
    assert again.returncode == 0, clean(again)
    reports, pages, _ = stored(data)
    assert sorted(reports) == sorted([*urls, "https://www.example.gov.cn/late.html"])
    assert len(pages) == len({p["sha256"] for p in pages})
    assert not list(data.glob("journal.jsonl*replaying*")) and not journal.path.exists()


# --- the database down at start ---------------------------------------------------------------

@pytest.mark.slow
def test_crawl_with_the_database_down_journals_and_replays(tmp_path, portal):
    journal = tmp_path / "journal.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "DATA_DIR")}
    env.update(MONGO_URI=f"mongodb://127.0.0.1:{closed_port()}/govreports",
               JOURNAL_PATH=str(journal))
    started = time.monotonic()
    proc = scrapy("crawl", "reports", "-a", "site=demo-plain", *FAST,
                  "-s", "STORE_BREAKER_COOLDOWN=30", portal=portal, env=env, timeout=240)
    elapsed = time.monotonic() - started
    log = clean(proc)
    assert proc.returncode == 0, log[-3000:]
    unreachable = [line for line in log.splitlines() if "is unreachable" in line]
    assert unreachable and "journaled to" in unreachable[0]
    entries = Journal(journal).entries()
    reports = [e for e in entries if e["kind"] == "save"]
    assert reports and any(e["kind"] == "crawl" for e in entries)
    print(f"crawl with the database down: {elapsed:.1f} s, {len(reports)} reports journaled")
    # Later, into a store that works: every report is there, and the crawl run.
    data = tmp_path / "data"
    replay = scrapy("replay-journal", "-s", f"JOURNAL_PATH={journal}", data_dir=data)
    assert replay.returncode == 0, clean(replay)
    stored_reports, _, crawls = stored(data)
    assert sorted(stored_reports) == sorted({e["record"]["url"] for e in reports})
    assert crawls and crawls[0]["finish_reason"] == "finished"


@pytest.mark.slow
def test_crawl_stops_cleanly_when_the_journal_disk_is_full(tmp_path, portal):
    with small_filesystem(tmp_path / "small", size="96k") as disk:
        env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "DATA_DIR")}
        env.update(MONGO_URI=f"mongodb://127.0.0.1:{closed_port()}/govreports",
                   JOURNAL_PATH=str(disk / "journal.jsonl"))
        proc = scrapy("crawl", "reports", "-a", "site=demo-trs", *FAST,
                      "-s", "STORE_BREAKER_COOLDOWN=30", portal=portal, env=env, timeout=240)
        log = clean(proc)
        assert "stopping the crawl" in log and "journal_full" in log
        assert "fetched again by the next crawl" in log
        raw = (disk / "journal.jsonl").read_bytes() if (disk / "journal.jsonl").exists() else b""
        assert raw == b"" or raw.endswith(b"\n")
        assert all(e["kind"] != "unreadable" for e in Journal(disk / "journal.jsonl").entries())


# --- read-only and damaged stores -------------------------------------------------------------

@pytest.mark.slow
def test_readers_work_on_a_read_only_store(tmp_path):
    data = tmp_path / "data"
    import_fixtures(data)
    before = sorted(p.name for p in (data / "govreports").iterdir())
    with read_only(data):
        out = tmp_path / "out.csv"
        proc = scrapy("export", "-o", str(out), data_dir=data)
        assert proc.returncode == 0, clean(proc)
        assert len(list(csv.DictReader(out.open(encoding="utf-8-sig")))) == len(SEEDS + REALDOCS)
        stats = scrapy("stats", data_dir=data)
        n = len(SEEDS + REALDOCS)
        assert stats.returncode == 0 and f"{n} reports ({n} distinct), {n} pages" in clean(stats)
        writer = scrapy("import-files", str(SEEDS[0]), data_dir=data)
        assert writer.returncode != 0
        assert "not writable" in clean(writer).strip().splitlines()[-1]
    assert sorted(p.name for p in (data / "govreports").iterdir()) == before


@pytest.mark.slow
def test_a_damaged_collection_is_named_and_the_others_stay_usable(tmp_path):
    data = tmp_path / "data"
    import_fixtures(data)
    (data / "govreports" / "crawls").write_bytes(b"not a database " * 400)
    stats = scrapy("stats", data_dir=data)
    assert stats.returncode == 0 and f"{len(SEEDS + REALDOCS)} reports" in clean(stats)
    out = tmp_path / "out.jsonl"
    assert scrapy("export", "-o", str(out), data_dir=data).returncode == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(SEEDS + REALDOCS)
    check = scrapy("store-check", data_dir=data)
    assert check.returncode == 1
    assert "crawls     DAMAGED" in clean(check) and "reports    ok" in check.stdout
    # A damaged `reports` stops the commands that need it, in one line naming it.
    reports = data / "govreports" / "reports"
    raw = bytearray(reports.read_bytes())
    raw[len(raw) // 2:len(raw) // 2 + 4096] = b"\xff" * 4096  # a page in the middle
    reports.write_bytes(bytes(raw))
    check = scrapy("store-check", data_dir=data)
    assert check.returncode == 1 and "reports    DAMAGED" in clean(check)
    salvage = scrapy("store-check", "--salvage", data_dir=data)
    out_text = clean(salvage)
    assert salvage.returncode == 0 and "salvaged" in out_text and "damaged file is kept" in out_text
    assert list((data / "damaged").rglob("reports")) and list((data / "damaged").rglob("crawls"))
    assert scrapy("store-check", data_dir=data).returncode == 0
    stats = scrapy("stats", data_dir=data)
    kept = int(clean(stats).split()[0])
    assert stats.returncode == 0 and 1 <= kept <= len(SEEDS + REALDOCS)
    print(f"salvage kept {kept} of {len(SEEDS + REALDOCS)} reports past a 4 KiB hole")
    # The store takes writes again (indexes made anew) and a crawl run can be recorded.
    assert scrapy("import-files", str(ROOT / "fixtures" / "seeds"), data_dir=data).returncode == 0


@pytest.mark.slow
def test_a_damaged_reports_file_is_one_line(tmp_path):
    data = tmp_path / "data"
    import_fixtures(data)
    (data / "govreports" / "reports").write_bytes(b"\x00garbage" * 512)
    for args in (("stats",), ("export", "-o", str(tmp_path / "x.csv")), ("reparse",),
                 ("crawl", "reports", "-a", "start_url=https://www.example.gov.cn/nb/")):
        proc = scrapy(*args, data_dir=data)
        last = clean(proc).strip().splitlines()[-1]
        assert proc.returncode != 0 and "'reports' collection is damaged" in last, args


# --- imports and exports -------------------------------------------------------------------

@pytest.mark.slow
def test_import_goes_on_after_failing_files_and_lists_them(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for p in DOCS[:3]:
        (src / p.name).write_bytes(p.read_bytes())
    (src / "big.txt").write_bytes(b"x" * (16 * 1024 * 1024))
    (src / "gone.html").symlink_to(src / "nowhere.html")
    data = tmp_path / "data"
    proc = scrapy("import-files", str(src), str(tmp_path / "missing-dir"), data_dir=data)
    clean(proc)
    assert proc.returncode == 2
    assert "new 3" in proc.stdout and "failed 3" in proc.stdout
    tail = proc.stderr.strip().splitlines()
    assert tail[0] == "3 failed:"
    assert any("big.txt" in x and "exceeds" in x for x in tail)
    assert any("gone.html" in x for x in tail) and any("missing-dir" in x for x in tail)
    assert len(stored(data)[0]) == 3


@pytest.mark.slow
def test_control_characters_do_not_break_xlsx_and_formulas_stay_neutral(tmp_path):
    import openpyxl

    page = ("<html><body><h1>=1+1\x07县\x1b2023年政府信息公开工作年度报告</h1>"
            "<p>二、主动公开政府信息情况</p><table><tr><td>规章</td><td>-</td><td>0</td><td>0</td>"
            "</tr></table></body></html>").encode()
    src = tmp_path / "bell.html"
    src.write_bytes(page)
    data = tmp_path / "data"
    assert scrapy("import-files", str(src), data_dir=data).returncode == 0
    out = tmp_path / "r.xlsx"
    proc = scrapy("export", "-o", str(out), data_dir=data)
    assert proc.returncode == 0, clean(proc)
    rows = list(openpyxl.load_workbook(out, read_only=True)["reports"].iter_rows(values_only=True))
    title = rows[1][rows[0].index("title")]
    assert title.startswith("'=1+1") and "\x07" not in title and "\x1b" not in title


@pytest.mark.slow
def test_export_output_errors_are_one_line_or_quiet(tmp_path):
    data = tmp_path / "data"
    import_fixtures(data)
    for target in (tmp_path / "missing" / "x.csv", Path("/proc/govreports.csv")):
        proc = scrapy("export", "-o", str(target), data_dir=data)
        assert proc.returncode == 1 and clean(proc).strip().startswith("error: cannot write")
    cmd = (f"{sys.executable} -m scrapy export -o - --format jsonl | head -c 100 >/dev/null")
    proc = subprocess.run(["bash", "-c", cmd], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, DATA_DIR=str(data)), timeout=120)
    assert proc.stderr == "", proc.stderr


# --- configuration mistakes --------------------------------------------------------------------

def _missing_field_registry(tmp_path) -> Path:
    path = tmp_path / "registry.toml"
    text = DEMO_REGISTRY.read_text(encoding="utf-8")
    path.write_text(text + '\n[[site]]\nid = "no-home"\nname = "x"\nregion = "540000"\n'
                    'level = "city"\n', encoding="utf-8")
    return path


MISTAKES = {
    # name: (command, environment, what the last line says)
    "mongo-uri-malformed": (["stats"], {"MONGO_URI": "mongodb://[::1"}, "not a valid MongoDB URI"),
    "mongo-uri-scheme": (["export", "-o", "x.csv"], {"MONGO_URI": "http://db/x"},
                         "must start with mongodb://"),
    "mongo-uri-unreachable": (["stats"], {"MONGO_URI": "mongodb://127.0.0.1:{port}/x"},
                              "is unreachable"),
    "mongo-uri-malformed-crawl": (["crawl", "reports", "-a", "site=xizang"],
                                  {"MONGO_URI": "mongodb://u:p@host:port/x"},
                                  "not a valid MongoDB URI"),
    "redis-url-malformed": (["crawl", "reports"], {"REDIS_URL": "http://redis:6379",
                                                   "EMBEDDED": "1"}, "not a Redis URL"),
    "redis-url-unreachable": (["crawl", "reports"], {"REDIS_URL": "redis://127.0.0.1:{port}/0",
                                                     "EMBEDDED": "1"}, "unreachable"),
    "redis-url-enqueue": (["enqueue", "--site", "xizang"],
                          {"REDIS_URL": "redis://127.0.0.1:{port}/0"}, "unreachable"),
    "data-dir-a-file": (["stats"], {"DATA_DIR": "{file}"}, "is a file"),
    "data-dir-a-file-crawl": (["crawl", "reports", "-a", "site=xizang"], {"DATA_DIR": "{file}"},
                              "is a file"),
    "journal-a-directory": (["import-files", "{file}"], {"JOURNAL_PATH": "{dir}"},
                            "is a directory"),
    "journal-a-directory-crawl": (["crawl", "reports", "-a", "site=xizang"],
                                  {"JOURNAL_PATH": "{dir}"}, "is a directory"),
    "registry-missing-sites": (["sites", "-s", "SITES_REGISTRY={dir}/none.toml"], {},
                               "No such file"),
    "registry-missing-crawl": (["crawl", "reports", "-a", "site=xizang", "-s",
                                "SITES_REGISTRY={dir}/none.toml"], {}, "No such file"),
    "registry-missing-schedule": (["schedule", "--once", "-s", "SITES_REGISTRY={dir}/none.toml"],
                                  {}, "No such file"),
    "registry-missing-field": (["crawl", "reports", "-a", "site=xizang", "-s",
                                "SITES_REGISTRY={registry}"], {}, "missing field 'home'"),
    "unknown-option-export": (["export", "-o", "x.csv", "--bogus"], {}, "unknown option"),
    "unknown-option-stats": (["stats", "--verbose-please"], {}, "unknown option"),
    "unknown-option-crawl": (["crawl", "reports", "--bogus"], {}, "unknown option"),
    "below-version-banana": (["reparse", "--below-version", "banana"], {}, "not a version"),
    "crawl-set-no-equals": (["schedule", "--once", "--crawl-set", "NOEQUALS"], {}, "NAME=VALUE"),
    "start-url-ftp": (["crawl", "reports", "-a", "start_url=ftp://www.x.gov.cn/"], {},
                      "http(s) URL"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MISTAKES))
def test_configuration_mistakes_end_in_one_clear_line(name, tmp_path):
    args, env_extra, message = MISTAKES[name]
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    a_dir = tmp_path / "a-dir"
    a_dir.mkdir()
    values = {"port": closed_port(), "file": a_file, "dir": a_dir,
              "registry": _missing_field_registry(tmp_path)}
    env = {k: v for k, v in os.environ.items()
           if k not in ("MONGO_URI", "DATA_DIR", "REDIS_URL", "JOURNAL_PATH")}
    env["DATA_DIR"] = str(tmp_path / "data")
    for key, value in env_extra.items():
        env[key] = value.format(**values)
    if env.pop("EMBEDDED", None):
        args = [*args, "-s", "EMBEDDED_STORE_SHARED=1"]
    args = [a.format(**values) for a in args]
    started = time.monotonic()
    proc = scrapy(*args, env=env, timeout=30)
    elapsed = time.monotonic() - started
    out = clean(proc)
    last = out.strip().splitlines()[-1]
    assert proc.returncode != 0, out
    assert message in last, out
    assert elapsed < 15, f"{name}: {elapsed:.1f} s"


@pytest.mark.slow
def test_sites_check_lists_an_entry_missing_a_field(tmp_path):
    proc = scrapy("sites", "--check", "-s", f"SITES_REGISTRY={_missing_field_registry(tmp_path)}",
                  "-s", "SITES_BASE_URL=http://127.0.0.1:8000")
    out = clean(proc)
    assert proc.returncode == 1
    assert "site #6 'no-home': missing field 'home'" in out and "1 problems" in out
