"""Spiders that find annual report pages on government portals."""
