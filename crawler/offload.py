"""Work the pipeline keeps off Scrapy's reactor thread, handed back as Deferreds.

The reactor thread runs all of Scrapy (downloads, scheduling, callbacks); whatever else runs
there, or holds the GIL of the crawl process, slows the crawl. Two helpers:

- :class:`WorkerPool`: worker processes for picklable functions, so that the work uses the
  other cores (threads would share the crawl's GIL: measured, a writer thread and the pool's
  result thread made the reactor wait for the GIL on every hand-over).
- :class:`Batcher`: groups entries so that each call does many (one store transaction per
  batch instead of one per page). Batches follow the workers: an entry goes at once when a
  worker is free, and entries that arrive while all are busy go together, so that nothing ever
  waits for a timer (measured: a quarter-second batch timer left items waiting with no batch
  at the workers a quarter of the crawl, holding their responses, which stalls downloads).
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
    """Call ``fn`` then stay busy a moment, so that the next call of :meth:`WorkerPool.call_each`
    goes to another worker."""
    result = fn(*args) if fn is not None else None
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

    def start(self) -> None:
        """Start the worker processes now (the fork server imports ``preload``), without
        waiting for them."""
        if self._executor is None:
            self._executor = self._start()
            if self.workers:
                self._executor.submit(_hold, None, (), 0)  # the pool launches its processes

    def call_each(self, fn, *args) -> defer.Deferred:
        """Call ``fn(*args)`` once in each worker (as far as the pool hands the calls out one
        per worker); fires when all have."""
        self.start()
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
    order); :meth:`add` returns a Deferred that fires with the entry's result.

    Batches follow the workers, not a clock: while fewer than ``slots`` batches are out, what is
    pending goes at once (on the next turn of the reactor, so that the entries of one turn
    travel together); while every slot is busy, entries wait and go together when a batch comes
    back, at most ``size`` per batch. An idle crawl thus never waits for a timer, and a busy one
    writes in batches as large as the backlog (one store transaction per batch instead of one
    per page).
    """

    def __init__(self, submit, size: int = 50, slots: int = 1, reactor=None):
        if reactor is None:
            from twisted.internet import reactor
        self.submit, self.size, self.slots, self.reactor = submit, max(size, 1), max(slots, 1), \
            reactor
        self._pending: list[tuple[object, defer.Deferred]] = []
        self._call = None
        self._inflight: set[defer.Deferred] = set()
        #: Batches submitted, and the sizes of the largest one: for the crawl's stats.
        self.batches = self.largest = 0

    @property
    def pending(self) -> int:
        """Entries waiting for a batch to be submitted."""
        return len(self._pending)

    @property
    def inflight(self) -> int:
        """Batches submitted and not done yet."""
        return len(self._inflight)

    def add(self, entry) -> defer.Deferred:
        d: defer.Deferred = defer.Deferred()
        self._pending.append((entry, d))
        if len(self._inflight) < self.slots and self._call is None:
            self._call = self.reactor.callLater(0, self._send)
        return d

    def _send(self) -> None:
        self._call = None
        while self._pending and len(self._inflight) < self.slots:
            self._submit_batch()

    def _submit_batch(self) -> defer.Deferred:
        batch, self._pending = self._pending[:self.size], self._pending[self.size:]
        self.batches += 1
        self.largest = max(self.largest, len(batch))
        written = self.submit([e for e, _ in batch])
        self._inflight.add(written)

        def done(outcome):
            self._inflight.discard(written)
            if self._pending and self._call is None:
                # A slot is free: what waited goes now (after this batch's items are handed on).
                self._call = self.reactor.callLater(0, self._send)
            return outcome

        def deliver(results):
            for (_, d), result in zip(batch, results, strict=True):
                d.callback(result)

        def fail(failure):
            for _, d in batch:
                d.errback(failure)

        written.addBoth(done)
        written.addCallbacks(deliver, fail)
        return written

    def close(self) -> defer.Deferred:
        """Submit everything pending (slots or not); fires when every batch is done."""
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None
        while self._pending:
            self._submit_batch()
        waiting = list(self._inflight)
        return defer.DeferredList(waiting, consumeErrors=True) if waiting else defer.succeed(None)
