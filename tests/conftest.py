"""Test-wide settings: Hypothesis keeps its files in a temporary folder, not in the checkout."""

from __future__ import annotations

import atexit
import shutil
import tempfile

from hypothesis import configuration

# Hypothesis writes a cache (and an example database) under .hypothesis/ of the working
# directory, from the moment tests are collected: the suite leaves the checkout as it found it.
_HOME = tempfile.mkdtemp(prefix="vitale-hypothesis-")
configuration.set_hypothesis_home_dir(_HOME)
atexit.register(shutil.rmtree, _HOME, True)
