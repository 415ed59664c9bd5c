"""A request queue in Redis that loses nothing when a worker dies (kill -9, OOM, preemption).

scrapy-redis pops a request on dequeue: a worker killed after the pop loses the request, and
because its fingerprint already sits in the shared duplicate filter no other worker fetches it
again. Here a request taken by a worker stays recorded **in flight** for that worker until its
response has been handled (items stored or dropped, the request failed for good), and a worker
that stops refreshing its **heartbeat** is declared dead by whichever live worker notices first:
its in-flight requests go back to the front of the queue, its start specs back to the start
list, and the politeness tokens it held (:mod:`crawler.distributed`) are freed, all in one Lua
script, so no request is lost, none is recovered twice, and the recovered ones never meet the
duplicate filter again (they already passed it).

Redis layout (prefix ``govreports:``)::

    pending            ZSET  member -> score (-priority; recovered requests jump the queue)
    data               HASH  member -> the serialized request
    sites              HASH  site -> pending count
    runs               HASH  run -> requests and start specs not yet handled
    finished           HASH  run -> when its last request was handled (ms, Redis clock)
    seen:<run>         SET   request fingerprints of a run (the duplicate filter)
    inflight:<worker>  HASH  member -> score, requests the worker has taken
    worker:<worker>    STR   the worker's heartbeat (JSON: host, pid, started), expires
    workers            ZSET  worker -> last heartbeat (ms)
    tokens:<worker>    SET   per-site politeness keys where the worker took tokens
    failed             HASH  url -> why it failed for good (JSON)
    recoveries         LIST  the latest recoveries of dead workers (JSON)

A member is ``id<TAB>site<TAB>run``: the scripts read a request's site and run from it without
unpickling. A *run* is one crawl of one start spec (``scrapy enqueue``, a scheduled crawl) or of
one ``scrapy crawl`` process with targets; the duplicate filter is per run, so next week's
crawl of a site fetches its list pages again, and ``runs`` tells a scheduler when a run is done.

The acknowledgement point is where Scrapy's scraper finishes with a response or failure
(callback run, its requests queued, its items through the pipelines); see :func:`_hook_ack`.
A request that a downloader middleware replaces (retry, redirect, https->http fallback) hands
its place over to the new request atomically.

Settings: ``REDIS_URL``, ``WORKER_HEARTBEAT_INTERVAL``, ``WORKER_HEARTBEAT_TTL``,
``QUEUE_SEEN_TTL``, ``QUEUE_FAILED_KEEP``. Keys are built inside the scripts, so the queue needs
one Redis server (or a primary with replicas), not Redis Cluster.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid

from scrapy import signals
from scrapy.http import Response
from scrapy_redis.queue import Base as RedisQueueBase
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.python.failure import Failure

from crawler import distributed
from crawler import meta as M

logger = logging.getLogger(__name__)

PREFIX = "govreports:"
MEMBER, RUN = M.QUEUE_MEMBER, M.RUN
#: Recovered requests are put this far ahead of every ordinary score.
RECOVERED_BOOST = 1e9

# --- Lua ----------------------------------------------------------------------------------
# Shared helpers, prepended to the scripts that need them. All times are Redis's clock (ms),
# so the workers' machines need not agree on the time.
_LIB = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function site_run(member)
  return string.match(member, '^[^\\t]*\\t([^\\t]*)\\t([^\\t]*)$')
end
local function run_done(p, run, n)
  local left = redis.call('HINCRBY', p .. 'runs', run, -n)
  if left <= 0 then
    redis.call('HDEL', p .. 'runs', run)
    redis.call('HSET', p .. 'finished', run, now_ms())
  end
end
local function pending_site(p, site, n)
  if redis.call('HINCRBY', p .. 'sites', site, n) <= 0 then redis.call('HDEL', p .. 'sites', site) end
end
-- Forget a handled request. Not in this worker's in-flight set means another worker declared
-- this one dead and put the request back: take it off the queue again if it is still there.
local function ack(p, worker, member)
  local site, run = site_run(member)
  if redis.call('HDEL', p .. 'inflight:' .. worker, member) == 0 then
    if redis.call('ZREM', p .. 'pending', member) == 0 then return 0 end
    pending_site(p, site, -1)
  end
  redis.call('HDEL', p .. 'data', member)
  run_done(p, run, 1)
  return 1
end
"""

