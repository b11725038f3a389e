"""The README's Python examples run as written, from the project folder, on the bundled sample.

Blocks that read an advisor's own file (``mon_export.csv``, ``big.parquet``) are run with
those names pointed at the bundled French export and a Parquet copy of the sample.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import vitale_analysis as va  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture(scope="module")
def own_files(tmp_path_factory):
    """Stand-ins for the files an advisor names in the README."""
    folder = tmp_path_factory.mktemp("readme")
    # The bundled French export, with the column of social security numbers an advisor's may have
    # (made-up numbers with the right key: 97 - number mod 97).
    lines = (ROOT / "data" / "sample_export_fr.csv").read_text(encoding="cp1252").splitlines()
    numbers = [184127645108900 + 1000 * i for i in range(len(lines) - 1)]
    nirs = [f"{n // 100:013d}{97 - (n // 100) % 97:02d}" for n in numbers]
    rows = [lines[0] + ";nir"] + [f"{line};{nir}" for line, nir in zip(lines[1:], nirs)]
    (folder / "mon_export.csv").write_text("\r\n".join(rows) + "\r\n", encoding="cp1252")
    (folder / "mon_export.mapping.toml").write_bytes((ROOT / "data" / "sample_export_fr.mapping.toml").read_bytes())
    va.write_events(va.simulate(200, seed=3, as_of="2025-06-30"), folder / "big.parquet")
    return folder


def test_the_readme_has_python_examples():
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_readme_example_runs(number, own_files, monkeypatch):
    monkeypatch.chdir(ROOT)  # the examples name data/… from the project folder
    namespace: dict = {}
    # The blocks build on each other (log, cases, raw): run the earlier ones first.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        for block in BLOCKS[:number + 1]:
            exec(compile(_rewrite(block, own_files), "README.md", "exec"), namespace)
    plt.close("all")


def _rewrite(code: str, folder: Path) -> str:
    """The advisor's own files, and the files an example writes, in a temporary folder."""
    stand_ins = {"mon_export.csv": "mon_export.csv", "mon_export.mapping.toml": "mon_export.mapping.toml",
                 "big.parquet": "big.parquet", "folder_or_file.parquet": "big.parquet", "phases.png": "phases.png"}
    for name, stand_in in stand_ins.items():
        code = code.replace(f'"{name}"', repr(str(folder / stand_in)))
    return code
