"""LibreOffice, headless, for the binary Office formats (DOC, WPS, RTF, XLS).

:func:`convert` turns such a file into DOCX or XLSX with ``soffice --headless --convert-to``
in a subprocess, so the DOCX and XLSX readers read every Word and Excel report. Each Python
process uses a profile directory of its own (``-env:UserInstallation``): two processes sharing
one profile block each other, and a user's own LibreOffice profile is never touched. A
conversion that hangs is killed with its whole process group after ``timeout`` seconds
(:data:`parsers.limits.OFFICE_TIMEOUT`), and LibreOffice may not use more address space than
:data:`parsers.limits.OFFICE_MEMORY` (a hostile file then makes it fail, not the machine swap).

Debian packages: ``libreoffice-writer-nogui`` (DOC/WPS/RTF) and ``libreoffice-calc-nogui``
(XLS). Where ``soffice`` is missing :class:`OfficeUnavailable` is raised and the record says so.
"""

from __future__ import annotations

import atexit
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from . import limits

_LOCK = threading.Lock()  # one profile per process: conversions in one process take turns
_PROFILE: tuple[int, Path] | None = None  # (pid, directory): a forked child makes its own


class OfficeUnavailable(RuntimeError):
    """LibreOffice (``soffice``) is not installed."""


class ConversionFailed(RuntimeError):
    """LibreOffice ran but produced no file (a damaged or encrypted document, a timeout)."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _profile() -> Path:
    global _PROFILE
    if _PROFILE is None or _PROFILE[0] != os.getpid():
        path = Path(tempfile.mkdtemp(prefix=f"govreports-lo-{os.getpid()}-"))
        atexit.register(shutil.rmtree, path, True)
        _PROFILE = (os.getpid(), path)
    return _PROFILE[1]


def _limit_memory(pid: int) -> None:
    """Cap the launcher's address space; ``soffice.bin``, started by it, inherits the cap.
    (Set from the parent rather than in a ``preexec_fn``, which is unsafe in threaded
    programs such as a crawl; the launcher takes far longer to start its child.)"""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = limits.OFFICE_MEMORY if hard == resource.RLIM_INFINITY else min(hard, limits.OFFICE_MEMORY)
        resource.prlimit(pid, resource.RLIMIT_AS, (cap, cap))
    except (OSError, ValueError, AttributeError):  # not Linux, or the process already gone
        pass


def convert(body: bytes, source_suffix: str, target: str, timeout: float | None = None) -> bytes:
    """``body`` (a ``source_suffix`` file such as ``doc``) converted to ``target`` (``docx``
    or ``xlsx``) by LibreOffice, within ``timeout`` seconds (default
    :data:`~parsers.limits.OFFICE_TIMEOUT`)."""
    timeout = limits.OFFICE_TIMEOUT if timeout is None else timeout
    binary = soffice()
    if binary is None:
        raise OfficeUnavailable("LibreOffice (soffice) is not installed")
    with _LOCK, tempfile.TemporaryDirectory(prefix="govreports-convert-") as tmp:
        src = Path(tmp) / f"in.{source_suffix}"
        src.write_bytes(body)
        outdir = Path(tmp) / "out"
        cmd = [binary, f"-env:UserInstallation={_profile().as_uri()}", "--headless",
               "--norestore", "--nolockcheck", "--convert-to", target, "--outdir", str(outdir),
               str(src)]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
        _limit_memory(proc.pid)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.communicate()
            raise ConversionFailed(f"LibreOffice did not finish within {timeout:g} s") from None
        if proc.returncode < 0:
            raise ConversionFailed(f"LibreOffice was killed by signal {-proc.returncode}")
        out = outdir / f"in.{target}"
        if not out.exists():
            detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
            raise ConversionFailed("LibreOffice could not convert the file"
                                   + (f": {detail[0]}" if detail else ""))
        return out.read_bytes()


def _kill_group(pgid: int) -> None:
    """Kill what is left of the conversion's process group (soffice.bin is a child of the
    launcher, started in a session of its own)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
