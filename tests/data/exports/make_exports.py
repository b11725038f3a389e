"""Write the test corpus of the mapping assistant: ``python tests/data/exports/make_exports.py``.

Fifteen exports the way advisors and funds write them, each from the package's
simulator (seeded) with its own wording, written by hand below: French and English
labels, abbreviations, missing accents, typos, snake_case codes, trackers (one row per
dossier, a date column per step), Excel sheets with title rows, Parquet. Beside each
file, ``<file>.truth.json`` holds the answer: the mapping that reads it (written from
the wording tables, never by the assistant) and the labels that have no place in the
process model (the assistant must leave them as TODO lines).

The five files whose name starts with ``heldout_`` are kept out of any tuning of the
assistant (its synonyms, abbreviations and thresholds): they were written with the
others, before the assistant, and their numbers are reported apart
(``tests/test_assistant.py``).

Every file is a pure function of this script and the simulator: running it twice gives
the same bytes (Excel files carry a fixed creation date).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from vitale_analysis.simulate import simulate  # noqa: E402

AS_OF = "2025-06-30"
MILESTONES = ("registration_submitted", "registration_accepted", "nir_permanent", "dossier_submitted",
              "rights_opened", "card_received", "card_activated", "first_reimbursement")


def plain(text: str) -> str:
    """``text`` without accents (how some exports write French)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


# --------------------------------------------------------------------------- wordings
# The sample export's French labels (data/make_sample.py), the base of several exports.
def _sample_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "data" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FR_SAMPLE_EVENTS = dict(_sample_script().FRENCH_EVENTS)
FR_SAMPLE_TRIGGERS = {
    "birth_certificate_format": "Acte de naissance refusé (filiation, format, apostille)",
    "missing_translation": "Traduction assermentée manquante",
    "address_proof_expired": "Justificatif de domicile périmé (plus de 3 mois)",
    "unreadable_scan": "Pièce illisible ou incomplète",
    "rib_mismatch": "RIB non conforme à l'identité",
    "identity_inconsistency": "Identité incohérente entre les pièces",
    "nia_not_permanent": "NIA utilisé comme numéro définitif",
    "registration_missing": "Déclaration d'activité absente ou non acceptée",
    "wrong_office": "Envoyé à la mauvaise caisse",
    "salaried_route": "Salarié sur le parcours indépendant",
    "no_response": "Aucune réponse de la caisse",
    "activation_failed": "Échec de l'activation de la carte",
}

