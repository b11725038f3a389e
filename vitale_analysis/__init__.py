"""vitale-analysis: measure a Carte Vitale caseload honestly, open dossiers included.

The data flow, one direction (DESIGN.md), and the module of each step:

1. ``read``      — :func:`read_caselog`: a file or DataFrame → :class:`RawLog`
   (``assistant``: :func:`suggest_mapping` proposes the mapping that reads an export)
   (``csvfast``: CSV through Arrow's parser, each distinct value decoded once)
2. ``validate``  — :func:`validate` → :class:`CaseLog` (``caselog``: the log and its
   :class:`QualityReport`); :func:`load` does 1 and 2 in one call (``engine="dask"``: on a
   Dask cluster, ``distributed``)
3. ``cases``     — :func:`case_table` → :class:`CaseTable`; :func:`phase_durations`
4. analyses      — ``summaries`` (:func:`phase_summary`, :func:`trigger_summary`),
   ``compare`` (:func:`compare_cohorts`, :func:`phase_trend`), ``forecast``
   (:func:`forecast`, :func:`forecast_completions`, :func:`backtest_forecast`),
   ``stalls`` (:func:`stalled`), ``conformance``, ``flow`` (:func:`throughput`,
   :func:`waiting_on`), ``processmap`` (:func:`process_map`, :func:`variants`,
   :func:`rework`): each takes a CaseLog or a CaseTable, ``as_of=``, and
   ``by=`` / ``days=`` where they mean something
5. presentation  — ``labels`` (words for keys), ``chartdata`` and ``plots``
   (charts), ``report``, ``widgets``, ``cli``

Under them: ``timeutil`` (:class:`AsOf`, the one as-of rule; days), ``codes``
(integer codes: stored narrow, widened for arithmetic), ``km`` (Kaplan–Meier),
``eventcore`` (the per-dossier arrays the analyses share), ``cohorts``,
``privacy``, ``process``, ``errors``. Beside the flow: ``simulate`` (the sample),
``batches`` (caseloads larger than memory), ``sharing`` (pseudonymised copies),
``interop`` (:func:`to_pm4py`, :func:`write_xes`: the events for other process-mining tools).
"""

from ._version import __version__
from .assistant import MappingSuggestion, suggest_mapping
from .batches import case_table_batched, iter_case_batches
from .caselog import CHECKS, CaseLog, QualityReport
from .cases import PHASE_STATES, CaseTable, case_table, phase_durations
from .compare import compare_cohorts, phase_trend
from .conformance import CONFORMANCE_KINDS, conformance
from .display import describe, readable
from .errors import CaseLogError, DataQualityWarning
from .forecast import FORECAST_COLUMNS, FORECAST_DRAWS, backtest_forecast, forecast, forecast_completions
from .interop import to_pm4py, write_xes
from .flow import WAITING_COLUMNS, throughput, waiting_on, waiting_on_summary
from .processmap import END, OPEN, START, ProcessMap, process_map, rework, rework_summary, variants
from .privacy import mask_frame, mask_identifier, nir_columns
from .process import CARTE_VITALE, HolidayRules, Phase, ProcessModel, Trigger
from .read import RawLog, read_caselog, read_mapping
from .sharing import pseudonymise
from .simulate import SimulationParams, simulate, write_events
from .stalls import NEXT_ACTION_REASONS, phase_thresholds, stalled
from .summaries import phase_summary, trigger_events, trigger_summary
from .timeutil import AsOf
from .validate import validate
from .distributed import load  # (validate's load, or engine="dask": a DistributedLog)

__all__ = [
    # reading and validating
    "RawLog",
    "read_caselog",
    "read_mapping",
    "suggest_mapping",
    "MappingSuggestion",
    "validate",
    "load",
    "CaseLog",
    "QualityReport",
    "CHECKS",
    # the case table
    "AsOf",
    "CaseTable",
    "case_table",
    "phase_durations",
    "PHASE_STATES",
    "case_table_batched",
    "iter_case_batches",
    # analyses
    "phase_summary",
    "trigger_summary",
    "trigger_events",
    "compare_cohorts",
    "phase_trend",
    "forecast",
    "forecast_completions",
    "backtest_forecast",
    "FORECAST_COLUMNS",
    "FORECAST_DRAWS",
    "stalled",
    "phase_thresholds",
    "NEXT_ACTION_REASONS",
    "conformance",
    "CONFORMANCE_KINDS",
    "throughput",
    "waiting_on",
    "waiting_on_summary",
    "WAITING_COLUMNS",
    "process_map",
    "ProcessMap",
    "variants",
    "rework",
    "rework_summary",
    "START",
    "END",
    "OPEN",
    # the process model
    "CARTE_VITALE",
    "Phase",
    "ProcessModel",
    "Trigger",
    "HolidayRules",
    # privacy
    "mask_frame",
    "mask_identifier",
    "nir_columns",
    "pseudonymise",
    # other process-mining tools
    "to_pm4py",
    "write_xes",
    # sample data
    "simulate",
    "SimulationParams",
    "write_events",
    # errors
    "CaseLogError",
    "DataQualityWarning",
    # tables and a log in words (English or French)
    "describe",
    "readable",
]
