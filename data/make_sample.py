"""Regenerate the bundled sample data (synthetic, seeded): ``python data/make_sample.py``.

Writes, next to this script:

- ``sample_caselog.csv``: 3,000 simulated dossiers, 18 months up to 30 June
  2025, in the canonical format (the same bytes as
  ``vitale-analysis simulate --cases 3000 --seed 20251 --as-of 2025-06-30
  --out data/sample_caselog.csv``);
- ``sample_export_fr.csv``: a slice of it (one advisor's dossiers opened in
  2025) written the way a French spreadsheet export looks: ``;`` delimiter,
  cp1252 encoding, CRLF line ends, French headers and labels, day-first dates
  like ``31/01/2025 14:30``, ``oui``/``non``;
- ``sample_export_fr.mapping.toml``: the mapping that reads that export back
  into the canonical format with ``read_caselog(path, mapping=...)``.

Every file is a pure function of the constants below and the package's
simulator: running the script twice gives the same bytes.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
try:
    import vitale_analysis  # noqa: F401
except ImportError:  # run from a checkout without installing: use the package beside data/
    sys.path.insert(0, str(HERE.parent))

import pandas as pd  # noqa: E402  (after the path set-up above)

from vitale_analysis.process import CARTE_VITALE  # noqa: E402
from vitale_analysis.simulate import simulate, write_events  # noqa: E402

SAMPLE_CASES = 3000
SAMPLE_SEED = 20251
SAMPLE_AS_OF = "2025-06-30"  # start defaults to 18 months earlier (first working day: 2024-01-02)
EXPORT_ADVISOR = "A02"
EXPORT_FROM = "2025-01-01"  # dossiers opened on or after this day

#: French headers of the export, for each canonical column.
FRENCH_COLUMNS = {
    "case_id": "N° dossier",
    "event": "Étape",
    "timestamp": "Date",
    "trigger": "Motif de retard",
    "office": "Caisse",
    "channel": "Canal",
    "route": "Parcours",
    "born_abroad": "Né à l'étranger",
    "advisor": "Conseiller",
}

#: The step labels an advisor writes in a French case log, one per event.
FRENCH_EVENTS = {
    "registration_submitted": "Déclaration d'activité déposée",
    "registration_accepted": "Déclaration d'activité acceptée",
    "nia_assigned": "NIA reçu (numéro provisoire)",
    "nir_permanent": "Numéro de sécurité sociale définitif reçu",
    "documents_collected": "Pièces justificatives réunies",
    "s1106_completed": "Formulaire S1106 rempli",
    "dossier_submitted": "Dossier d'ouverture de droits envoyé",
    "submission_confirmed": "Réception du dossier confirmée",
    "complement_requested": "Demande de complément reçue",
    "complement_sent": "Complément envoyé",
    "followup_message": "Relance par message sécurisé",
    "followup_call": "Appel au 3646",
    "complaint_filed": "Réclamation envoyée",
    "mediator_referral": "Saisine du médiateur",
    "rights_opened": "Attestation de droits disponible",
    "card_requested": "Carte Vitale commandée",
    "card_received": "Carte Vitale reçue",
    "activation_failed": "Échec de l'activation de la carte",
    "card_updated": "Carte mise à jour",
    "card_activated": "Carte Vitale activée",
    "first_reimbursement": "Premier remboursement reçu",
    "card_lost": "Carte perdue ou volée",
    "case_closed": "Dossier clos (abandon ou déménagement)",
}
FRENCH_CHANNELS = {"ameli": "Compte ameli", "postal": "Courrier"}
FRENCH_ROUTES = {"self_employed": "Indépendant", "salaried": "Salarié"}
FRENCH_BOOLEANS = {True: "oui", False: "non"}


def french_triggers(process=CARTE_VITALE) -> dict[str, str]:
    """Trigger key → its French label in the process model."""
    return {key: trigger.label_in("fr") for key, trigger in process.triggers.items()}


def french_export(events: pd.DataFrame, process=CARTE_VITALE) -> pd.DataFrame:
    """The canonical ``events`` relabelled as a French advisor's spreadsheet.

    Dates become day-first text to the minute (``31/01/2025 14:30``); steps,
    triggers, channel, route and yes/no get French labels; headers are French.
    """
    missing = sorted(set(process.vocabulary) - set(FRENCH_EVENTS))
    if missing:
        raise ValueError(f"No French label for event(s) {missing}; add them to FRENCH_EVENTS.")
    out = pd.DataFrame({
        "case_id": events["case_id"],
        "event": events["event"].map(FRENCH_EVENTS),
        "timestamp": events["timestamp"].dt.strftime("%d/%m/%Y %H:%M"),
        "trigger": events["trigger"].map(french_triggers(process)),
        "office": events["office"],
        "channel": events["channel"].map(FRENCH_CHANNELS),
        "route": events["route"].map(FRENCH_ROUTES),
        "born_abroad": events["born_abroad"].map(FRENCH_BOOLEANS),
        "advisor": events["advisor"],
    })
    return out.rename(columns=FRENCH_COLUMNS)


def export_slice(events: pd.DataFrame) -> pd.DataFrame:
    """One advisor's dossiers opened on or after :data:`EXPORT_FROM`, all their events."""
    opened = events.groupby("case_id", sort=False)["timestamp"].transform("min")
    keep = (events["advisor"] == EXPORT_ADVISOR) & (opened >= pd.Timestamp(EXPORT_FROM))
    return events[keep].reset_index(drop=True)


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_table(name: str, pairs: dict, comment: str = "") -> list[str]:
    lines = [f"[{name}]" + (f"  # {comment}" if comment else "")]
    for key, value in pairs.items():
        rendered = ("true" if value else "false") if isinstance(value, bool) else _toml_string(str(value))
        lines.append(f"{_toml_string(str(key))} = {rendered}")
    return lines + [""]


