"""Shared fixtures: the real reports bundled under fixtures/ and their verified labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
LABELS = FIXTURES / "labels"

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
REALDOCS = sorted(p for p in (FIXTURES / "realdocs").glob("r*.*"))
HTML_TWINS = sorted((FIXTURES / "html").glob("*.html"))
LABELLED = SEEDS + REALDOCS + HTML_TWINS


def label_for(path: Path) -> dict:
    return json.loads((LABELS / f"{path.stem}.json").read_text(encoding="utf-8"))


def ids(paths):
    return [f"{p.parent.name}/{p.name}" for p in paths]


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
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def portal():
    """The offline demo portal (crawler.demo_portal) on a free 127.0.0.1 port."""
    from crawler import demo_portal

    server = demo_portal.serve(0)
    yield server
    server.shutdown()
