"""vitale-analysis: measure a Carte Vitale caseload honestly, open dossiers included.

Data flow (see DESIGN.md): ``read_caselog`` → ``validate`` (→ ``CaseLog`` with a
``QualityReport``) → ``case_table`` / ``phase_durations``. ``load`` reads and
validates in one call.
"""

from .cases import PHASE_STATES, case_table, phase_durations
from .errors import CaseLogError, DataQualityWarning
from .process import CARTE_VITALE, Phase, ProcessModel, Trigger
from .read import read_caselog, read_mapping
from .simulate import SimulationParams, simulate, write_events
from .validate import CHECKS, CaseLog, QualityReport, load, validate

__version__ = "0.1.0"

__all__ = [
    "CARTE_VITALE",
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
    "load",
    "phase_durations",
    "read_caselog",
    "read_mapping",
    "simulate",
    "SimulationParams",
    "validate",
    "write_events",
]
