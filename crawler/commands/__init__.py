"""Scrapy commands of the project (``scrapy reparse``, ``export``, ``stats``)."""