EXPORTS: list[dict] = [
    # ---------------------------------------------------------------- tuning set
    dict(
        file="caisse_export_fr.csv", seed=101, cases=150, encoding="cp1252", delimiter=";",
        date_format="%d/%m/%Y %H:%M",
        columns={"case_id": "Numéro de dossier", "event": "Libellé étape", "timestamp": "Date de l'étape",
                 "trigger": "Cause du retard", "office": "Organisme", "channel": "Mode de dépôt",
                 "route": "Statut", "born_abroad": "Né(e) hors de France", "advisor": "Référent"},
        events={
            "registration_submitted": "Dépôt de la déclaration d'activité",
            "registration_accepted": "Validation de la déclaration d'activité",
            "nia_assigned": "Attribution NIA",
            "nir_permanent": "Attribution NIR définitif",
            "documents_collected": "Pièces collectées",
            "s1106_completed": "S1106 complété",
            "dossier_submitted": "Envoi du dossier à la CPAM",
            "submission_confirmed": "Accusé de réception CPAM",
            "complement_requested": "Demande de pièces complémentaires",
            "complement_sent": "Envoi des pièces complémentaires",
            "followup_message": "Message ameli de relance",
            "followup_call": "Appel 3646",
            "complaint_filed": "Réclamation",
            "mediator_referral": "Médiateur saisi",
            "rights_opened": "Ouverture des droits",
            "card_requested": "Commande carte Vitale",
            "card_received": "Réception carte Vitale",
            "activation_failed": "Activation carte échouée",
            "card_updated": "Mise à jour carte",
            "card_activated": "Activation carte Vitale",
            "first_reimbursement": "1er remboursement",
            "card_lost": "Perte/vol de la carte",
            "case_closed": "Clôture du dossier",
        },
        triggers={
            "birth_certificate_format": "Acte de naissance non conforme",
            "missing_translation": "Pas de traduction assermentée",
            "address_proof_expired": "Justif. domicile > 3 mois",
            "unreadable_scan": "Scan illisible",
            "rib_mismatch": "RIB au nom d'un tiers",
            "identity_inconsistency": "Incohérence d'identité",
            "nia_not_permanent": "Dossier envoyé avec NIA",
            "registration_missing": "Déclaration d'activité non validée",
            "wrong_office": "Mauvaise caisse",
            "salaried_route": "Salarié (pas indépendant)",
            "no_response": "Pas de réponse CPAM",
            "activation_failed": "Échec activation",
        },
        channel={"ameli": "En ligne", "postal": "Papier"},
        route={"self_employed": "Travailleur indépendant", "salaried": "Salarié"},
        born_abroad={True: "Oui", False: "Non"},
        extra_events=["Rendez-vous au cabinet"],
    ),
    dict(
        file="sans_accents.csv", seed=102, cases=140, encoding="utf-8", delimiter=",",
        date_format="%Y-%m-%d %H:%M:%S",
        columns={"case_id": "NUM_DOSSIER", "event": "ETAPE", "timestamp": "DATE_EVT", "trigger": "MOTIF",
                 "office": "CAISSE", "channel": "CANAL", "route": "PARCOURS", "born_abroad": "NE_ETRANGER",
                 "advisor": "CONSEILLER"},
        events={k: plain(v).upper() for k, v in FR_SAMPLE_EVENTS.items()},
        triggers={k: plain(v).upper() for k, v in FR_SAMPLE_TRIGGERS.items()},
        channel={"ameli": "AMELI", "postal": "COURRIER"},
        route={"self_employed": "INDEPENDANT", "salaried": "SALARIE"},
        born_abroad={True: "O", False: "N"},
    ),
    dict(
        file="english_log.csv", seed=103, cases=150, encoding="utf-8", delimiter=",",
        date_format="%Y-%m-%dT%H:%M:%S",
        columns={"case_id": "Case ID", "event": "Activity", "timestamp": "Timestamp", "trigger": "Delay reason",
                 "office": "Fund", "channel": "Channel", "route": "Route", "born_abroad": "Born abroad",
                 "advisor": "Advisor"},
        events={
            "registration_submitted": "Business registration submitted",
            "registration_accepted": "Business registration accepted",
            "nia_assigned": "Temporary number (NIA) received",
            "nir_permanent": "Permanent social security number received",
            "documents_collected": "Documents gathered",
            "s1106_completed": "Form S1106 filled in",
            "dossier_submitted": "Rights application sent",
            "submission_confirmed": "Receipt acknowledged",
            "complement_requested": "Additional documents requested",
            "complement_sent": "Additional documents sent",
            "followup_message": "Secure message follow-up",
            "followup_call": "Phone follow-up (3646)",
            "complaint_filed": "Complaint filed",
            "mediator_referral": "Referred to mediator",
            "rights_opened": "Rights certificate available",
            "card_requested": "Card ordered",
            "card_received": "Card received",
            "activation_failed": "Card activation failed",
            "card_updated": "Card updated",
            "card_activated": "Card activated",
            "first_reimbursement": "First reimbursement received",
            "card_lost": "Card lost or stolen",
            "case_closed": "Case closed",
        },
        triggers={
            "birth_certificate_format": "Birth certificate rejected",
            "missing_translation": "No sworn translation",
            "address_proof_expired": "Proof of address too old",
            "unreadable_scan": "Illegible scan",
            "rib_mismatch": "Bank details not in applicant's name",
            "identity_inconsistency": "Identity mismatch between documents",
            "nia_not_permanent": "NIA used instead of permanent number",
            "registration_missing": "Registration not accepted",
            "wrong_office": "Wrong fund",
            "salaried_route": "Salaried person",
            "no_response": "No answer from the fund",
            "activation_failed": "Card activation failed",
        },
        channel={"ameli": "online", "postal": "mail"},
        route={"self_employed": "self-employed", "salaried": "employee"},
        born_abroad={True: "yes", False: "no"},
        extra_events=["Appointment with advisor"],
    ),
    dict(
        file="abreviations.csv", seed=104, cases=130, encoding="utf-8-sig", delimiter=";",
        date_format="%d/%m/%Y",
        columns={"case_id": "Dossier", "event": "Evt", "timestamp": "Dt", "trigger": "Motif", "office": "CPAM",
                 "channel": "Canal", "route": "Parcours", "born_abroad": "Né étranger", "advisor": "Cons."},
        events={
            "registration_submitted": "Décl. activité déposée",
            "registration_accepted": "Décl. activité acceptée",
            "nia_assigned": "NIA reçu",
            "nir_permanent": "NIR déf. reçu",
            "documents_collected": "Pièces réunies",
            "s1106_completed": "S1106 OK",
            "dossier_submitted": "Dossier envoyé",
            "submission_confirmed": "AR dossier",
            "complement_requested": "Dde complément",
            "complement_sent": "Complément envoyé",
            "followup_message": "Relance msg",
            "followup_call": "Relance tél.",
            "complaint_filed": "Réclam.",
            "mediator_referral": "Médiateur",
            "rights_opened": "Attest. droits",
            "card_requested": "CV commandée",
            "card_received": "CV reçue",
            "activation_failed": "Échec activ. CV",
            "card_updated": "MAJ CV",
            "card_activated": "CV activée",
            "first_reimbursement": "1er rbt",
            "card_lost": "CV perdue",
            "case_closed": "Clôturé",
        },
        triggers={
            "birth_certificate_format": "Acte naiss. refusé",
            "missing_translation": "Trad. manquante",
            "address_proof_expired": "Justif. dom. périmé",
            "unreadable_scan": "Pièce illisible",
            "rib_mismatch": "RIB non conf.",
            "identity_inconsistency": "Identité incoh.",
            "nia_not_permanent": "NIA utilisé",
            "registration_missing": "Décl. absente",
            "wrong_office": "Mauv. caisse",
            "salaried_route": "Salarié",
            "no_response": "Sans réponse",
            "activation_failed": "Échec activ.",
        },
        channel={"ameli": "ameli", "postal": "courrier"},
        route={"self_employed": "indép.", "salaried": "salarié"},
        born_abroad={True: "oui", False: "non"},
    ),
    dict(
        file="suivi_tracker.xlsx", seed=105, cases=120, shape="tracker", sheet="Suivi",
        title=["Suivi des dossiers Carte Vitale — cabinet Ouest", "Export du 30/06/2025"],
        columns={"case_id": "N° dossier", "office": "Caisse", "trigger": "Motif de blocage", "channel": "Canal"},
        milestone_columns={
            "registration_submitted": "Date de dépôt",
            "registration_accepted": "Date acceptation décl.",
            "nir_permanent": "Date NIR",
            "dossier_submitted": "Date d'envoi du dossier",
            "rights_opened": "Date de l'attestation",
            "card_received": "Date réception carte",
            "card_activated": "Date activation",
            "first_reimbursement": "Date 1er remboursement",
        },
        triggers=dict(FR_SAMPLE_TRIGGERS),
        channel={"ameli": "Compte ameli", "postal": "Courrier"},
    ),
    dict(
        file="export_tab.tsv", seed=106, cases=140, encoding="utf-8", delimiter="\t",
        date_format="%d/%m/%Y %H:%M",
        columns={"case_id": "dossier_id", "event": "etape", "timestamp": "horodatage", "trigger": "motif_retard",
                 "office": "caisse", "channel": "canal", "route": "parcours", "born_abroad": "ne_a_l_etranger",
                 "advisor": "conseiller"},
        events={
            "registration_submitted": "declaration_deposee",
            "registration_accepted": "declaration_acceptee",
            "nia_assigned": "nia_recu",
            "nir_permanent": "nir_definitif",
            "documents_collected": "pieces_reunies",
            "s1106_completed": "s1106_rempli",
            "dossier_submitted": "dossier_envoye",
            "submission_confirmed": "reception_confirmee",
            "complement_requested": "complement_demande",
            "complement_sent": "complement_envoye",
            "followup_message": "relance_message",
            "followup_call": "relance_appel",
            "complaint_filed": "reclamation",
            "mediator_referral": "mediateur",
            "rights_opened": "attestation_droits",
            "card_requested": "carte_commandee",
            "card_received": "carte_recue",
            "activation_failed": "activation_echouee",
            "card_updated": "carte_mise_a_jour",
            "card_activated": "carte_activee",
            "first_reimbursement": "premier_remboursement",
            "card_lost": "carte_perdue",
            "case_closed": "dossier_clos",
        },
        triggers={
            "birth_certificate_format": "acte_naissance",
            "missing_translation": "traduction_manquante",
            "address_proof_expired": "justificatif_domicile_perime",
            "unreadable_scan": "piece_illisible",
            "rib_mismatch": "rib_non_conforme",
            "identity_inconsistency": "identite_incoherente",
            "nia_not_permanent": "nia_utilise",
            "registration_missing": "declaration_manquante",
            "wrong_office": "mauvaise_caisse",
            "salaried_route": "salarie",
            "no_response": "sans_reponse",
            "activation_failed": "activation_echouee",
        },
        channel={"ameli": "ameli", "postal": "courrier"},
        route={"self_employed": "independant", "salaried": "salarie"},
        born_abroad={True: "1", False: "0"},
    ),
    dict(
        file="pm4py_export.csv", seed=107, cases=150, encoding="utf-8", delimiter=",",
        date_format="%Y-%m-%d %H:%M:%S+00:00",
        columns={"case_id": "case:concept:name", "event": "concept:name", "timestamp": "time:timestamp",
                 "trigger": "delay_trigger", "office": "case:office", "channel": "case:channel"},
        events={
            "registration_submitted": "Registration submitted",
            "registration_accepted": "Registration accepted",
            "nia_assigned": "NIA assigned",
            "nir_permanent": "Permanent number received",
            "documents_collected": "Documents collected",
            "s1106_completed": "S1106 completed",
            "dossier_submitted": "Dossier submitted",
            "submission_confirmed": "Submission confirmed",
            "complement_requested": "Complement requested",
            "complement_sent": "Complement sent",
            "followup_message": "Follow-up message",
            "followup_call": "Follow-up call",
            "complaint_filed": "Complaint filed",
            "mediator_referral": "Mediator referral",
            "rights_opened": "Rights opened",
            "card_requested": "Card requested",
            "card_received": "Card received",
            "activation_failed": "Activation failed",
            "card_updated": "Card updated",
            "card_activated": "Card activated",
            "first_reimbursement": "First reimbursement",
            "card_lost": "Card lost",
            "case_closed": "Case closed",
        },
        triggers={
            "birth_certificate_format": "Birth certificate not accepted",
            "missing_translation": "Missing sworn translation",
            "address_proof_expired": "Proof of address expired",
            "unreadable_scan": "Unreadable scan",
            "rib_mismatch": "RIB mismatch",
            "identity_inconsistency": "Identity inconsistency",
            "nia_not_permanent": "NIA not permanent",
            "registration_missing": "Registration missing",
            "wrong_office": "Wrong office",
            "salaried_route": "Salaried route",
            "no_response": "No response",
            "activation_failed": "Activation failed",
        },
        channel={"ameli": "ameli", "postal": "postal"},
    ),
    dict(
        file="journal_long.xlsx", seed=108, cases=110, shape="long", sheet="Journal",
        title=["Journal des étapes", "", "Cabinet Sud — extraction"],
        date_format=None,  # real Excel dates
        columns={"case_id": "Dossier n°", "event": "Étape franchie", "timestamp": "Date",
                 "trigger": "Motif de retard", "office": "Caisse d'affiliation", "advisor": "Conseiller"},
        events={k: plain(v).replace("'", " ") for k, v in FR_SAMPLE_EVENTS.items()},
        triggers={k: plain(v) for k, v in FR_SAMPLE_TRIGGERS.items()},
    ),
    dict(
        file="tracker_english.csv", seed=109, cases=130, shape="tracker", encoding="utf-8", delimiter=",",
        date_format="%Y-%m-%d",
        columns={"case_id": "Case", "office": "Office", "trigger": "Blocking reason"},
        milestone_columns={
            "registration_submitted": "Registration date",
            "registration_accepted": "Registration accepted on",
            "nir_permanent": "Permanent number date",
            "dossier_submitted": "Application sent",
            "rights_opened": "Rights opened",
            "card_received": "Card received",
            "card_activated": "Card activated",
            "first_reimbursement": "First refund",
        },
        triggers={
            "birth_certificate_format": "Birth certificate format",
            "missing_translation": "Translation missing",
            "address_proof_expired": "Address proof expired",
            "unreadable_scan": "Unreadable document",
            "rib_mismatch": "Bank account (RIB) mismatch",
            "identity_inconsistency": "Inconsistent identity",
            "nia_not_permanent": "Submitted with NIA",
            "registration_missing": "Registration missing",
            "wrong_office": "Wrong office",
            "salaried_route": "Salaried, not self-employed",
            "no_response": "No response",
            "activation_failed": "Activation failed",
        },
    ),
    dict(
        file="fautes_frappe.csv", seed=110, cases=140, encoding="utf-8", delimiter=";",
        date_format="%d/%m/%Y %H:%M",
        columns={"case_id": "N° Dossier", "event": "Etape", "timestamp": "Date et heure", "trigger": "Motif",
                 "office": "Caisse", "channel": "Canal", "route": "Parcours", "born_abroad": "Né à l'étranger"},
        events={
            "registration_submitted": "Declaration activité déposé",
            "registration_accepted": "declaration d activite acceptée",
            "nia_assigned": "Nia recu",
            "nir_permanent": "NIR définitf reçu",
            "documents_collected": "pieces réunies",
            "s1106_completed": "formulaire s1106 remplis",
            "dossier_submitted": "Dossier ouverture droits envoyer",
            "submission_confirmed": "reception dossier confirmé",
            "complement_requested": "demande de complement recue",
            "complement_sent": "complement envoyé",
            "followup_message": "relance message securisé",
            "followup_call": "apel 3646",
            "complaint_filed": "reclamation envoyée",
            "mediator_referral": "saisine mediateur",
            "rights_opened": "attestaion de droits disponible",
            "card_requested": "Carte vitale commandé",
            "card_received": "Carte vitale recu",
            "activation_failed": "echec activation carte",
            "card_updated": "carte mis a jour",
            "card_activated": "carte vitale activée",
            "first_reimbursement": "premier remboursemnt recu",
            "card_lost": "carte perdu ou volé",
            "case_closed": "dossier clos",
        },
        triggers={
            "birth_certificate_format": "acte de naissance refusé",
            "missing_translation": "traduction assermenté manquante",
            "address_proof_expired": "justificatif domicile périmé",
            "unreadable_scan": "piece illisible",
            "rib_mismatch": "RIB non conforme",
            "identity_inconsistency": "identité incohérente",
            "nia_not_permanent": "NIA utilisé comme definitif",
            "registration_missing": "declaration d activité absente",
            "wrong_office": "mauvaise caisse",
            "salaried_route": "salarié parcours indépendant",
            "no_response": "aucune réponse caisse",
            "activation_failed": "echec activation carte",
        },
        channel={"ameli": "compte Ameli", "postal": "courrier"},
        route={"self_employed": "indépendant", "salaried": "salarié"},
        born_abroad={True: "Oui", False: "Non"},
        extra_events=["Appel du demandeur"],
    ),
    # ---------------------------------------------------------------- held-out set
    dict(
        file="heldout_conseil_b.csv", seed=201, cases=150, encoding="cp1252", delimiter=";",
        date_format="%d/%m/%Y %H:%M",
        columns={"case_id": "Réf. dossier", "event": "Action", "timestamp": "Date action", "trigger": "Blocage",
                 "office": "CPAM", "channel": "Mode", "route": "Statut pro", "born_abroad": "Né à l'étr.",
                 "advisor": "Conseiller"},
        events={
            "registration_submitted": "Immatriculation demandée",
            "registration_accepted": "Immatriculation validée",
            "nia_assigned": "Numéro provisoire (NIA) attribué",
            "nir_permanent": "NIR définitif obtenu",
            "documents_collected": "Justificatifs rassemblés",
            "s1106_completed": "Formulaire S1106 complété",
            "dossier_submitted": "Demande d'ouverture de droits envoyée",
            "submission_confirmed": "Accusé de réception reçu",
            "complement_requested": "Complément demandé par la caisse",
            "complement_sent": "Complément transmis",
            "followup_message": "Relance messagerie ameli",
            "followup_call": "Relance téléphonique 3646",
            "complaint_filed": "Réclamation déposée",
            "mediator_referral": "Recours au médiateur",
            "rights_opened": "Droits ouverts (attestation reçue)",
            "card_requested": "Carte Vitale demandée",
            "card_received": "Carte Vitale arrivée",
            "activation_failed": "Activation impossible",
            "card_updated": "Carte actualisée",
            "card_activated": "Carte activée",
            "first_reimbursement": "Premier remboursement perçu",
            "card_lost": "Carte égarée",
            "case_closed": "Abandon du dossier",
        },
        triggers={
            "birth_certificate_format": "Acte de naissance incomplet",
            "missing_translation": "Traduction non fournie",
            "address_proof_expired": "Justificatif de domicile trop ancien",
            "unreadable_scan": "Document illisible",
            "rib_mismatch": "RIB incorrect",
            "identity_inconsistency": "Identité différente selon les pièces",
            "nia_not_permanent": "Envoi avec un NIA",
            "registration_missing": "Pas d'immatriculation",
            "wrong_office": "Caisse incorrecte",
            "salaried_route": "Statut salarié",
            "no_response": "Silence de la caisse",
            "activation_failed": "Activation impossible",
        },
        channel={"ameli": "Internet", "postal": "Courrier"},
        route={"self_employed": "Indépendant", "salaried": "Salarié"},
        born_abroad={True: "Oui", False: "Non"},
        extra_events=["Rdv au cabinet"],
    ),
    dict(
        file="heldout_tracker_b.xlsx", seed=202, cases=120, shape="tracker", sheet="Dossiers",
        title=["Tableau de suivi — Carte Vitale"],
        columns={"case_id": "Dossier", "office": "Caisse", "trigger": "Motif blocage"},
        milestone_columns={
            "registration_submitted": "Dt dépôt décl.",
            "registration_accepted": "Dt validation décl.",
            "nir_permanent": "Dt NIR déf.",
            "dossier_submitted": "Dt envoi dossier",
            "rights_opened": "Dt attestation",
            "card_received": "Dt carte reçue",
            "card_activated": "Dt activation",
            "first_reimbursement": "Dt 1er remb.",
        },
        triggers={
            "birth_certificate_format": "Acte naissance",
            "missing_translation": "Traduction",
            "address_proof_expired": "Justif. domicile",
            "unreadable_scan": "Pièce illisible",
            "rib_mismatch": "RIB",
            "identity_inconsistency": "Identité",
            "nia_not_permanent": "NIA",
            "registration_missing": "Déclaration activité",
            "wrong_office": "Mauvaise caisse",
            "salaried_route": "Salarié",
            "no_response": "Pas de réponse",
            "activation_failed": "Activation",
        },
    ),
    dict(
        file="heldout_english_b.csv", seed=203, cases=150, encoding="utf-8", delimiter=",",
        date_format="%m/%d/%Y %H:%M",
        columns={"case_id": "File number", "event": "Step", "timestamp": "Date", "trigger": "Issue",
                 "office": "CPAM office", "channel": "Submitted via", "born_abroad": "Foreign-born"},
        events={
            "registration_submitted": "Self-employment declaration filed",
            "registration_accepted": "Declaration approved",
            "nia_assigned": "Provisional number assigned",
            "nir_permanent": "Permanent number assigned",
            "documents_collected": "Supporting documents collected",
            "s1106_completed": "S1106 form completed",
            "dossier_submitted": "Application submitted to CPAM",
            "submission_confirmed": "Submission acknowledged",
            "complement_requested": "Request for more information",
            "complement_sent": "More information sent",
            "followup_message": "Follow-up by secure message",
            "followup_call": "Follow-up by phone",
            "complaint_filed": "Formal complaint",
            "mediator_referral": "Mediator involved",
            "rights_opened": "Health insurance rights opened",
            "card_requested": "Vitale card requested",
            "card_received": "Vitale card delivered",
            "activation_failed": "Activation error",
            "card_updated": "Card refreshed",
            "card_activated": "Vitale card activated",
            "first_reimbursement": "First claim reimbursed",
            "card_lost": "Lost card",
            "case_closed": "File closed",
        },
        triggers={
            "birth_certificate_format": "Birth certificate problem",
            "missing_translation": "Translation missing",
            "address_proof_expired": "Old proof of address",
            "unreadable_scan": "Scan unreadable",
            "rib_mismatch": "Bank details mismatch",
            "identity_inconsistency": "Identity details differ",
            "nia_not_permanent": "Filed with temporary number",
            "registration_missing": "No business registration",
            "wrong_office": "Sent to wrong office",
            "salaried_route": "Is an employee",
            "no_response": "Fund not responding",
            "activation_failed": "Activation error",
        },
        channel={"ameli": "ameli account", "postal": "post"},
        born_abroad={True: "Y", False: "N"},
    ),
    dict(
        file="heldout_export.parquet", seed=204, cases=150,
        columns={"case_id": "id_dossier", "event": "libelle_etape", "timestamp": "date_etape", "trigger": "motif",
                 "office": "organisme"},
        events={k: v.lower() for k, v in FR_SAMPLE_EVENTS.items()},
        triggers={k: v.lower() for k, v in FR_SAMPLE_TRIGGERS.items()},
    ),
    dict(
        file="heldout_sigles.csv", seed=205, cases=140, encoding="utf-8", delimiter=",",
        date_format="%d/%m/%Y %H:%M",
        columns={"case_id": "Num", "event": "Étape", "timestamp": "Quand", "trigger": "Problème",
                 "office": "Caisse"},
        events={
            "registration_submitted": "Dépôt DA",
            "registration_accepted": "DA acceptée",
            "nia_assigned": "NIA",
            "nir_permanent": "NIR",
            "documents_collected": "Pièces",
            "s1106_completed": "S1106",
            "dossier_submitted": "Envoi dossier",
            "submission_confirmed": "AR",
            "complement_requested": "Demande complément",
            "complement_sent": "Envoi complément",
            "followup_message": "Relance écrite",
            "followup_call": "Relance tel",
            "complaint_filed": "Réclamation",
            "mediator_referral": "Médiation",
            "rights_opened": "Attestation de droits",
            "card_requested": "Commande CV",
            "card_received": "Réception CV",
            "activation_failed": "Échec activation CV",
            "card_updated": "MAJ CV",
            "card_activated": "Activation CV",
            "first_reimbursement": "1er remboursement",
            "card_lost": "Perte CV",
            "case_closed": "Clôture",
        },
        triggers={
            "birth_certificate_format": "Acte de naissance",
            "missing_translation": "Traduction",
            "address_proof_expired": "Domicile > 3 mois",
            "unreadable_scan": "Illisible",
            "rib_mismatch": "RIB",
            "identity_inconsistency": "Identité",
            "nia_not_permanent": "NIA au lieu du NIR",
            "registration_missing": "Pas de DA",
            "wrong_office": "Mauvaise caisse",
            "salaried_route": "Salarié",
            "no_response": "Sans réponse",
            "activation_failed": "Échec activation CV",
        },
        extra_events=["Point téléphonique"],
    ),
]


