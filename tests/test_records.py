"""Records pinned: ``parse_page`` gives, on every bundled page, exactly the snapshot in
fixtures/records/ (written by fixtures/build_records.py). Speed-ups must not change a record."""

from __future__ import annotations

import importlib.util
import json

import pytest
from conftest import FIXTURES

_spec = importlib.util.spec_from_file_location("build_records", FIXTURES / "build_records.py")
build_records = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_records)
PAGES = build_records.pages()


def test_every_page_has_a_snapshot():
    snapshots = {p.name.removesuffix(".json") for p in (FIXTURES / "records").glob("*.json")}
    assert snapshots == set(PAGES)
    assert len(PAGES) >= 40


@pytest.mark.parametrize("name", sorted(PAGES))
def test_record_equals_snapshot(name):
    expected = json.loads((FIXTURES / "records" / f"{name}.json").read_text(encoding="utf-8"))
    assert build_records.record_of(PAGES[name]) == expected
