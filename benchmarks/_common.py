"""What every benchmark script records: the machine, the versions, the commit measured."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def machine(*modules: str) -> dict[str, str]:
    """``when`` (UTC), ``machine`` (OS, CPUs, RAM) and ``versions`` (Python, the package, pandas,
    NumPy, pyarrow and any other ``modules`` named)."""
    cpu = platform.processor() or platform.machine()
    ram = "RAM unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
        ram = f"{mem_kb / 2**20:.0f} GB RAM"
    except (OSError, StopIteration):
        pass
    names = ["vitale_analysis", "pandas", "numpy", "pyarrow", *modules]
    versions = [f"Python {platform.python_version()}"] + [
        f"{name.replace('_', '-')} {importlib.import_module(name).__version__}" for name in names]
    return {
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), {ram}",
        "versions": ", ".join(versions),
        "commit": revision(),
    }


def revision() -> str:
    """The commit measured, and whether the package had uncommitted changes."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "vitale_analysis")
    return commit + (" with uncommitted changes to vitale_analysis/" if dirty else "")
