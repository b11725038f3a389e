"""Write the input files advisors and funds actually export, for bench_inputs.py (issue 17).

Independent of vitale_analysis.simulate on purpose: plain NumPy draws a route per
dossier, and each file is written the way another program would write it (string
columns, rows in export order rather than case order, re-logged events, other
column and label names). Nothing here imports vitale_analysis, so a bug shared by
the simulator and the reader cannot hide in the benchmark.

    python benchmarks/make_inputs.py 100000 --out /tmp/vitale_inputs [--kinds fr,csv,parquet,pq_fr,xlsx]

Files (N = dossiers):

* ``fr_N.csv`` + ``fr.mapping.toml``: a French spreadsheet export: cp1252, ``;``,
  day-first ``dd/mm/yyyy HH:MM``, French headers and labels (those of
  data/sample_export_fr.mapping.toml), rows sorted by date (not by dossier);
* ``canonical_N.csv``: UTF-8, ``,``, canonical names and labels, ISO times, rows
  in the order the events were logged (by date, not by dossier);
* ``pq_fr_N.parquet`` (+ the same mapping): plain string columns (no dictionary
  type in the schema) with the French names and labels, times as text;
* ``canonical_N.parquet``: canonical names, plain string columns, times as a
  timestamp column;
* ``export_N.xlsx``: the French export as one Excel sheet (90,000 dossiers is
  close to Excel's 1,048,576-row limit).

About 2% of events are logged twice (the same row again, further down) and 1% are
re-logged later with a different time, as case-management tools do.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MAPPING = HERE.parent / "data" / "sample_export_fr.mapping.toml"

# A route: the events in their usual order; optional ones are drawn per dossier.
ROUTE = [
    ("registration_submitted", 1.0), ("registration_accepted", 0.98), ("nia_assigned", 0.3),
    ("nir_permanent", 0.95), ("documents_collected", 0.93), ("s1106_completed", 0.9),
    ("dossier_submitted", 0.9), ("submission_confirmed", 0.7), ("complement_requested", 0.25),
    ("complement_sent", 0.22), ("followup_message", 0.3), ("followup_call", 0.1), ("rights_opened", 0.8),
    ("card_requested", 0.75), ("card_received", 0.7), ("card_activated", 0.65), ("first_reimbursement", 0.55),
]
TRIGGERS = ["birth_certificate_format", "missing_translation", "address_proof_expired", "unreadable_scan",
            "rib_mismatch", "identity_inconsistency", "nia_not_permanent", "no_response"]
OFFICES = [f"CPAM {d:02d}" for d in (13, 31, 33, 34, 44, 59, 67, 69, 75, 92, 93, 94)]
CHANNELS = ["ameli", "postal"]
ROUTES = ["self_employed", "salaried"]
ADVISORS = [f"A{k:02d}" for k in range(1, 41)]
CANONICAL = ["case_id", "event", "timestamp", "trigger", "office", "channel", "route", "born_abroad", "advisor"]


def events(n_cases: int, seed: int = 7) -> dict[str, np.ndarray]:
    """One row per logged event, in logging order (by time), as string arrays (canonical labels)."""
    rng = np.random.default_rng(seed)
    # How far along each dossier got: a prefix of its drawn route (open dossiers stop early).
    take = np.array([rng.random(n_cases) < p for _, p in ROUTE])  # (steps, cases)
    take[0] = True
    stop = rng.integers(1, len(ROUTE) + 1, n_cases)
    stop = np.where(rng.random(n_cases) < 0.6, len(ROUTE), stop)  # 60% get to the end of their route
    take &= np.arange(len(ROUTE))[:, None] < stop[None, :]
    step_idx, case_idx = np.nonzero(take)
    order = np.lexsort((step_idx, case_idx))
    case_idx, step_idx = case_idx[order], step_idx[order]
    start = np.datetime64("2023-01-02T08:00") + rng.integers(0, 700 * 24 * 60, n_cases).astype("timedelta64[m]")
    gap = rng.gamma(1.5, 4 * 24 * 60, len(case_idx)).astype("int64").astype("timedelta64[m]")
    first = np.r_[True, case_idx[1:] != case_idx[:-1]]
    gap[first] = np.timedelta64(0, "m")
    cum = np.cumsum(gap.astype(np.int64))
    base = np.maximum.accumulate(np.where(first, cum, 0))
    times = start[case_idx] + (cum - base).astype("timedelta64[m]")
    trig = np.where(rng.random(len(case_idx)) < 0.06, rng.integers(0, len(TRIGGERS), len(case_idx)), -1)
    n = len(case_idx)
    # Re-logged events: 2% the very same row again, 1% the same event a few hours later.
    again = rng.random(n) < 0.02
    later = rng.random(n) < 0.01
    idx = np.concatenate([np.arange(n), np.flatnonzero(again), np.flatnonzero(later)])
    shift = np.zeros(len(idx), dtype="timedelta64[m]")
    shift[n + again.sum():] = rng.integers(60, 600, later.sum()).astype("timedelta64[m]")
    case_idx, step_idx, trig, times = case_idx[idx], step_idx[idx], trig[idx], times[idx] + shift
    by_time = np.argsort(times, kind="stable")  # the export lists events by date
    case_idx, step_idx, trig, times = case_idx[by_time], step_idx[by_time], trig[by_time], times[by_time]
    names = np.array([name for name, _ in ROUTE], dtype=object)
    case_ids = np.char.add("D", np.char.zfill(np.arange(1, n_cases + 1).astype(str), 7)).astype(object)
    office = rng.integers(0, len(OFFICES), n_cases)
    channel = rng.integers(0, len(CHANNELS), n_cases)
    route = (rng.random(n_cases) < 0.05).astype(int)
    abroad = rng.random(n_cases) < 0.4
    advisor = rng.integers(0, len(ADVISORS), n_cases)
    trig_names = np.array(TRIGGERS + [""], dtype=object)
    return {
        "case_id": case_ids[case_idx],
        "event": names[step_idx],
        "timestamp": times,
        "trigger": trig_names[trig],
        "office": np.array(OFFICES, dtype=object)[office[case_idx]],
        "channel": np.array(CHANNELS, dtype=object)[channel[case_idx]],
        "route": np.array(ROUTES, dtype=object)[route[case_idx]],
        "born_abroad": np.where(abroad[case_idx], "true", "false").astype(object),
        "advisor": np.array(ADVISORS, dtype=object)[advisor[case_idx]],
    }


def french(ev: dict[str, np.ndarray]) -> tuple[list[str], dict[str, np.ndarray]]:
    """The French export's headers and labels (the inverse of the sample's mapping)."""
    spec = tomllib.loads(MAPPING.read_text(encoding="utf-8"))
    header = {canonical: label for label, canonical in spec["columns"].items()}
    out = {}
    for column in CANONICAL:
        values = ev[column]
        table = spec.get("values", {}).get(column)
        if table:
            inverse = {}
            for label, value in table.items():
                inverse.setdefault(str(value).lower() if isinstance(value, bool) else value, label)
            uniq, inv = np.unique(values.astype(str), return_inverse=True)
            values = np.array([inverse.get(u, u) for u in uniq], dtype=object)[inv]
        out[header[column]] = values
    ts = ev["timestamp"].astype("datetime64[m]").astype(str)  # 2024-03-05T14:18
    uniq, inv = np.unique(ts, return_inverse=True)
    fr = np.array([f"{u[8:10]}/{u[5:7]}/{u[0:4]} {u[11:16]}" for u in uniq], dtype=object)
    out[header["timestamp"]] = fr[inv]
    return list(out), out


def _write_csv(path: Path, header: list[str], columns: dict[str, np.ndarray], sep: str, encoding: str) -> None:
    import pandas as pd

    frame = pd.DataFrame({h: columns[h] for h in header})
    frame.to_csv(path, sep=sep, index=False, encoding=encoding, lineterminator="\r\n" if sep == ";" else "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", type=int)
    parser.add_argument("--out", type=Path, default=Path("/tmp/vitale_inputs"))
    parser.add_argument("--kinds", default="fr,csv,parquet,pq_fr")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    import pandas as pd

    args.out.mkdir(parents=True, exist_ok=True)
    n = args.cases
    ev = events(n, args.seed)
    kinds = set(args.kinds.split(","))
    (args.out / "fr.mapping.toml").write_bytes(MAPPING.read_bytes())
    if kinds & {"fr", "pq_fr", "xlsx"}:
        header, fr = french(ev)
        if "fr" in kinds:
            _write_csv(args.out / f"fr_{n}.csv", header, fr, ";", "cp1252")
        if "pq_fr" in kinds:
            pd.DataFrame({h: pd.array(fr[h], dtype=object) for h in header}).to_parquet(
                args.out / f"pq_fr_{n}.parquet", index=False)
        if "xlsx" in kinds:  # openpyxl's write-only mode: rows streamed, not held as cell objects
            import openpyxl

            book = openpyxl.Workbook(write_only=True)
            sheet = book.create_sheet("Journal")
            sheet.append(header)
            for row in zip(*(fr[h].tolist() for h in header)):
                sheet.append([None if v == "" else v for v in row])
            book.save(args.out / f"export_{n}.xlsx")
    if "csv" in kinds:
        iso = dict(ev, timestamp=np.datetime_as_string(ev["timestamp"].astype("datetime64[s]")).astype(object))
        iso["timestamp"] = np.char.replace(iso["timestamp"].astype(str), "T", " ").astype(object)
        _write_csv(args.out / f"canonical_{n}.csv", CANONICAL, iso, ",", "utf-8")
    if "parquet" in kinds:
        frame = pd.DataFrame({c: ev[c] for c in CANONICAL})
        frame["timestamp"] = pd.to_datetime(ev["timestamp"]).astype("datetime64[us]")
        frame.to_parquet(args.out / f"canonical_{n}.parquet", index=False)
    print(f"{len(ev['case_id']):,} events for {n:,} dossiers in {args.out}")


if __name__ == "__main__":
    main()