# ARGV: prefix, member, payload, score, fingerprint ('' = not filtered), seen ttl ms,
#       worker, member handed over ('' = none). Returns 1 when queued, 0 when a duplicate.
_PUSH = _LIB + """
local p, member = ARGV[1], ARGV[2]
local site, run = site_run(member)
local added = 1
if ARGV[5] ~= '' then
  local seen = p .. 'seen:' .. run
  added = redis.call('SADD', seen, ARGV[5])
  redis.call('PEXPIRE', seen, ARGV[6])
end
if added == 1 then
  redis.call('ZADD', p .. 'pending', ARGV[4], member)
  redis.call('HSET', p .. 'data', member, ARGV[3])
  pending_site(p, site, 1)
  redis.call('HINCRBY', p .. 'runs', run, 1)
end
if ARGV[8] ~= '' then ack(p, ARGV[7], ARGV[8]) end
return added
"""

# ARGV: prefix, worker. Returns {member, payload} or nil.
_POP = _LIB + """
local p, worker = ARGV[1], ARGV[2]
local got = redis.call('ZPOPMIN', p .. 'pending')
if #got == 0 then return nil end
local member, score = got[1], got[2]
redis.call('HSET', p .. 'inflight:' .. worker, member, score)
redis.call('ZADD', p .. 'workers', 'NX', now_ms(), worker)
local site = site_run(member)
pending_site(p, site, -1)
return {member, redis.call('HGET', p .. 'data', member) or ''}
"""

# ARGV: prefix, worker, member, failed url ('' = succeeded), failure JSON, failures kept.
_ACK = _LIB + """
local p = ARGV[1]
if ARGV[4] ~= '' then
  redis.call('HSET', p .. 'failed', ARGV[4], ARGV[5])
  redis.call('ZADD', p .. 'failed:order', now_ms(), ARGV[4])
  local extra = redis.call('ZCARD', p .. 'failed:order') - tonumber(ARGV[6])
  if extra > 0 then
    for _, url in ipairs(redis.call('ZRANGE', p .. 'failed:order', 0, extra - 1)) do
      redis.call('HDEL', p .. 'failed', url)
    end
    redis.call('ZREMRANGEBYRANK', p .. 'failed:order', 0, extra - 1)
  end
end
return ack(p, ARGV[2], ARGV[3])
"""

# ARGV: prefix, worker, boost, only ('' = every dead worker). A worker registered but without a
# heartbeat key is dead: its requests, start specs and politeness tokens go back. Returns one
# JSON object per worker recovered.
_RECOVER = _LIB + """
local p, me, boost = ARGV[1], ARGV[2], tonumber(ARGV[3])
local candidates = {ARGV[4]}
if ARGV[4] == '' then candidates = redis.call('ZRANGE', p .. 'workers', 0, -1) end
local out = {}
for _, w in ipairs(candidates) do
  if w ~= me and redis.call('EXISTS', p .. 'worker:' .. w) == 0 then
    local inflight = redis.call('HGETALL', p .. 'inflight:' .. w)
    for i = 1, #inflight, 2 do
      local member = inflight[i]
      redis.call('ZADD', p .. 'pending', tonumber(inflight[i + 1]) - boost, member)
      pending_site(p, (site_run(member)), 1)
    end
    redis.call('DEL', p .. 'inflight:' .. w)
    local specs = 0
    while redis.call('LMOVE', p .. 'start:inflight:' .. w, p .. 'start', 'RIGHT', 'LEFT') do
      specs = specs + 1
    end
    local tokens = 0
    for _, slot in ipairs(redis.call('SMEMBERS', p .. 'tokens:' .. w)) do
      for _, t in ipairs(redis.call('ZRANGE', slot .. ':active', 0, -1)) do
        if string.sub(t, 1, #w + 1) == w .. '|' then
          tokens = tokens + redis.call('ZREM', slot .. ':active', t)
        end
      end
    end
    redis.call('DEL', p .. 'tokens:' .. w)
    local last = redis.call('ZSCORE', p .. 'workers', w)
    redis.call('ZREM', p .. 'workers', w)
    local event = cjson.encode({worker = w, by = me, at = now_ms(), last_heartbeat = tonumber(last),
                                requests = #inflight / 2, specs = specs, tokens = tokens})
    if me ~= '' then  -- a recovery, not a worker leaving cleanly
      redis.call('LPUSH', p .. 'recoveries', event)
      redis.call('LTRIM', p .. 'recoveries', 0, 99)
    end
    table.insert(out, event)
  end
end
return out
"""

