"""The hostile-input harness's runner: each case in a process of its own, forked from a zygote.

``python tests/hostile_cases.py CASE`` runs one case in a fresh interpreter; doing that for each
of ~80 cases spends most of a case's time starting Python and importing the parser and the
readers it loads lazily (pdfplumber, openpyxl, python-docx). The zygote
(``python tests/hostile_runner.py``) imports them once, then forks a child per case. The child
is what the fresh interpreter was: its own process, the harness's limits applied in it
(:func:`hostile_cases.limit_resources`: 1 GB address space, CPU seconds counted from the fork),
the case's summary printed as JSON on its stdout, a traceback on its stderr and exit status 1
when it raises, killed by a signal when a limit is hit. The zygote answers with what
``subprocess.run`` would have shown: return code (negative: the signal), stdout, stderr, or
that the case was still running at the timeout (then the child is killed).

:class:`Zygote` is the tests' side (tests/conftest.py's ``hostile_runner`` fixture). The
benchmark (benchmarks/hostile_bench.py) keeps one fresh interpreter per case: it reports each
case's peak memory, which a forked child would share with the zygote.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: What a case may import lazily, imported once in the zygote instead of once per case.
PRELOAD = ("parsers", "parsers.attachment_doc", "parsers.decode", "parsers.docx_doc",
           "parsers.formats", "parsers.html_dump", "parsers.office", "parsers.pdf_bounds",
           "parsers.pdf_doc", "parsers.xlsx_doc", "charset_normalizer", "docx", "olefile",
           "openpyxl", "pdfminer.lzw", "pdfminer.pdfinterp", "pdfminer.runlength",
           "pdfplumber", "pdfplumber.page", "pdfplumber.table", "hostile_cases",
           "hostile_attachment_cases")


def _child(name: str, out_w: int, err_w: int) -> None:
    """In the forked child: run case ``name`` as ``python hostile_cases.py NAME`` would, and
    exit. Never returns into the zygote's loop."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)  # the zygote's stdin carries its requests, not the case's
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        for fd in (null, out_w, err_w):
            os.close(fd)
        from hostile_cases import limit_resources, run_case

        limit_resources()
        print(json.dumps(run_case(name), ensure_ascii=False))
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # what the interpreter prints for an uncaught exception
        traceback.print_exc()
    finally:
        try:  # what the interpreter does on exit: atexit handlers (LibreOffice's profile), flush
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def run_forked(name: str, timeout: float) -> dict:
    """Fork a child that runs case ``name``; its return code, stdout and stderr, or
    ``timed_out`` when it still ran after ``timeout`` seconds (it is then killed)."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(out_r)
        os.close(err_r)
        _child(name, out_w, err_w)
    os.close(out_w)
    os.close(err_w)
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    deadline = time.monotonic() + timeout
    timed_out = False
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():  # both pipes to their end, as subprocess.run reads them
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            for key, _ in selector.select(left):
                data = os.read(key.fd, 1 << 16)
                if data:
                    chunks[key.fd].append(data)
                else:
                    selector.unregister(key.fd)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(out_r)
    os.close(err_r)
    return {"returncode": os.waitstatus_to_exitcode(status), "timed_out": timed_out,
            "stdout": b"".join(chunks[out_r]).decode("utf-8", "replace"),
            "stderr": b"".join(chunks[err_r]).decode("utf-8", "replace")}


def serve() -> None:
    """The zygote: preload, then one request a line on stdin (``{"case", "timeout"}``), one
    answer a line on stdout, until stdin ends."""
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    for module in PRELOAD:
        importlib.import_module(module)
    for line in sys.stdin:
        request = json.loads(line)
        answer = run_forked(request["case"], request["timeout"])
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


class Zygote:
    """The tests' side: a zygote process, and :meth:`run` to run one case in a child of it."""

    def __init__(self):
        self.errors = tempfile.TemporaryFile()  # the zygote's own stderr, shown if it dies
        self.proc = subprocess.Popen([sys.executable, __file__], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.errors, text=True,
                                     encoding="utf-8")

    def run(self, name: str, timeout: float) -> subprocess.CompletedProcess:
        """Run case ``name`` under the harness's limits: what ``subprocess.run`` of
        ``python tests/hostile_cases.py NAME`` returns, or raises on ``timeout``."""
        args = [sys.executable, str(ROOT / "tests" / "hostile_cases.py"), name]
        self.proc.stdin.write(json.dumps({"case": name, "timeout": timeout}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self.errors.seek(0)
            raise RuntimeError("the hostile-case zygote died:\n"
                               + self.errors.read().decode("utf-8", "replace")[-3000:])
        answer = json.loads(line)
        if answer["timed_out"]:
            raise subprocess.TimeoutExpired(args, timeout, answer["stdout"], answer["stderr"])
        return subprocess.CompletedProcess(args, answer["returncode"], answer["stdout"],
                                           answer["stderr"])

    def summary(self, name: str, timeout: float = 120.0) -> dict:
        """Case ``name``'s summary (the JSON it prints), once it passed what every hostile case
        must: it ended within ``timeout`` with status 0 and no traceback."""
        import pytest  # noqa: PLC0415  (the zygote itself, run as a script, has no pytest)

        try:
            proc = self.run(name, timeout)
        except subprocess.TimeoutExpired:  # a backstop for a machine far busier than CPU time says
            pytest.fail(f"{name}: still running after {timeout:.0f} s")
        assert proc.returncode == 0, f"{name}: exit {proc.returncode}\n{proc.stderr[-2000:]}"
        assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
        return json.loads(proc.stdout)

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.errors.close()


if __name__ == "__main__":
    serve()
