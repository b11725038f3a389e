"""Time PM4Py's side of the comparison, one backend per process (a PM4Py baseline).

Run with the PM4Py venv's interpreter (built by benchmarks/pm4py_env.sh), NEVER with
the project's own: PM4Py is not a dependency of vitale-analysis.

    VENV/bin/python benchmarks/pm4py_stages.py LOG.parquet pandas|polars [--key-columns]

LOG.parquet is an event log as written by vitale_analysis.simulate.write_events:
columns case_id (str), event (str), timestamp (naive datetime64[ns]) and the case
attributes trigger, office, channel, route, born_abroad, advisor.

Stages, timed one after the other in this one process with time.perf_counter
(imports are timed apart, as import_s, and counted in no total):

  read          pandas: pandas.read_parquet(LOG)            (pyarrow engine, default dtypes)
                polars: polars.read_parquet(LOG).lazy()     (eager read; PM4Py's polars
                        backend takes a polars.LazyFrame, not a polars.DataFrame:
                        an eager polars DataFrame is sent down the pandas path and
                        fails there: TypeError in format_dataframe)
  format        pm4py.format_dataframe(df, case_id="case_id", activity_key="event",
                        timestamp_key="timestamp")
                   pandas: copies the frame, tries to parse every string column as a
                        datetime, localises the timestamps to UTC, casts case and
                        activity to "string", sorts by case, timestamp, row index and
                        adds the @@index / @@case_index columns.
                   polars: the same steps as lazy expressions (pm4py.utils.format_dataframe
                        takes the is_polars_lazyframe branch), ending in
                        lf.collect().lazy(), so the work is done inside this stage.
  case_durations pm4py.get_all_case_durations(df, case_id_key="case:concept:name",
                        activity_key="concept:name", timestamp_key="time:timestamp")
                   dispatches on the frame's type to
                   pandas: pm4py.statistics.traces.generic.pandas.case_statistics.get_cases_description
                   polars: pm4py.statistics.traces.generic.polars.case_statistics.get_cases_description
                        (group_by case -> min/max timestamp -> collect, then one dict per case)
                   and returns the sorted list of durations in seconds.
  perf_dfg      pm4py.discover_performance_dfg(df, same keys)   (perf_aggregation_key="all":
                        mean, median, max, min, sum, stdev per edge; calendar time)
                   dispatches to
                   pandas: pm4py.algo.discovery.dfg.adapters.pandas.df_statistics.get_dfg_graph(measure="performance")
                           + pm4py.statistics.{start,end}_activities.pandas.get
                   polars: pm4py.algo.discovery.dfg.adapters.polars.df_statistics.get_dfg_graph(measure="performance")
                           + pm4py.statistics.{start,end}_activities.polars.get

These top-level pm4py functions are the documented entry points of both backends:
PM4Py 2.7.x has no separate polars API, it switches on whether the frame is a
polars.LazyFrame. --key-columns hands format_dataframe only case_id, event and
timestamp (a variant, not the default: the default mirrors the usual PM4Py recipe of
formatting the whole frame as read).

Prints ONE JSON line on stdout: stage seconds, total_s (format + case_durations +
perf_dfg), total_with_read_s, process peak RSS (ru_maxrss) after each stage and at the
end, versions, and a sanity check (cases with a duration, their median in days, DFG
edges, start and end activities) showing that the work was done. Warnings raised
during the stages go to stderr as usual and are listed in the JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
import warnings


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", help="event log in Parquet, or CSV (.csv: read with pandas.read_csv)")
    parser.add_argument("backend", choices=["pandas", "polars"])
    parser.add_argument("--key-columns", action="store_true",
                        help="format only case_id, event, timestamp (drop the case attributes)")
    parser.add_argument("--sep", default=",", help="CSV delimiter")
    parser.add_argument("--encoding", default="utf-8", help="CSV encoding")
    parser.add_argument("--case", default="case_id", help="case column name")
    parser.add_argument("--activity", default="event", help="activity column name")
    parser.add_argument("--timestamp", default="timestamp", help="timestamp column name")
    parser.add_argument("--timest-format", default=None, help="format_dataframe's timest_format (e.g. %%d/%%m/%%Y %%H:%%M)")
    args = parser.parse_args()
    csv_input = args.log.lower().endswith(".csv")

    t0 = time.perf_counter()
    sys._pm4py_welcome_shown = True  # PM4Py prints a licence banner on stderr when imported from __main__
    import importlib.metadata as md

    import pandas as pd
    import polars as pl
    import pm4py
    import_s = time.perf_counter() - t0
    import_peak_mb = round(peak_mb(), 1)

    keys = dict(case_id_key="case:concept:name", activity_key="concept:name",
                timestamp_key="time:timestamp")
    out: dict = {"backend": args.backend, "key_columns_only": args.key_columns}
    timings: dict = {}
    peaks: dict = {}

    def stage(name, fn):
        start = time.perf_counter()
        result = fn()
        timings[name] = time.perf_counter() - start
        peaks[name] = round(peak_mb(), 1)
        return result

    caught: list = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        if args.backend == "pandas" and csv_input:
            df = stage("read", lambda: pd.read_csv(args.log, sep=args.sep, encoding=args.encoding))
        elif args.backend == "pandas":
            df = stage("read", lambda: pd.read_parquet(args.log))
        else:
            df = stage("read", lambda: pl.read_parquet(args.log).lazy())
        if args.key_columns:
            cols = [args.case, args.activity, args.timestamp]
            df = df[cols] if args.backend == "pandas" else df.select(cols)
        df = stage("format", lambda: pm4py.format_dataframe(
            df, case_id=args.case, activity_key=args.activity, timestamp_key=args.timestamp,
            **({"timest_format": args.timest_format} if args.timest_format else {})))
        durations = stage("case_durations", lambda: pm4py.get_all_case_durations(df, **keys))
        perf_dfg, start_acts, end_acts = stage(
            "perf_dfg", lambda: pm4py.discover_performance_dfg(df, **keys))

    # Counts and checks, outside the timings.
    if args.backend == "pandas":
        events = len(df)
        cases = int(df["case:concept:name"].nunique())
    else:
        counts = df.select(pl.len().alias("n"),
                           pl.col("case:concept:name").n_unique().alias("c")).collect()
        events, cases = int(counts["n"][0]), int(counts["c"][0])
    with_duration = [d for d in durations if d is not None and d == d]
    # One edge both backends must agree on: the first (sorted) edge leaving the most
    # frequent start activity.
    top_start = max(sorted(start_acts), key=start_acts.get, default=None)
    some_edge = min((e for e in perf_dfg if e[0] == top_start), default=None)

    out.update({
        "events": events,
        "cases": cases,
        "read_s": round(timings["read"], 4),
        "format_s": round(timings["format"], 4),
        "case_durations_s": round(timings["case_durations"], 4),
        "perf_dfg_s": round(timings["perf_dfg"], 4),
        "total_s": round(timings["format"] + timings["case_durations"] + timings["perf_dfg"], 4),
        "total_with_read_s": round(sum(timings.values()), 4),
        "import_s": round(import_s, 4),
        "peak_mb": round(peak_mb(), 1),
        "peak_mb_after": {"import": import_peak_mb, **peaks},
        "pm4py": md.version("pm4py"),
        "polars": pl.__version__,
        "pandas": pd.__version__,
        "pyarrow": md.version("pyarrow"),
        "python": sys.version.split()[0],
        "sanity": {
            "cases_with_duration": len(with_duration),
            "median_case_duration_days": (round(statistics.median(with_duration) / 86400, 4)
                                          if with_duration else None),
            "dfg_edges": len(perf_dfg),
            "start_activities": len(start_acts),
            "end_activities": len(end_acts),
            "edge_from_top_start": (None if some_edge is None else {
                "edge": list(some_edge),
                "mean_days": round(perf_dfg[some_edge]["mean"] / 86400, 4),
                "median_days": round(perf_dfg[some_edge]["median"] / 86400, 4),
            }),
        },
        "warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught}),
    })
    for w in caught:
        print(f"warning: {w.category.__name__}: {w.message}", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
