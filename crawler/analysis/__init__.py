"""What analysts get from the store: pure functions over records (iterables of dicts).

- :mod:`.codebook`: every exported column, generated from :mod:`parsers.templates`.
- :mod:`.checks`: a record's checks, its own and the cross-year ones, and the cells they touch.
- :mod:`.duplicates`: the key that marks one report posted on two portals.
- :mod:`.crossyear`: checks between an organ's report and its previous year's.
- :mod:`.timeliness`: publication against the deadlines of the Regulations, art. 49.
- :mod:`.divisions`: six-digit administrative division codes below the province.
- :mod:`.summary`: coverage, totals, timeliness and failing checks, for the report.
- :mod:`.svg`, :mod:`.report`, :mod:`.review`: the HTML report and the review page.

Nothing here opens the store: commands fetch the rows and pass them in.
"""
