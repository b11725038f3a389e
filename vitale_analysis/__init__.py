"""vitale-analysis: measure a Carte Vitale caseload honestly, open dossiers included.

Data flow (see DESIGN.md): ``read_caselog`` → ``validate`` (→ ``CaseLog`` with a
``QualityReport``) → ``case_table`` / ``phase_durations`` → ``phase_summary``,
``trigger_summary``, ``stalled``, ``conformance``, ``throughput``, ``waiting_on``.
``load`` reads and validates in one call; ``simulate`` makes a synthetic caseload.
"""

from .batches import case_table_batched, iter_case_batches
from .cases import PHASE_STATES, case_table, phase_durations
from .conformance import CONFORMANCE_KINDS, conformance
from .errors import CaseLogError, DataQualityWarning
from .flow import WAITING_COLUMNS, throughput, waiting_on, waiting_on_summary
from .privacy import mask_frame, mask_identifier, nir_columns, pseudonymise
from .process import CARTE_VITALE, Phase, ProcessModel, Trigger
from .read import read_caselog, read_mapping
from .simulate import SimulationParams, simulate, write_events
from .stalls import NEXT_ACTION_REASONS, phase_thresholds, stalled
from .summaries import phase_summary, trigger_summary
from .validate import CHECKS, CaseLog, QualityReport, load, validate

__version__ = "0.1.0"

__all__ = [
    "CARTE_VITALE",
    "CONFORMANCE_KINDS",
    "mask_frame",
    "NEXT_ACTION_REASONS",
    "WAITING_COLUMNS",
    "conformance",
    "phase_summary",
    "phase_thresholds",
    "stalled",
    "throughput",
    "trigger_summary",
    "waiting_on",
    "waiting_on_summary",
    "CHECKS",
    "PHASE_STATES",
    "CaseLog",
    "CaseLogError",
    "DataQualityWarning",
    "Phase",
    "ProcessModel",
    "QualityReport",
    "Trigger",
    "case_table",
    "case_table_batched",
    "iter_case_batches",
    "load",
    "mask_identifier",
    "nir_columns",
    "pseudonymise",
    "phase_durations",
    "read_caselog",
    "read_mapping",
    "simulate",
    "SimulationParams",
    "validate",
    "write_events",
]
