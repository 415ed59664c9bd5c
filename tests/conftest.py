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