# ARGV: prefix, worker, heartbeat JSON, ttl ms.
_BEAT = _LIB + """
local p, w = ARGV[1], ARGV[2]
redis.call('SET', p .. 'worker:' .. w, ARGV[3], 'PX', ARGV[4])
redis.call('ZADD', p .. 'workers', now_ms(), w)
"""

# ARGV: prefix. Work anywhere in the cluster: pending requests, start specs, requests in flight.
_BUSY = """
local p = ARGV[1]
if redis.call('ZCARD', p .. 'pending') > 0 or redis.call('LLEN', p .. 'start') > 0 then return 1 end
for _, w in ipairs(redis.call('ZRANGE', p .. 'workers', 0, -1)) do
  if redis.call('HLEN', p .. 'inflight:' .. w) > 0 or redis.call('LLEN', p .. 'start:inflight:' .. w) > 0 then
    return 1
  end
end
return 0
"""

# ARGV: prefix, worker, raw spec. A start spec taken with LMOVE is done: its requests are queued.
_SPEC_DONE = _LIB + """
local p = ARGV[1]
if redis.call('LREM', p .. 'start:inflight:' .. ARGV[2], 1, ARGV[3]) == 0 then return 0 end
local run = cjson.decode(ARGV[3])['run']
if run then run_done(p, run, 1) end
return 1
"""

# ARGV: prefix, raw spec, run.
_SPEC_PUSH = """
redis.call('RPUSH', ARGV[1] .. 'start', ARGV[2])
redis.call('HINCRBY', ARGV[1] .. 'runs', ARGV[3], 1)
return redis.call('LLEN', ARGV[1] .. 'start')
"""


def new_run(label: str) -> str:
    """A run id: what it crawls, when (UTC), and a random tail so two starts never collide."""
    return f"{label}@{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"


def member_of(site: str, run: str) -> str:
    """``id<TAB>site<TAB>run``. The random id comes first: Redis orders members of one score by
    their bytes, so the sites' requests interleave (as scrapy-redis's pickled members do) and
    idle workers are not all handed one site that politeness then holds back."""
    clean = [str(x).replace("\t", " ") for x in (site, run)]
    return "\t".join([uuid.uuid4().hex, *clean])


