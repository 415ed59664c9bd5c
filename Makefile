# Two commands on a fresh machine: `make demo` and `make test`. Everything they need is
# installed here: Python packages into .venv, system packages with apt-get.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup system-deps demo test test-fast lint bench parse-fixtures clean

setup: $(STAMP) system-deps

# Debian's redis-server, for the distributed-crawl tests (they start their own on 127.0.0.1);
# Debian's chromium, which renders script-drawn lists (Playwright drives it; no browser
# download); LibreOffice, which reads DOC/WPS/XLS attachments (parsers/office.py). Without them
# the crawl still runs, records say what could not be read, and their tests skip.
system-deps:
	@command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || \
	  { (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) \
	    >/dev/null 2>&1 || echo "warning: could not install redis-server; its tests will be skipped"; }
	@[ -x /usr/bin/chromium ] || \
	  { (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	    >/dev/null 2>&1 || echo "warning: could not install chromium; script-drawn lists will not be rendered and its tests will be skipped"; }
	@command -v soffice >/dev/null 2>&1 || \
	  { (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	     libreoffice-writer-nogui libreoffice-calc-nogui) >/dev/null 2>&1 || \
	    echo "warning: could not install LibreOffice; DOC/WPS/XLS attachments will not be read"; }

$(STAMP): pyproject.toml setup.py parsers/_cells.pyx
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The main job, offline: crawl the demo portals into the embedded store, export, summarise.
demo: setup
	$(PY) -m demo

lint: setup
	$(VENV)/bin/ruff check .

# Two pytest workers, each test file on one of them (module fixtures and a file's test order
# stay as in a serial run), the files with end-to-end tests handed out first (tests/conftest.py)
# so that both workers end together. No test measures wall-clock gaps between processes (the
# politeness test reads the crawler's own grant times), so none needs the machine to itself.
test: setup lint
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder

# The fast layer only (no scrapy subprocesses): well under a minute.
test-fast: setup
	$(PY) -m pytest -m "not slow"

bench: setup
	$(PY) benchmarks/parser_bench.py

# What the parser does on the bundled fixtures, one JSON record per line.
parse-fixtures: setup
	$(PY) -m parsers fixtures/seeds/*.txt fixtures/realdocs/*.html fixtures/realdocs/*.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info parsers/_cells.c parsers/_cells.*.so
