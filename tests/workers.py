"""Worker processes of a distributed crawl for the tests: start them on the demo portal with
their logs in files, wait for conditions, and read what is left in Redis. A helper module,
not a test module."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from conftest import DEMO_REGISTRY, ROOT

#: The prefix of the distributed crawl's Redis keys.
QUEUE = "govreports:"


def env_for(redis_url, data_dir) -> dict:
    """A worker's environment: the Redis of the test and an embedded store in ``data_dir``."""
    env = dict(os.environ, REDIS_URL=redis_url, DATA_DIR=str(data_dir))
    env.pop("MONGO_URI", None)
    return env


class Workers:
    """Worker processes whose logs go to files (a killed worker's pipe is never read)."""

    def __init__(self, portal, env, logs, *settings):
        self.portal, self.env, self.logs, self.settings = portal, env, logs, settings
        self.started = 0

    def start(self, *extra):
        self.started += 1
        log = (self.logs / f"worker{self.started}.log").open("w")
        cmd = [sys.executable, "-m", "scrapy", "crawl", "reports",
               "-s", f"SITES_REGISTRY={DEMO_REGISTRY}", "-s", f"SITES_BASE_URL={self.portal.base_url}",
               "-s", "EMBEDDED_STORE_SHARED=1", "-s", "DOWNLOAD_DELAY=0",
               "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_BACKOFF_BASE=0.05",
               "-s", "WORKER_HEARTBEAT_INTERVAL=0.5", "-s", "WORKER_HEARTBEAT_TTL=2",
               "-s", "REDIS_IDLE_TIMEOUT=3", *self.settings, *extra]
        return subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def log(self, n: int) -> str:
        return (self.logs / f"worker{n}.log").read_text(errors="replace")


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def left_in_redis(client) -> dict:
    """Everything that would mean unfinished work: pending, in flight, specs, runs going."""
    out = {"pending": client.zcard(QUEUE + "pending"), "start": client.llen(QUEUE + "start"),
           "runs": client.hgetall(QUEUE + "runs"), "data": client.hlen(QUEUE + "data")}
    for key in client.scan_iter(QUEUE + "*inflight:*"):
        out[key.decode()] = client.hlen(key) if b":start:" not in key else client.llen(key)
    return {k: v for k, v in out.items() if v}