class Queue:
    """The Redis side of the reliable queue, shared by every component of one worker process."""

    def __init__(self, server, worker: str = "", *, prefix: str = PREFIX, seen_ttl: float = 30 * 86400,
                 failed_keep: int = 10000):
        self.server, self.worker, self.prefix = server, worker, prefix
        self.seen_ttl_ms, self.failed_keep = int(seen_ttl * 1000), failed_keep
        self._push = server.register_script(_PUSH)
        self._pop = server.register_script(_POP)
        self._ack = server.register_script(_ACK)
        self._recover = server.register_script(_RECOVER)
        self._beat = server.register_script(_BEAT)
        self._busy = server.register_script(_BUSY)
        self._spec_done = server.register_script(_SPEC_DONE)
        self._spec_push = server.register_script(_SPEC_PUSH)

    def key(self, name: str) -> str:
        return self.prefix + name

    # --- requests -------------------------------------------------------------------------

    def push(self, member: str, payload: bytes, score: float, fingerprint: str | None,
             handover: str | None = None) -> bool:
        return bool(self._push(args=[self.prefix, member, payload, score, fingerprint or "",
                                     self.seen_ttl_ms, self.worker, handover or ""]))

    def pop(self) -> tuple[str, bytes] | None:
        got = self._pop(args=[self.prefix, self.worker])
        if not got:
            return None
        member = got[0].decode() if isinstance(got[0], bytes) else got[0]
        return member, got[1]

    def ack(self, member: str, failed: dict | None = None) -> bool:
        url = failed["url"] if failed else ""
        return bool(self._ack(args=[self.prefix, self.worker, member, url,
                                    json.dumps(failed or {}, ensure_ascii=False), self.failed_keep]))

    def pending(self) -> int:
        return int(self.server.zcard(self.key("pending")))

    # --- workers --------------------------------------------------------------------------

    def beat(self, info: dict, ttl: float) -> None:
        self._beat(args=[self.prefix, self.worker, json.dumps(info), int(ttl * 1000)])

    def recover(self) -> list[dict]:
        """Put back the work of every worker whose heartbeat expired; what was recovered."""
        return [json.loads(e) for e in self._recover(args=[self.prefix, self.worker,
                                                            RECOVERED_BOOST, ""])]

    def leave(self) -> dict | None:
        """A clean stop: drop the heartbeat and put back what this worker still holds (what a
        stopping engine did not finish), through the same script as a dead worker's."""
        self.server.delete(self.key(f"worker:{self.worker}"))
        events = self._recover(args=[self.prefix, "", RECOVERED_BOOST, self.worker])
        return json.loads(events[0]) if events else None

    def status(self, failed_limit: int = 10, recoveries: int = 5) -> dict:
        """What an operator wants to see of a backfill (``scrapy queue``): pending requests per
        site, start specs, runs going, workers with their heartbeat and what they hold, failed
        requests and recent recoveries. Times are Redis's clock, in seconds."""
        r = self.server
        seconds, micros = r.time()
        now = seconds + micros / 1e6
        text = lambda b: b.decode() if isinstance(b, bytes) else b  # noqa: E731
        workers = []
        for name, score in r.zrange(self.key("workers"), 0, -1, withscores=True):
            name = text(name)
            beat = r.get(self.key(f"worker:{name}"))
            workers.append({"worker": name, "alive": beat is not None,
                            **(json.loads(beat) if beat else {}),
                            "last_heartbeat": score / 1000 if score else None,
                            "in_flight": int(r.hlen(self.key(f"inflight:{name}"))),
                            "specs_in_flight": int(r.llen(self.key(f"start:inflight:{name}")))})
        latest = [text(u) for u in r.zrevrange(self.key("failed:order"), 0, failed_limit - 1)
                  ] if failed_limit > 0 else []
        failed = [json.loads(doc) for doc in r.hmget(self.key("failed"), latest) if doc] \
            if latest else []
        return {
            "now": now,
            "pending": int(r.zcard(self.key("pending"))),
            "pending_by_site": {text(k): int(v) for k, v in r.hgetall(self.key("sites")).items()},
            "start_specs": int(r.llen(self.key("start"))),
            "runs": {text(k): int(v) for k, v in r.hgetall(self.key("runs")).items()},
            "workers": workers,
            "failed_total": int(r.hlen(self.key("failed"))),
            "failed": failed,
            "recoveries": [json.loads(e) for e in r.lrange(self.key("recoveries"), 0,
                                                            recoveries - 1)],
        }

    def cluster_busy(self) -> bool:
        return bool(self._busy(args=[self.prefix]))

    # --- start specs ----------------------------------------------------------------------

    def push_spec(self, spec: dict) -> int:
        """Queue a start spec (it must carry its ``run``); returns the start list's length."""
        return int(self._spec_push(args=[self.prefix, json.dumps(spec, ensure_ascii=False),
                                         spec["run"]]))

    def take_spec(self) -> tuple[dict, bytes] | None:
        raw = self.server.lmove(self.key("start"), self.key(f"start:inflight:{self.worker}"),
                                "LEFT", "RIGHT")
        if raw is None:
            return None
        self.server.zadd(self.key("workers"), {self.worker: 0}, nx=True)
        return json.loads(raw), raw

    def spec_done(self, raw: bytes) -> None:
        self._spec_done(args=[self.prefix, self.worker, raw])


