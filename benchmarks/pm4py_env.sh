#!/usr/bin/env bash
# Build the separate virtual environment for the PM4Py baseline (benchmarks/pm4py_stages.py).
#
# PM4Py is NEVER a dependency of vitale-analysis: it lives only in this venv, which
# the benchmark drives as a child process.
#
#   bash benchmarks/pm4py_env.sh [VENV_DIR]      # default: benchmarks/.venv-pm4py (gitignored)
#   VENV_DIR/bin/python benchmarks/pm4py_stages.py LOG.parquet pandas|polars
#
# Pins: pm4py with its "polars" extra (its polars backend takes a Polars LazyFrame;
# pm4py 2.7.23.11 declares polars>=1.40.1,<3), polars, and pyarrow for
# pandas.read_parquet. pandas and NumPy are pinned to the versions of the project's
# own venv so that the pandas backend runs on the same pandas as vitale-analysis.
# Re-running on an existing venv just re-checks the pins. Override the interpreter
# with PYTHON=/path/to/python3 (PM4Py needs Python >= 3.11).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$here/.venv-pm4py}"
python="${PYTHON:-python3}"

PM4PY_VERSION=2.7.23.11
POLARS_VERSION=2.1.0
PYARROW_VERSION=26.0.1
PANDAS_VERSION=3.1.1
NUMPY_VERSION=2.4.6

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet \
    "pm4py[polars]==$PM4PY_VERSION" \
    "polars==$POLARS_VERSION" \
    "pyarrow==$PYARROW_VERSION" \
    "pandas==$PANDAS_VERSION" \
    "numpy==$NUMPY_VERSION"

# Fail now, not in the benchmark, if either backend cannot be imported.
"$venv/bin/python" - <<'EOF'
import importlib.metadata as md
import pm4py, polars, pandas, pyarrow  # noqa: F401
from pm4py.algo.discovery.dfg.adapters.polars import df_statistics  # noqa: F401
from pm4py.statistics.traces.generic.polars import case_statistics  # noqa: F401
print("pm4py", md.version("pm4py"), "| polars", polars.__version__,
      "| pandas", pandas.__version__, "| pyarrow", pyarrow.__version__)
EOF
# The full resolved set, for the record (transitive dependencies are not pinned).
"$venv/bin/python" -m pip freeze > "$venv/pip-freeze.txt"
echo "PM4Py venv ready: $venv (full list in $venv/pip-freeze.txt)"