# --------------------------------------------------------------------------- writing
def _long(spec: dict) -> tuple[pd.DataFrame, dict]:
    events = simulate(spec["cases"], seed=spec["seed"], as_of=AS_OF)
    out = pd.DataFrame()
    cols = spec["columns"]
    for canonical, header in cols.items():
        series = events[canonical]
        table = {"event": spec.get("events"), "trigger": spec.get("triggers"), "channel": spec.get("channel"),
                 "route": spec.get("route"), "born_abroad": spec.get("born_abroad")}.get(canonical)
        if table is not None:
            series = series.map(table)
        if canonical == "timestamp" and spec.get("date_format"):
            series = series.dt.strftime(spec["date_format"])
        out[header] = series
    for i, label in enumerate(spec.get("extra_events", [])):
        # An event the process model does not know, in one dossier out of seven.
        rows = out.groupby(cols["case_id"], sort=False).head(1).iloc[i::7].copy()
        rows[cols["event"]] = label
        for column in (cols.get("trigger"),):
            if column:
                rows[column] = None
        out = pd.concat([out, rows], ignore_index=True)
    return out, _truth_values(spec)


def _tracker(spec: dict) -> tuple[pd.DataFrame, dict]:
    events = simulate(spec["cases"], seed=spec["seed"], as_of=AS_OF)
    first = events.groupby(["case_id", "event"], sort=False)["timestamp"].min().unstack()
    cases = events.groupby("case_id", sort=False).first()
    last_trigger = events.dropna(subset=["trigger"]).groupby("case_id")["trigger"].last()
    out = pd.DataFrame(index=cases.index)
    cols = spec["columns"]
    out[cols["case_id"]] = cases.index
    if "office" in cols:
        out[cols["office"]] = cases["office"]
    for milestone, header in spec["milestone_columns"].items():
        when = first[milestone] if milestone in first else pd.Series(pd.NaT, index=out.index)
        when = when.reindex(out.index)
        out[header] = when.dt.strftime(spec["date_format"]) if spec.get("date_format") else when.dt.floor("D")
    out[cols["trigger"]] = last_trigger.reindex(out.index).map(spec["triggers"])
    if "channel" in cols:
        out[cols["channel"]] = cases["channel"].map(spec["channel"])
    return out.reset_index(drop=True), _truth_values(spec)


