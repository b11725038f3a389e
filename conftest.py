"""Test-wide settings: the test run leaves the checkout as it found it.

* Hypothesis keeps its cache and example database in a temporary folder, not in
  ``.hypothesis/`` of the working directory.
* The notebooks write the report where an advisor finds it, ``report/``: a folder the
  run made is removed at its end (one that was there before is left alone).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import configuration

_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="vitale-hypothesis-")
configuration.set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, True)

_REPORT = Path(__file__).resolve().parent / "report"


@pytest.fixture(scope="session", autouse=True)
def _no_report_folder_left_behind():
    existed = _REPORT.exists()
    yield
    if not existed and _REPORT.is_dir():
        shutil.rmtree(_REPORT, ignore_errors=True)
