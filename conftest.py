"""Test-wide settings: the test run leaves the checkout as it found it.

This file is at the top of the project so that it applies to every test path, the
notebooks run by nbval included (``tests/conftest.py`` holds the fixtures of the test files).

* Hypothesis keeps its cache and example database in a temporary folder, not in
  ``.hypothesis/`` of the working directory.
* The notebooks write the report into ``out_dir``, ``report/`` unless the environment
  variable ``VITALE_REPORT_DIR`` names another folder (notebook 05's parameters cell). The
  run sets it to a temporary folder before any kernel starts (nbval's kernels and the
  notebook servers of the browser tests inherit the environment), so an advisor's own
  report in ``report/`` is never replaced by the sample's.
* ``report/`` is checked at the end of the run: if anything in it changed, the run fails
  and names the files. A ``report/`` the run created is removed (one that was there
  before is left alone).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import configuration

_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="vitale-hypothesis-")
configuration.set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, True)

_REPORT = Path(__file__).resolve().parent / "report"
_REPORT_DIR_BEFORE = os.environ.get("VITALE_REPORT_DIR")


def pytest_configure(config):
    # Set here, before collection: nbval starts each notebook's kernel with this environment.
    folder = tempfile.mkdtemp(prefix="vitale-report-")
    os.environ["VITALE_REPORT_DIR"] = folder
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def pytest_unconfigure(config):
    if _REPORT_DIR_BEFORE is None:
        os.environ.pop("VITALE_REPORT_DIR", None)
    else:
        os.environ["VITALE_REPORT_DIR"] = _REPORT_DIR_BEFORE


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="session", autouse=True)
def _report_folder_left_as_found():
    existed = _REPORT.exists()
    before = _snapshot(_REPORT)
    yield
    after = _snapshot(_REPORT)
    if not existed and _REPORT.is_dir():
        shutil.rmtree(_REPORT, ignore_errors=True)
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert not changed, (
        f"the test run wrote into {_REPORT} (an advisor's own report lives there): {changed[:10]}; "
        "a test must write into tmp_path, and a notebook into out_dir (VITALE_REPORT_DIR, set by conftest.py). "
        "(Or another program wrote there while the tests ran.)"
    )