def _truth_values(spec: dict) -> dict:
    values = {}
    for canonical in ("event", "trigger", "channel", "route", "born_abroad"):
        table = spec.get(canonical + "s" if canonical in ("event", "trigger") else canonical)
        if table and (canonical in spec["columns"]):
            inverse: dict = {}
            for key, label in table.items():
                inverse.setdefault(label, key)
            values[canonical] = inverse
    return values


def truth(spec: dict, values: dict) -> dict:
    """The mapping that reads the export, and the labels with no place in the model."""
    mapping: dict = {}
    suffix = Path(spec["file"]).suffix
    if suffix in (".csv", ".tsv"):
        mapping["delimiter"] = spec["delimiter"]
        mapping["encoding"] = spec["encoding"]
    if suffix == ".xlsx":
        mapping["sheet"] = spec["sheet"]
        mapping["header_row"] = len(spec.get("title", [])) + 1 + (1 if spec.get("title") else 0)
    fmt = spec.get("date_format") or ""
    if fmt.startswith("%d/"):
        mapping["dayfirst"] = True
    elif fmt.startswith("%m/"):
        mapping["dayfirst"] = False
    mapping["columns"] = {header: canonical for canonical, header in spec["columns"].items()}
    if spec.get("shape") == "tracker":
        mapping["milestone_columns"] = {header: m for m, header in spec["milestone_columns"].items()}
    if values:
        mapping["values"] = values
    return {"mapping": mapping, "unknown": {"event": list(spec.get("extra_events", []))},
            "held_out": spec["file"].startswith("heldout_")}