def mapping_toml(process=CARTE_VITALE) -> str:
    """The mapping file for :func:`french_export`, as TOML text."""
    lines = [
        "# How to read data/sample_export_fr.csv (a French spreadsheet export) into the",
        "# canonical case-log format:",
        "#     read_caselog(\"data/sample_export_fr.csv\", mapping=\"data/sample_export_fr.mapping.toml\")",
        "# Copy this file for your own export and change the left-hand sides to your",
        "# headers and labels. Generated by data/make_sample.py.",
        "",
        'delimiter = ";"',
        'encoding = "cp1252"',
        "dayfirst = true",
        "",
    ]
    lines += _toml_table("columns", {fr: key for key, fr in FRENCH_COLUMNS.items()}, "file header -> canonical name")
    lines += _toml_table("values.event", {fr: key for key, fr in FRENCH_EVENTS.items()}, "file label -> event")
    lines += _toml_table("values.trigger", {fr: key for key, fr in french_triggers(process).items()},
                         "file label -> trigger")
    lines += _toml_table("values.channel", {fr: key for key, fr in FRENCH_CHANNELS.items()})
    lines += _toml_table("values.route", {fr: key for key, fr in FRENCH_ROUTES.items()})
    lines += _toml_table("values.born_abroad", {fr: key for key, fr in FRENCH_BOOLEANS.items()})
    return "\n".join(lines).rstrip("\n") + "\n"


def make_sample(out_dir: str | Path = HERE) -> dict[str, Path]:
    """Write the three sample files into ``out_dir``; return their paths by name."""
    out_dir = Path(out_dir)
    events = simulate(SAMPLE_CASES, seed=SAMPLE_SEED, as_of=SAMPLE_AS_OF)
    paths = {
        "caselog": out_dir / "sample_caselog.csv",
        "export": out_dir / "sample_export_fr.csv",
        "mapping": out_dir / "sample_export_fr.mapping.toml",
    }
    write_events(events, paths["caselog"])
    french_export(export_slice(events)).to_csv(
        paths["export"], sep=";", index=False, encoding="cp1252", lineterminator="\r\n"
    )
    paths["mapping"].write_text(mapping_toml(), encoding="utf-8", newline="\n")
    return paths


if __name__ == "__main__":
    for path in make_sample().values():
        print(f"wrote {path}")
