"""Draw every chart of vitale_analysis.plots from the bundled sample into docs/charts/.

    python docs/make_charts.py            # English and French PNGs (150 dpi: light enough for the repository)
    python docs/make_charts.py --dpi 300  # report quality, save_figure's default
    python docs/make_charts.py --out DIR  # somewhere else
    python docs/make_charts.py --only process_map  # one chart (both languages), the others left as they are

Every number comes from the package's pure functions; this script only calls
them and the plots, as a notebook would. The output is reproducible: same
sample, same charts.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import vitale_analysis as va  # noqa: E402
from vitale_analysis import chartdata, plots, report  # noqa: E402
from vitale_analysis.labels import with_trigger_labels  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_caselog.csv"
AS_OF = "2025-06-30"
TIMELINE_CASE = "D000425"  # open, two delay triggers, a phase done out of order


def draw_all(out: Path, *, langs=("en", "fr"), dpi: int = 150, only=None) -> list[Path]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)  # the sample has duplicate rows on purpose
        log = va.load(SAMPLE)
    cases = va.case_table(log, as_of=AS_OF)
    quartiles = chartdata.phase_quartiles(cases)
    quartiles_channel = chartdata.phase_quartiles(cases, by="channel")
    to_rights = chartdata.km_curves(chartdata.milestone_times(cases, "rights_opened", by="channel"), by="channel")
    in_rights = chartdata.km_curves(chartdata.phase_times(cases, "rights", by="born_abroad"), by="born_abroad")
    worklist = va.stalled(cases)
    stalled = chartdata.stalled_matrix(worklist, cases=cases, thresholds=va.phase_thresholds(cases))
    ages = chartdata.open_by_age(cases)
    triggers = with_trigger_labels(va.trigger_summary(cases), log.process)
    pareto_days = chartdata.trigger_pareto(triggers)
    pareto_cases = chartdata.trigger_pareto(triggers, value="cases_affected")
    flow = va.throughput(cases, freq="M")
    waiting = va.waiting_on_summary(cases, by="channel")
    timeline = chartdata.dossier_timeline(cases, TIMELINE_CASE)
    rights_weeks = va.forecast_completions(cases)  # (estimates from past dossiers, per week)
    # (the moves of at least 2% of the dossiers: the report's filter)
    moves = va.process_map(cases, min_share=report.PMAP_MIN_SHARE)

    charts = {
        "phase_durations": lambda lang: plots.plot_phase_durations(quartiles, lang=lang),
        "phase_durations_by_channel": lambda lang: plots.plot_phase_durations(quartiles_channel, lang=lang),
        "time_to_rights_by_channel": lambda lang: plots.plot_survival(to_rights, lang=lang),
        "rights_phase_by_born_abroad": lambda lang: plots.plot_survival(in_rights, lang=lang),
        "stalled_by_office": lambda lang: plots.plot_stalled_heatmap(stalled, lang=lang),
        "open_by_age": lambda lang: plots.plot_open_by_age(ages, lang=lang),
        "trigger_pareto_days": lambda lang: plots.plot_trigger_pareto(pareto_days, lang=lang),
        "trigger_pareto_cases": lambda lang: plots.plot_trigger_pareto(pareto_cases, lang=lang),
        "throughput": lambda lang: plots.plot_throughput(flow, population=cases, lang=lang),
        "wip": lambda lang: plots.plot_wip(flow, population=cases, lang=lang),
        "waiting_on_by_channel": lambda lang: plots.plot_waiting_on(waiting, population=cases, lang=lang),
        "dossier_timeline": lambda lang: plots.plot_dossier_timeline(timeline, lang=lang),
        "forecast_rights_per_week": lambda lang: plots.plot_forecast_completions(rights_weeks, lang=lang),
        "process_map": lambda lang: plots.plot_process_map(moves, lang=lang),
    }
    unknown = sorted(set(only or ()) - set(charts))
    if unknown:
        raise SystemExit(f"--only {', '.join(unknown)}: no such chart. Charts are: {', '.join(charts)}")
    written = []
    for name, draw in charts.items():
        if only and name not in only:
            continue
        for lang in langs:
            ax = draw(lang)
            written.append(plots.save_figure(ax.figure, out / f"{name}_{lang}.png", dpi=dpi))
            plt.close(ax.figure)
    return written


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "charts")
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--lang", choices=["en", "fr"], action="append")
    parser.add_argument("--only", action="append", metavar="NAME", help="draw only this chart (repeatable)")
    args = parser.parse_args(argv)
    for path in draw_all(args.out, langs=tuple(args.lang or ("en", "fr")), dpi=args.dpi, only=args.only):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
