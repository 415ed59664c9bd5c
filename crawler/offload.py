"""Work the pipeline keeps off Scrapy's reactor thread, handed back as Deferreds.

The reactor thread runs all of Scrapy (downloads, scheduling, callbacks); whatever else runs
there, or holds the GIL of the crawl process, slows the crawl. Two helpers:

- :class:`WorkerPool`: worker processes for picklable functions, so that the work uses the
  other cores (threads would share the crawl's GIL: measured, a writer thread and the pool's
  result thread made the reactor wait for the GIL on every hand-over).
- :class:`Batcher`: groups entries so that each call does many (one store transaction per
  batch instead of one per page). A batch goes when it is full or ``delay`` seconds after its
  first entry, so a slow crawl does not hold its items back.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from twisted.internet import defer

logger = logging.getLogger(__name__)


def _deferred(future: Future, reactor) -> defer.Deferred:
    """A Deferred fired on the reactor thread with the outcome of a concurrent future."""
    d: defer.Deferred = defer.Deferred()

    def done(f: Future) -> None:
        exc = f.exception()
        if exc is not None:
            reactor.callFromThread(d.errback, exc)
        else:
            reactor.callFromThread(d.callback, f.result())

    future.add_done_callback(done)
    return d


def _hold(fn, args, seconds: float):
    """Call ``fn`` then stay busy a moment, so that the next start-up call goes to another
    worker."""
    result = fn(*args)
    time.sleep(seconds)
    return result


class WorkerPool:
    """Call picklable functions in ``workers`` processes (0: in one thread of this process).

    Workers are forked from a fork server that has imported ``preload`` already, never from the
    crawl process with its reactor and threads.
    """

    def __init__(self, workers: int, preload: tuple[str, ...] = (), reactor=None):
        if reactor is None:
            from twisted.internet import reactor
        self.workers, self.preload, self.reactor = workers, list(preload), reactor
        self._executor: ProcessPoolExecutor | ThreadPoolExecutor | None = None

    def _start(self):
        if not self.workers:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="pipeline")
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(self.preload)
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)

    def start(self, fn=None, *args) -> defer.Deferred:
        """Start the workers and call ``fn(*args)`` once in each; fires when all have."""
        self._executor = self._start()
        if fn is None:
            return defer.succeed(None)
        calls = [_deferred(self._executor.submit(_hold, fn, args, 0.05), self.reactor)
                 for _ in range(max(self.workers, 1))]
        return defer.gatherResults(calls, consumeErrors=True)

    def run(self, fn, *args) -> defer.Deferred:
        if self._executor is None:
            self._executor = self._start()
        try:
            future = self._executor.submit(fn, *args)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the pool refuses work; start a new one.
            logger.error("pipeline worker process died; starting new workers")
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._start()
            future = self._executor.submit(fn, *args)
        return _deferred(future, self.reactor)

    def close(self) -> None:
        """Let the workers finish what they have and exit (closing their stores)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None


class Batcher:
    """Queue entries for ``submit(entries) -> Deferred[results]`` (one result per entry, in
    order), ``size`` entries at a time or ``delay`` seconds after the first entry of a batch.
    :meth:`add` returns a Deferred that fires with the entry's result."""

    def __init__(self, submit, size: int = 50, delay: float = 0.25, reactor=None):
        if reactor is None:
            from twisted.internet import reactor
        self.submit, self.size, self.delay, self.reactor = submit, size, delay, reactor
        self._pending: list[tuple[object, defer.Deferred]] = []
        self._timer = None
        self._inflight: set[defer.Deferred] = set()

    def add(self, entry) -> defer.Deferred:
        d: defer.Deferred = defer.Deferred()
        self._pending.append((entry, d))
        if len(self._pending) >= self.size:
            self.flush()
        elif self._timer is None:
            self._timer = self.reactor.callLater(self.delay, self.flush)
        return d

    def flush(self) -> defer.Deferred:
        """Write what is pending now; fires when it is written."""
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        batch, self._pending = self._pending, []
        if not batch:
            return defer.succeed(None)
        written = self.submit([e for e, _ in batch])
        self._inflight.add(written)

        def deliver(results):
            self._inflight.discard(written)
            for (_, d), result in zip(batch, results, strict=True):
                d.callback(result)

        def fail(failure):
            self._inflight.discard(written)
            for _, d in batch:
                d.errback(failure)

        written.addCallbacks(deliver, fail)
        return written

    def close(self) -> defer.Deferred:
        """Submit everything pending; fires when every batch is done."""
        self.flush()
        waiting = list(self._inflight)
        return defer.DeferredList(waiting, consumeErrors=True) if waiting else defer.succeed(None)
