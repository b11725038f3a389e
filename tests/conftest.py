"""Fixtures shared by the test files: the project's paths and the bundled samples, loaded once.

The loaded logs are session-wide and must not be changed by a test (``CaseLog`` is frozen,
but its ``events`` DataFrame is not): a test that needs to edit events works on
``log.events.copy()``. Each shared log is fingerprinted when it is loaded and checked again
at the end of the session, so a test that edits it in place makes the run fail by name.

(The settings every test run needs, notebooks included — the temporary Hypothesis folder,
``VITALE_REPORT_DIR`` — are in the project's top-level ``conftest.py``.)
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

import vitale_analysis as va

PROJECT = Path(__file__).resolve().parents[1]
DATA = PROJECT / "data"


class FrenchExport(NamedTuple):
    """The bundled French export and the mapping file that reads it."""

    path: Path
    mapping: Path


def _fingerprint(log: va.CaseLog) -> tuple:
    return (
        int(pd.util.hash_pandas_object(log.events, index=True).sum()),
        tuple(log.events.columns),
        tuple(map(str, log.events.dtypes)),
        int(pd.util.hash_pandas_object(log.quality.failures, index=True).sum()),
    )


def _load_unchanged(path: Path, **kwargs):
    """Load a bundled file quietly (the samples set rows aside on purpose) and yield it; at the
    end of the session, fail if a test changed it in place."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        log = va.load(path, **kwargs)
    before = _fingerprint(log)
    yield log
    assert _fingerprint(log) == before, (
        f"a test changed the shared log of {path.relative_to(PROJECT)} in place (tests/conftest.py); "
        "edit a copy instead: log.events.copy()"
    )


@pytest.fixture(scope="session")
def sample_path() -> Path:
    """``data/sample_caselog.csv``: 3,000 made-up dossiers, canonical columns."""
    return DATA / "sample_caselog.csv"


@pytest.fixture(scope="session")
def french_export() -> FrenchExport:
    """``data/sample_export_fr.csv`` (cp1252, ``;``, day-first dates) and its mapping file."""
    return FrenchExport(DATA / "sample_export_fr.csv", DATA / "sample_export_fr.mapping.toml")


@pytest.fixture(scope="session")
def sample_log(sample_path):
    """The bundled sample, read and validated (its 162 duplicated rows set aside, quietly)."""
    yield from _load_unchanged(sample_path)


@pytest.fixture(scope="session")
def french_log(french_export):
    """The bundled French export, read through its mapping file and validated."""
    yield from _load_unchanged(french_export.path, mapping=french_export.mapping)