class Heartbeat:
    """Refreshes the worker's heartbeat key and recovers dead workers, on a thread of its own:
    a page that keeps the reactor busy for a while (a big PDF parsed in the pipeline) must not
    make a live worker look dead. One heartbeat and one recovery script per interval and worker:
    no polling storm, whatever the number of idle workers."""

    def __init__(self, queue: Queue, interval: float, ttl: float, stats=None):
        if ttl <= interval:
            raise ValueError(f"WORKER_HEARTBEAT_TTL ({ttl}) must exceed "
                             f"WORKER_HEARTBEAT_INTERVAL ({interval})")
        self.queue, self.interval, self.ttl, self.stats = queue, interval, ttl, stats
        self.info = {"host": socket.gethostname(), "pid": os.getpid(), "started": time.time()}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="govreports-heartbeat", daemon=True)

    def start(self) -> None:
        self.tick()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval + 5)

    def tick(self) -> None:
        self.queue.beat(self.info, self.ttl)
        for event in self.queue.recover():
            logger.warning("worker %(worker)s is gone: put back %(requests)d request(s), "
                           "%(specs)d start spec(s), freed %(tokens)d site token(s)", event)
            if self.stats is not None:
                self.stats.inc_value("queue/recovered_workers")
                self.stats.inc_value("queue/recovered_requests", event["requests"])

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # Redis away for a moment: the next beat tries again
                logger.exception("heartbeat failed")


def worker_for(crawler) -> Queue:
    """The one :class:`Queue` of a crawler process (scheduler, middlewares and spider share it
    and its worker id)."""
    queue = getattr(crawler, "_govreports_queue", None)
    if queue is None:
        settings = crawler.settings
        worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:4]}"
        queue = Queue(distributed.connect(distributed.redis_url(settings)), worker,
                      seen_ttl=settings.getfloat("QUEUE_SEEN_TTL"),
                      failed_keep=settings.getint("QUEUE_FAILED_KEEP"))
        crawler._govreports_queue = queue
    return queue


class _Codec(RedisQueueBase):
    """scrapy-redis's request (de)serialization (``Request.to_dict`` + pickle), nothing else."""


