"""A DNS resolver for crawls in tests: loopback names resolve, every other name fails at
once with DNSLookupError, and no query leaves the machine (``-s DNS_RESOLVER=offline_dns.Resolver``
with ``tests/`` on PYTHONPATH)."""

from __future__ import annotations

from twisted.internet import defer
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

LOOPBACK = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1"}


@implementer(IResolverSimple)
class Resolver:
    def __init__(self, reactor):
        self.reactor = reactor

    @classmethod
    def from_crawler(cls, crawler, reactor):
        return cls(reactor)

    def install_on_reactor(self):
        self.reactor.installResolver(self)

    def getHostByName(self, name, timeout=()):
        if name in LOOPBACK:
            return defer.succeed(LOOPBACK[name])
        return defer.fail(DNSLookupError(f"{name}: no such name (offline test resolver)"))
