"""Shared fixtures: the real reports bundled under fixtures/ and their verified labels, the
demo portal, a Redis server, the stores the tests run on, and one way to run ``scrapy``.

Layers: most tests are fast (parser, units on frozen pages, store API); the end-to-end tests
that run ``scrapy`` in subprocesses are marked ``slow``. ``pytest -m "not slow"`` runs the
fast layer alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
LABELS = FIXTURES / "labels"

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
REALDOCS = sorted(p for p in (FIXTURES / "realdocs").glob("r*.*"))
HTML_TWINS = sorted((FIXTURES / "html").glob("*.html"))
LABELLED = SEEDS + REALDOCS + HTML_TWINS

DEMO = FIXTURES / "sites"
DEMO_REGISTRY = DEMO / "registry.toml"
#: The demo portal's sites, and which report (fixture stem) each report page holds.
DEMO_SITES = "demo-trs,demo-hanweb,demo-gkmlpt,demo-jpaas,demo-plain"
EXPECTED = json.loads((DEMO / "expected.json").read_text(encoding="utf-8"))
#: Settings that make a crawl of the local demo portal fast.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_BACKOFF_BASE=0.05"]


def label_for(path: Path) -> dict:
    return json.loads((LABELS / f"{path.stem}.json").read_text(encoding="utf-8"))


#: A seed whose organ gets a derived next-year report (:func:`next_year`) in the cross-year tests.
LONGXI = next(p for p in SEEDS if label_for(p)["organ"] == "陇西县财政局")


def next_year(text: str) -> str:
    """The 2022 report of 陇西县财政局 as its 2023 report would read, two applications carried
    over (which its 2022 report did not carry forward)."""
    lines = text.replace("2022", "2023").splitlines()
    for i, line in enumerate(lines):
        if "上年结转政府信息公开申请数量" in line:
            cells = line.rstrip("\t").split("\t")
            cells[2], cells[-1] = "2", "2"  # natural persons and the total
            lines[i] = "\t".join(cells)
    return "\n".join(lines) + "\n"


def ids(paths):
    return [f"{p.parent.name}/{p.name}" for p in paths]


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test``): the files holding end-to-end (``slow``) tests first,
    the fast files after them. Whole files are handed to the workers in this order, so the
    long ones start early and the short ones fill the end: both workers finish together.
    The order of the tests within a file is kept; a serial run keeps the collection order."""
    if not hasattr(config, "workerinput"):  # set in pytest-xdist's workers, who collect
        return
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: file order kept


@pytest.fixture(scope="session")
def parse():
    from parsers import parse_page

    return parse_page


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A Redis server of the tests' own on 127.0.0.1 (Debian's redis-server, which
    `make test` installs), stopped at the end of the session."""
    import shutil
    import subprocess
    import time

    binary = shutil.which("redis-server") or ("/usr/bin/redis-server"
                                               if Path("/usr/bin/redis-server").exists() else None)
    if binary is None:
        pytest.skip("redis-server is not installed (make test installs Debian's redis-server)")
    import redis

    workdir = tmp_path_factory.mktemp("redis")

    def ours(client) -> bool:
        # Another pytest worker's server may have taken the port between free_port() and
        # this server's bind: the one answering must be the one working in ``workdir``.
        return client.config_get("dir")["dir"] == str(workdir.resolve())

    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", str(workdir)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=port)
        up = False
        for _ in range(100):
            if proc.poll() is not None:  # it could not bind the port
                break
            try:
                up = ours(client)
            except redis.ConnectionError:
                pass
            if up:
                break
            time.sleep(0.05)
        if up and proc.poll() is None:
            break
        proc.kill()
        proc.wait()
    else:
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def hostile_runner():
    """Runs a hostile case (tests/hostile_cases.py) in a process of its own under the harness's
    limits, forked from one zygote that imported the parser once (tests/hostile_runner.py)."""
    from hostile_runner import Zygote

    zygote = Zygote()
    yield zygote
    zygote.close()


@pytest.fixture
def redis_db(redis_url):
    """The tests' Redis, emptied before and after the test."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield redis_url
    client.flushdb()


@pytest.fixture(scope="module")
def portal():
    """The offline demo portal (demo.portal) on a free 127.0.0.1 port."""
    from demo import portal as demo_portal

    server = demo_portal.serve(0)
    yield server
    server.shutdown()


def path_of(portal, url: str) -> str:
    return url[len(portal.base_url):]


@dataclass
class StoreTarget:
    """The store a test's commands write to: the embedded one in ``data_dir``, or the real
    MongoDB named by the environment's ``MONGO_URI``."""

    data_dir: Path
    mongo_uri: str | None = None

    def env(self, **extra) -> dict:
        env = dict(os.environ, DATA_DIR=str(self.data_dir), **extra)
        env.pop("MONGO_URI", None)
        if self.mongo_uri:
            env["MONGO_URI"] = self.mongo_uri
        return env

    def open(self, **kwargs):
        from crawler.store import Store

        return Store(self.mongo_uri, self.data_dir, **kwargs)


def store_target(kind: str, data_dir: Path) -> StoreTarget:
    """``embedded``, or ``mongodb`` (a fresh database; skipped without ``MONGO_URI``)."""
    if kind == "embedded":
        return StoreTarget(data_dir)
    uri = os.environ.get("MONGO_URI")
    if not uri:
        pytest.skip("MONGO_URI not set: this test ran on the embedded store only; set "
                    "MONGO_URI=mongodb://host/db_test to run it on a real MongoDB too")
    target = StoreTarget(data_dir, uri)
    with target.open() as store:
        store.client.drop_database(store.db.name)
    return target


def scrapy(*args, target: StoreTarget | None = None, data_dir: Path | None = None,
           portal=None, env: dict | None = None, wait: bool = True, timeout: float = 300):
    """Run ``scrapy ARGS`` in the project as a user does, on the store of ``target`` (or the
    embedded store in ``data_dir``); with ``portal``, the demo registry at the portal's URL.
    Returns the finished process (text output), or the running one with ``wait=False``."""
    cmd = [sys.executable, "-m", "scrapy", *args]
    if portal is not None:
        cmd += ["-s", f"SITES_REGISTRY={DEMO_REGISTRY}", "-s", f"SITES_BASE_URL={portal.base_url}"]
    if env is None:
        target = target or (StoreTarget(Path(data_dir)) if data_dir is not None else None)
        env = target.env() if target else {k: v for k, v in os.environ.items()
                                           if k not in ("MONGO_URI", "DATA_DIR")}
    if not wait:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, encoding="utf-8")
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout)


def stored(data_dir):
    """(reports by url, pages without bodies, crawl runs) of an embedded store."""
    from crawler.store import Store

    with Store(None, data_dir) as store:
        reports = {d["url"]: d for d in store.iter_reports()}
        pages = list(store.pages.find({}, {"body": 0}))
        crawls = list(store.crawls.find({}))
    return reports, pages, crawls