class ReliableScheduler(RedisScheduler):
    """scrapy-redis's scheduler on the reliable queue.

    Replaces the pop-on-dequeue queue and the separate duplicate filter of scrapy-redis with
    :class:`Queue`: the fingerprint check and the push are one script (a worker killed between
    the two cannot leave a request marked seen but never queued). Also the source of the
    ``StatsCollector.inc_value(spider=...)`` deprecation warnings of scrapy-redis 0.9.1 under
    Scrapy 2.19 is here: this class counts without the ``spider`` argument.
    """

    def __init__(self, crawler, queue: Queue):
        super().__init__(server=queue.server, persist=True)
        self.crawler, self.queue, self.stats = crawler, queue, crawler.stats
        settings = crawler.settings
        self.heartbeat = Heartbeat(queue, settings.getfloat("WORKER_HEARTBEAT_INTERVAL"),
                                   settings.getfloat("WORKER_HEARTBEAT_TTL"), crawler.stats)
        self.default_run = new_run("crawl")
        self.fingerprinter = crawler.request_fingerprinter
        crawler.signals.connect(self._hook_ack, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, worker_for(crawler))

    def open(self, spider):
        self.spider = spider
        self.codec = _Codec(self.server, spider, "%(spider)s")
        self.heartbeat.start()
        logger.info("worker %s: %d request(s) pending in the shared queue", self.queue.worker,
                    len(self))

    def close(self, reason):
        self.heartbeat.stop()
        event = self.queue.leave()
        if event and (event["requests"] or event["specs"]):
            logger.info("put back %(requests)d unfinished request(s) and %(specs)d start "
                        "spec(s) for the other workers", event)

    def __len__(self):
        return self.queue.pending()

    def has_pending_requests(self):
        return len(self) > 0

    def flush(self):
        raise NotImplementedError("the shared queue is never flushed by a worker")

    # --- in -------------------------------------------------------------------------------

    def enqueue_request(self, request):
        meta = request.meta
        run = meta.setdefault(RUN, self.default_run)
        # A request still holding a member was replaced by a downloader middleware (retry,
        # redirect, scheme fallback): the new one takes over the old one's place atomically.
        handover = meta.pop(MEMBER, None)
        member = member_of(meta.get(M.SITE) or "-", run)
        fingerprint = None if request.dont_filter else self.fingerprinter.fingerprint(request).hex()
        queued = self.queue.push(member, self.codec._encode_request(request), -request.priority,
                                 fingerprint, handover)
        if not queued:
            self.stats.inc_value("dupefilter/filtered")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    # --- out ------------------------------------------------------------------------------

    def next_request(self):
        got = self.queue.pop()
        if got is None:
            return None
        member, payload = got
        try:
            request = self.codec._decode_request(payload)
        except Exception as exc:  # a request this code cannot rebuild (spider changed)
            self.queue.ack(member, {"url": member, "reason": f"undecodable request: {exc}",
                                    "worker": self.queue.worker})
            logger.error("dropped an undecodable request %s: %s", member, exc)
            return None
        request.meta[MEMBER] = member
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    # --- acknowledgement ------------------------------------------------------------------

    def _hook_ack(self, spider):
        """Acknowledge each request when Scrapy's scraper is done with it.

        No public signal says "this response is fully handled": ``item_scraped`` and friends
        come per item, and errback output never passes the spider middlewares. The scraper's
        slot calls ``finish_response(result, request)`` exactly then, after the callback or
        errback, its requests queued and its items through the pipelines, for responses and
        failures alike; we wrap that method of this crawl's slot. Scrapy is pinned (<2.20) and
        tests/test_reliable_queue.py fails if the hook stops firing.
        """
        slot = self.crawler.engine.scraper.slot
        finish = slot.finish_response

        def finish_response(result, request):
            finish(result, request)
            self.acknowledge(result, request)

        slot.finish_response = finish_response

    def acknowledge(self, result, request) -> None:
        member = request.meta.get(MEMBER)
        if not member:
            return  # not from the queue (robots.txt)
        failed = None
        if isinstance(result, Failure):
            failed = {"reason": f"{result.type.__name__}: {result.getErrorMessage()}"[:300]}
        elif isinstance(result, Response) and result.status >= 400:
            failed = {"reason": f"HTTP {result.status}"}
        if failed:
            failed.update(url=request.url, site=request.meta.get(M.SITE),
                          worker=self.queue.worker, at=time.time())
            self.stats.inc_value("queue/failed")
        try:
            self.queue.ack(member, failed)
            self.stats.inc_value("queue/acked")
        except Exception:  # Redis away: the request stays in flight and is fetched again
            logger.exception("could not acknowledge %s", request.url)


class QueueSpiderMiddleware:
    """Requests a callback yields are new work of the same run, never a replacement of the
    request of the response (whose meta they may have copied)."""

    def process_spider_output(self, response, result):
        for x in result:
            yield self._adopt(response, x)

    async def process_spider_output_async(self, response, result):
        async for x in result:
            yield self._adopt(response, x)

    @staticmethod
    def _adopt(response, x):
        meta = getattr(x, "meta", None)
        if meta is not None and hasattr(x, "dont_filter"):
            if meta.get(MEMBER) and meta.get(MEMBER) == response.meta.get(MEMBER):
                del meta[MEMBER]
            if RUN not in meta and response.meta.get(RUN):
                meta[RUN] = response.meta[RUN]
        return x