def write(spec: dict) -> None:
    frame, values = (_tracker if spec.get("shape") == "tracker" else _long)(spec)
    path = HERE / spec["file"]
    suffix = path.suffix
    if suffix in (".csv", ".tsv"):
        frame.to_csv(path, sep=spec["delimiter"], index=False, encoding=spec["encoding"], lineterminator="\r\n")
    elif suffix == ".parquet":
        frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object}).to_parquet(path, index=False)
    elif suffix == ".xlsx":
        _write_excel(path, frame, spec)
    (HERE / (spec["file"] + ".truth.json")).write_text(
        json.dumps(truth(spec, values), ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")


def _write_excel(path: Path, frame: pd.DataFrame, spec: dict) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.properties.created = book.properties.modified = dt.datetime(2025, 6, 30)
    sheet = book.active
    sheet.title = spec["sheet"]
    width = len(frame.columns)
    row = 1
    for line in spec.get("title", []):
        if line:
            sheet.cell(row=row, column=1, value=line)
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        row += 1
    if spec.get("title"):
        row += 1  # (a blank row under the title)
    for j, header in enumerate(frame.columns, start=1):
        sheet.cell(row=row, column=j, value=header)
    for values in frame.itertuples(index=False):
        row += 1
        for j, value in enumerate(values, start=1):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            if isinstance(value, pd.Timestamp):
                value = value.to_pydatetime()
            sheet.cell(row=row, column=j, value=value)
    notes = book.create_sheet("Notes")
    notes["A1"] = "Dates au format jj/mm/aaaa."
    book.save(path)
    _fix_zip_dates(path)


def _fix_zip_dates(path: Path) -> None:
    """The same bytes at every run: openpyxl stamps the zip entries and docProps with the time of saving."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as old:
        parts = [(info.filename, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w") as new:
        for name, data in parts:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-06-30T00:00:00Z", data)
            new.writestr(zipfile.ZipInfo(name, date_time=(2025, 6, 30, 0, 0, 0)), data,
                         compress_type=zipfile.ZIP_DEFLATED)


def main() -> None:
    for spec in EXPORTS:
        write(spec)
        print(spec["file"])


if __name__ == "__main__":
    main()
