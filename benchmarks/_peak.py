"""Peak memory of the calling process, as the benchmarks report it.

``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is not the process's own figure on Linux
when a large parent started it: the kernel carries the parent's resident set over fork and
exec into the child's high-water mark, so a worker spawned by a benchmark that had just
generated gigabytes of data reports the parent's size. ``VmHWM`` in ``/proc/self/status``
belongs to the current address space, which exec replaces, so it is the worker's own.
Elsewhere (no ``/proc``) ``ru_maxrss`` is all there is (kilobytes on Linux, bytes on macOS).
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """Return this process's peak resident set size in MiB (``VmHWM`` where Linux has it)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024
