"""Every visible word, in English and French, and the rules for numbers, dates and plurals.

One catalogue, keyed ``(key, lang)``: the charts, the explorers, the dashboard,
the report, the workbook and the command line take their words from here. The
computations return keys and codes (``phase``, ``reason``, ``check``, ``kind``,
``waiting_on``); the presentation layer translates them, and the user's own
labels from their mapping (:attr:`CaseLog.labels <vitale_analysis.CaseLog>`) win
over the model's.

>>> from vitale_analysis import i18n
>>> i18n.t("report.rows", "fr", read=1102, kept=1101, aside=1)
'1\u202f102 lignes lues = 1\u202f101 gardées + 1 mise de côté.'
>>> i18n.number(74.25, "fr", 1), i18n.number(1102, "en")
('74,2', '1,102')
>>> i18n.count(1, "dossier", "fr"), i18n.count(0, "dossier", "fr"), i18n.count(0, "dossier", "en")
('1 dossier', '0 dossier', '0 dossiers')
>>> from datetime import date
>>> i18n.day(date(2025, 7, 1), "fr"), i18n.day(date(2025, 6, 30), "en")
('1er juillet 2025', '30 June 2025')
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime

import pandas as pd

from .process import LANGUAGES, check_lang

__all__ = ["CATALOGUE", "LANGUAGES", "NNBSP", "t", "has", "number", "percent", "share", "days", "count",
           "day", "short_day", "date_time", "month", "colon", "title", "event_label", "column_label", "value_label",
           "headers", "EVENT_LABELS", "COLUMN_LABELS", "MILESTONE_PHRASES", "HEADERS"]

#: The narrow no-break space: French thousands separator, and before ``%``, ``:``, ``;``, ``?``, ``!``.
NNBSP = "\u202f"

_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
}
_MONTHS_SHORT = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
}

#: key → (English, French). Fields in braces are filled by :func:`t`.
CATALOGUE: dict[str, tuple[str, str]] = {
    # ---- charts (plots)
    'chart.nothing': ('Nothing to show',
        'Rien à afficher'),
    'chart.no_dossier': ('no dossier in this selection',
        'aucun dossier dans cette sélection'),
    'chart.one_dossier': ('only one dossier: too few for a summary — see its timeline instead',
        'un seul dossier : trop peu pour un résumé — voir plutôt sa chronologie'),
    'chart.no_stalled': ('no stalled dossier',
        'aucun dossier bloqué'),
    'chart.no_open': ('no open dossier',
        'aucun dossier en cours'),
    'chart.no_trigger': ('no delay trigger recorded',
        'aucune cause de retard enregistrée'),
    'chart.no_event': ('no event recorded for this dossier',
        'aucun événement pour ce dossier'),
    'chart.days': ('days',
        'jours'),
    'chart.working days': ('working days',
        'jours ouvrés'),
    'chart.day': ('day',
        'jour'),
    'chart.working day': ('working day',
        'jour ouvré'),
    'chart.dossiers': ('dossiers',
        'dossiers'),
    'chart.dossier': ('dossier',
        'dossier'),
    'chart.beyond': ('not reached yet: too many dossiers still open',
        'pas encore atteint : trop de dossiers en cours'),
    'chart.open': ('open',
        'en cours'),
    'chart.not_reached': ('not reached',
        'non atteinte'),
    'chart.missing': ('(missing)',
        '(non renseigné)'),
    'chart.all_dossiers': ('all dossiers',
        'tous les dossiers'),
    'chart.yes': ('yes',
        'oui'),
    'chart.no': ('no',
        'non'),
    'chart.phase_title': ('Time per phase',
        'Durée de chaque phase'),
    'chart.phase_x': ('{days} in phase — median and interquartile range',
        '{days} dans la phase — médiane et écart interquartile'),
    'chart.phase_x_p75': ('{days} in phase — median to 75th percentile',
        '{days} dans la phase — de la médiane au 75e centile'),
    'chart.km_median': ('median (Kaplan–Meier: open dossiers count)',
        'médiane (Kaplan–Meier : dossiers en cours comptés)'),
    'chart.completed_median': ('median of finished dossiers only',
        'médiane des seuls dossiers terminés'),
    'chart.iqr': ('25th to 75th percentile',
        'du 25e au 75e centile'),
    'chart.median_p75': ('median to 75th percentile',
        'de la médiane au 75e centile'),
    'chart.median_ci': ('{level} confidence interval of the median',
        'intervalle de confiance à {level} de la médiane'),
    'chart.median_not_reached': ('median not reached',
        'médiane non atteinte'),
    'chart.row_n': ('n = {n} · {open} open',
        'n = {n} · {open} en cours'),
    'chart.surv_phase_title': ('Time in {phase}: share of dossiers still in the phase',
        '{phase} : part des dossiers encore dans la phase'),
    'chart.surv_milestone_title': ('{milestone}: share of dossiers still waiting',
        '{milestone} : part des dossiers encore en attente'),
    'chart.surv_y': ('dossiers still waiting (%)',
        'dossiers encore en attente (%)'),
    'chart.surv_y_phase': ('dossiers still in the phase (%)',
        'dossiers encore dans la phase (%)'),
    'chart.surv_x_phase': ('{days} in the phase',
        '{days} dans la phase'),
    'chart.surv_x_milestone': ('{days} {start}',
        '{days} {start}'),
    'chart.surv_legend': ('Kaplan–Meier; open dossiers count until {as_of}',
        "Kaplan–Meier ; dossiers en cours comptés jusqu'au {as_of}"),
    'chart.surv_legend_plain': ('Kaplan–Meier; open dossiers counted',
        'Kaplan–Meier ; dossiers en cours comptés'),
    'chart.surv_entry': ('{group} (n = {n}, median {median})',
        '{group} (n = {n}, médiane {median})'),
    'chart.surv_entry_nr': ('{group} (n = {n}, median not reached)',
        '{group} (n = {n}, médiane non atteinte)'),
    'chart.half': ('half of the dossiers',
        'la moitié des dossiers'),
    'chart.stall_title': ('Where dossiers stall now: stalled dossiers by {rows} and phase',
        'Où les dossiers bloquent : dossiers bloqués par {rows} et par phase'),
    'chart.stall_pop': ('{n} stalled of {open} open {open|dossier|dossiers} (days in phase above its threshold)',
        '{n} {n|dossier bloqué|dossiers bloqués} sur {open} en cours (jours dans la phase au-delà du seuil)'),
    'chart.stall_pop_plain': ('{n} stalled {n|dossier|dossiers} (days in phase above its threshold)',
        '{n} {n|dossier bloqué|dossiers bloqués} (jours dans la phase au-delà du seuil)'),
    'chart.stall_bar': ('stalled dossiers',
        'dossiers bloqués'),
    'chart.threshold': ('> {days} d',
        '> {days} j'),
    'chart.age_title': ('Open dossiers by phase and days in the current phase',
        'Dossiers en cours par phase et ancienneté dans la phase'),
    'chart.age_x': ('open dossiers',
        'dossiers en cours'),
    'chart.age_legend': ('{days} in the current phase',
        '{days} dans la phase actuelle'),
    'chart.age_last': ('{lo} or more',
        '{lo} et plus'),
    'chart.pareto_days_title': ('Delay triggers: extra days attributable',
        'Causes de retard : jours de retard attribuables'),
    'chart.pareto_cases_title': ('Delay triggers: dossiers affected',
        'Causes de retard : dossiers concernés'),
    'chart.pareto_days_x': ('extra {days} × dossiers affected (whiskers: 95% interval)',
        '{days} en plus × dossiers concernés (moustaches : intervalle à 95 %)'),
    'chart.pareto_cases_x': ('dossiers affected',
        'dossiers concernés'),
    'chart.pareto_cum': ('cumulative share (%)',
        'part cumulée (%)'),
    'chart.pareto_note': ('Associations, not proof of cause: compare cohorts before concluding.',
        'Associations, pas preuve de causalité : comparer les cohortes avant de conclure.'),
    'chart.not_estimable': ('not estimable (a median not reached)',
        'non estimable (médiane non atteinte)'),
    'chart.n_dossiers': ('{n} {n|dossier|dossiers}',
        '{n} {n|dossier|dossiers}'),
    'chart.n_days': ('{n} extra {days}',
        '{n} {days} de retard'),
    'chart.phase_legend': ('phase where raised',
        'phase où elle survient'),
    'chart.flow_title': ('Dossiers started and finished per {period}',
        'Dossiers commencés et terminés par {period}'),
    'chart.flow_y': ('dossiers per {period}',
        'dossiers par {period}'),
    'chart.wip_title': ('Work in progress: open dossiers at the end of each {period}, by phase',
        'Dossiers en cours à la fin de chaque {period}, par phase'),
    'chart.wip_y': ('open dossiers',
        'dossiers en cours'),
    'chart.started': ('started',
        'commencés'),
    'chart.rights_opened': ('rights opened (attestation de droits)',
        'droits ouverts (attestation de droits)'),
    'chart.completed': ('completed (first reimbursement)',
        'terminés (premier remboursement)'),
    'chart.closed': ('closed (abandoned, moved away)',
        'clos (abandon, déménagement)'),
    'chart.waiting_title': ('Who the dossiers wait on: share of elapsed time',
        'Qui fait attendre les dossiers : part du temps écoulé'),
    'chart.waiting_x': ("share of the dossiers' elapsed {days} (%)",
        'part des {days} écoulés (%)'),
    'chart.timeline_title': ('Dossier {label}: {status}',
        'Dossier {label} : {status}'),
    'chart.timeline_sub': ('phases and events, as of {as_of}',
        'phases et événements, au {as_of}'),
    'chart.phase_finished': ('phase finished',
        'phase terminée'),
    'chart.phase_open': ('phase still open',
        'phase en cours'),
    'chart.phase_closed': ('dossier closed in this phase',
        'dossier clos dans cette phase'),
    'chart.trigger': ('delay trigger',
        'cause de retard'),
    'chart.event': ('event',
        'événement'),
    'chart.out_of_order': ('out of order: no duration',
        'hors ordre : pas de durée'),
    'chart.still_open': ('open for {days}',
        'en cours depuis {days}'),
    'chart.events_row': ('events',
        'événements'),
    'chart.as_of': ('as of {day}', 'au {day}'),
    'chart.pmap_title': ('Process map: how dossiers move from step to step',
        'Carte du processus : comment les dossiers passent d\'une étape à l\'autre'),
    'chart.pmap_reading': ('Milestones down the middle; arrows as wide as the dossiers that made the move; '
                           'arcs going up are loops',
        'Jalons au centre ; flèches aussi larges que le nombre de dossiers passés ; '
        'les arcs qui remontent sont des boucles'),
    'chart.pmap_start': ('Start', 'Début'),
    'chart.pmap_end': ('Ended (complete or closed)', 'Terminé (complet ou clos)'),
    'chart.pmap_open': ('Still open at the cut', 'Encore en cours à la date d\'arrêt'),
    'chart.pmap_repeats': ('↻ {n} times in a row', '↻ {n} fois de suite'),
    'chart.pmap_colour_days': ('median days between the two steps',
        'jours médians entre les deux étapes'),
    'chart.pmap_colour_dossiers': ('dossiers that made the move',
        'dossiers passés par là'),
    'chart.still_open_n': ('{n} still open', 'dont {n} en cours'),
    'chart.time_to': ('Time to: {label}', "Délai jusqu'à : {label}"),
    'chart.since': ('since: {label}', 'depuis : {label}'),
    # ---- dossier status
    'status.open': ('still open',
        'en cours'),
    'status.complete': ('complete',
        'terminé'),
    'status.closed': ('closed',
        'clos'),
    # ---- who a dossier waits on
    'party.applicant': ('applicant',
        'demandeur'),
    'party.office': ('office (CPAM, CGSS)',
        'caisse (CPAM, CGSS)'),
    'party.third_party': ('third party',
        'tiers'),
    'party.unassigned': ('not assigned',
        'non attribué'),
    # ---- periods
    'period.D': ('day',
        'jour'),
    'period.W': ('week',
        'semaine'),
    'period.M': ('month',
        'mois'),
    'period.Q': ('quarter',
        'trimestre'),
    'period.Y': ('year',
        'an'),
    # ---- column names in sentences
    'column.office': ('office',
        'caisse'),
    'column.channel': ('channel',
        'canal'),
    'column.route': ('route',
        'parcours'),
    'column.born_abroad': ('born abroad',
        "né(e) à l'étranger"),
    'column.advisor': ('advisor',
        'conseiller'),
    'column.waiting_on': ('waiting on',
        'en attente de'),
    'column.reason': ('next-action reason',
        "motif de l'action"),
    'column.start_month': ('start month',
        'mois de début'),
    'column.start_quarter': ('start quarter',
        'trimestre de début'),
    'column.start_year': ('start year',
        'année de début'),
    # ---- events
    'event.registration_submitted': ('Registration submitted',
        "Déclaration d'activité déposée"),
    'event.registration_accepted': ('Registration accepted',
        'Déclaration acceptée'),
    'event.nir_permanent': ('Permanent number received',
        'Numéro définitif attribué'),
    'event.dossier_submitted': ('Dossier submitted',
        'Dossier envoyé'),
    'event.rights_opened': ('attestation de droits (rights opened)',
        'attestation de droits (droits ouverts)'),
    'event.card_received': ('Card received',
        'Carte reçue'),
    'event.card_activated': ('Card activated',
        'Carte activée'),
    'event.first_reimbursement': ('First reimbursement',
        'Premier remboursement'),
    'event.nia_assigned': ('NIA assigned (provisional number)',
        'NIA attribué (numéro provisoire)'),
    'event.documents_collected': ('Documents collected',
        'Pièces réunies'),
    'event.s1106_completed': ('S1106 form completed',
        'Formulaire S1106 rempli'),
    'event.submission_confirmed': ('Submission confirmed (Démarches)',
        'Envoi confirmé (Mes démarches)'),
    'event.complement_requested': ('Complement requested',
        'Complément demandé'),
    'event.complement_sent': ('Complement sent',
        'Complément envoyé'),
    'event.card_requested': ('Card requested',
        'Carte commandée'),
    'event.followup_message': ('Follow-up message',
        'Message de relance'),
    'event.followup_call': ('Follow-up call (3646)',
        'Appel de relance (3646)'),
    'event.complaint_filed': ('Complaint filed',
        'Réclamation déposée'),
    'event.mediator_referral': ('Referred to the médiateur',
        'Médiateur saisi'),
    'event.activation_failed': ('Activation failed',
        "Échec de l'activation"),
    'event.card_updated': ('Card updated',
        'Carte mise à jour'),
    'event.card_lost': ('Card lost',
        'Carte perdue'),
    'event.case_closed': ('Dossier closed',
        'Dossier clos'),
    # ---- milestones: time to it
    'milestone_to.end': ('Time to the end',
        "Délai jusqu'à la fin"),
    'milestone_to.registration_submitted': ('Time to the registration',
        "Délai jusqu'au dépôt de la déclaration"),
    'milestone_to.registration_accepted': ("Time to the registration's acceptance",
        "Délai jusqu'à l'acceptation de la déclaration"),
    'milestone_to.nir_permanent': ('Time to the permanent number',
        "Délai jusqu'au numéro définitif"),
    'milestone_to.dossier_submitted': ('Time to submitting the dossier',
        "Délai jusqu'à l'envoi du dossier"),
    'milestone_to.rights_opened': ('Time to the attestation de droits',
        "Délai jusqu'à l'attestation de droits"),
    'milestone_to.card_received': ('Time to receiving the card',
        "Délai jusqu'à la réception de la carte"),
    'milestone_to.card_activated': ("Time to the card's activation",
        "Délai jusqu'à l'activation de la carte"),
    'milestone_to.first_reimbursement': ('Time to the first reimbursement',
        "Délai jusqu'au premier remboursement"),
    # ---- milestones: since it
    'milestone_since.start': ("since the dossier's start",
        'depuis le début du dossier'),
    'milestone_since.registration_submitted': ('since the registration was submitted',
        'depuis le dépôt de la déclaration'),
    'milestone_since.registration_accepted': ('since the registration was accepted',
        "depuis l'acceptation de la déclaration"),
    'milestone_since.nir_permanent': ('since the permanent number',
        'depuis le numéro définitif'),
    'milestone_since.dossier_submitted': ('since the dossier was submitted',
        "depuis l'envoi du dossier"),
    'milestone_since.rights_opened': ('since the rights opened',
        "depuis l'ouverture des droits"),
    'milestone_since.card_received': ('since the card arrived',
        'depuis la réception de la carte'),
    'milestone_since.card_activated': ('since the card was activated',
        "depuis l'activation de la carte"),
    'milestone_since.first_reimbursement': ('since the first reimbursement',
        'depuis le premier remboursement'),
    # ---- table headers
    'col.case_id': ('Dossier',
        'Dossier'),
    'col.office': ('Office',
        'Caisse'),
    'col.phase': ('Phase',
        'Phase'),
    'col.phase_label': ('Phase',
        'Phase'),
    'col.days_in_phase': ('Days in phase',
        'Jours dans la phase'),
    'col.threshold_days': ('Threshold (days)',
        'Seuil (jours)'),
    'col.days_over': ('Days over',
        'Jours de dépassement'),
    'col.waiting_on': ('Waiting on',
        'En attente de'),
    'col.last_event': ('Last event',
        'Dernier événement'),
    'col.last_event_at': ('Last event on',
        'Date du dernier événement'),
    'col.days_since_last_event': ('Days since last event',
        'Jours depuis le dernier événement'),
    'col.reason': ('Why',
        'Motif'),
    'col.next_action': ('Next action',
        'Prochaine action'),
    'col.n': ('Dossiers',
        'Dossiers'),
    'col.n_finished': ('Finished',
        'Terminés'),
    'col.n_open': ('Still open',
        'En cours'),
    'col.n_closed': ('Closed in phase',
        'Clos dans la phase'),
    'col.n_no_duration': ('Out of order / missing step',
        'Hors ordre / étape manquante'),
    'col.median_days': ('Median (days, Kaplan–Meier)',
        'Médiane (jours, Kaplan–Meier)'),
    'col.median_days_ci_low': ('Median, CI low (days)',
        'Médiane, IC bas (jours)'),
    'col.median_days_ci_high': ('Median, CI high (days)',
        'Médiane, IC haut (jours)'),
    'col.median_days_ci': ('Median, 95% CI (days)',
        'Médiane, IC à 95\u202f% (jours)'),
    'col.p75_days': ('75th percentile (days)',
        '75e centile (jours)'),
    'col.p90_days': ('90th percentile (days)',
        '90e centile (jours)'),
    'col.median_days_completed_only': ('Median of finished only (days)',
        'Médiane des seuls terminés (jours)'),
    'col.trigger': ('Trigger key',
        'Code du motif'),
    'col.label': ('Delay trigger',
        'Motif de retard'),
    'col.events': ('Times raised',
        'Occurrences'),
    'col.cases_affected': ('Dossiers affected',
        'Dossiers concernés'),
    'col.share': ('Share of dossiers',
        'Part des dossiers'),
    'col.median_days_to_next_milestone': ('Median days to next milestone',
        "Médiane jusqu'à l'étape suivante (jours)"),
    'col.median_days_affected': ('Median days in phase, with it',
        'Médiane dans la phase, avec'),
    'col.median_days_unaffected': ('Median days in phase, without it',
        'Médiane dans la phase, sans'),
    'col.extra_days': ('Extra days (median)',
        'Jours en plus (médiane)'),
    'col.extra_days_ci_low': ('Extra days, CI low',
        'Jours en plus, IC bas'),
    'col.extra_days_ci_high': ('Extra days, CI high',
        'Jours en plus, IC haut'),
    'col.total_days_attributable': ('Days attributable (total)',
        'Jours attribuables (total)'),
    'col.prevention': ('How to prevent it',
        "Comment l'éviter"),
    'col.kind': ('Problem',
        'Problème'),
    'col.detail': ('What happened',
        "Ce qui s'est passé"),
    'col.first_event': ('First event',
        'Premier événement'),
    'col.first_at': ('First on',
        'Date'),
    'col.second_event': ('Second event',
        'Second événement'),
    'col.second_at': ('Second on',
        'Date'),
    'col.days_apart': ('Days apart',
        "Jours d'écart"),
    'col.row': ('Row',
        'Ligne'),
    'col.column': ('Column',
        'Colonne'),
    'col.check': ('Check',
        'Contrôle'),
    'col.value': ('Value',
        'Valeur'),
    'col.action': ('Action',
        'Traitement'),
    'col.count': ('Count',
        'Nombre'),
    'col.description': ('Meaning',
        'Signification'),
    # ---- report
    'report.title': ('Carte Vitale caseload report',
        'Rapport sur les dossiers Carte Vitale'),
    'report.title_model': ('{process}: caseload report',
        '{process} : rapport sur les dossiers'),
    'report.as_of': ('as of',
        'au'),
    'report.population': ('{n} {n|dossier|dossiers}: {open} open, {complete} complete, {closed} closed',
        '{n} {n|dossier|dossiers} : {open} en cours, {complete} {complete|terminé|terminés}, {closed} clos'),
    'report.quality': ('Data quality',
        'Qualité des données'),
    'report.phases': ('Time per phase',
        'Durée de chaque phase'),
    'report.stalled': ('Dossiers to follow up',
        'Dossiers à relancer'),
    'report.triggers': ('Delay triggers',
        'Motifs de retard'),
    'report.order': ('Steps out of order',
        'Étapes dans le désordre'),
    'report.flow': ('Flow over time',
        'Flux dans le temps'),
    'report.rows': ('{read} {read|row|rows} read = {kept} kept + {aside} set aside.',
        '{read} {read|ligne lue|lignes lues} = {kept} {kept|gardée|gardées} + {aside} {aside|mise|mises} de côté.'),
    'report.phases_note': ('Medians count the dossiers still open for the days they have waited so far (Kaplan–Meier); the median of finished dossiers only is shown beside it. “not yet”: too many dossiers are still open to know. The 95% confidence interval (CI) says how precisely this many dossiers pin the median down; “or more”: too few have finished to bound it from above.',
        'Les médianes comptent les dossiers encore en cours pour les jours déjà attendus (Kaplan–Meier) ; la médiane des seuls dossiers terminés est donnée à côté. « pas encore » : trop de dossiers sont encore en cours pour la connaître. L’intervalle de confiance à 95\u202f% (IC) dit avec quelle précision ce nombre de dossiers situe la médiane ; « ou plus » : trop peu sont terminés pour la borner par le haut.'),
    'report.stalled_note': ("{n} open {n|dossier is|dossiers are} past their phase's threshold (the caseload's 90th percentile), follow-up interval {f} {f|day|days}. The longest overdue ({top}):",
        '{n} {n|dossier en cours dépasse le seuil de sa phase|dossiers en cours dépassent le seuil de leur phase} (90e centile des dossiers), délai de relance {f} {f|jour|jours}. Les plus en retard ({top}) :'),
    'report.triggers_note': ('Ranked by days attributable. These are associations, not proof of cause: dossiers meeting a trigger may differ in other ways.',
        'Classés par jours attribuables. Ce sont des associations, pas des preuves de cause : les dossiers concernés peuvent différer par ailleurs.'),
    'report.order_note': ('Doing steps out of order is the main cause of long delays.',
        'Faire les étapes dans le désordre est la première cause des longs délais.'),
    'report.none': ('None.',
        'Aucun.'),
    'report.interval': ('{low}–{high}',
        '{low}–{high}'),
    'report.interval_open': ('{low} or more',
        '{low} ou plus'),
    'report.not_yet': ('not yet',
        'pas encore'),
    'report.source': ('Source',
        'Source'),
    'report.made': ('Computed by vitale-analysis {v} from {src}, {as_of}. Every figure depends only on the log and this date.',
        'Calculé par vitale-analysis {v} à partir de {src}, {as_of}. Chaque chiffre ne dépend que du journal et de cette date.'),
    'report.workbook': ('The Excel workbook beside this page holds the full tables.',
        'Le classeur Excel à côté de cette page contient les tableaux complets.'),
    'report.more_rows': ('{n} more {n|row|rows} not shown (the first {shown} are above); the whole table is in Python: log.quality.failures, or the function that made it.',
        "{n} {n|ligne|lignes} de plus non {n|affichée|affichées} (les {shown} premières sont au-dessus) ; le tableau complet est en Python : log.quality.failures, ou la fonction qui l'a produit."),
    'report.caption_quality': ('Rows set aside or flagged, by check',
        'Lignes mises de côté ou signalées, par contrôle'),
    'report.caption_phases': ('Days spent in each phase, in the order of the process',
        "Jours passés dans chaque phase, dans l'ordre du processus"),
    'report.caption_worklist': ('Dossiers to follow up, most overdue first',
        "Dossiers à relancer, les plus en retard d'abord"),
    'report.caption_triggers': ('Delay triggers, most days attributable first',
        "Motifs de retard, ceux qui coûtent le plus de jours d'abord"),
    'report.caption_order': ('Steps out of order, dossier by dossier',
        'Étapes dans le désordre, dossier par dossier'),
    'report.shown_of': (' (the first {shown} of {n})',
        ' (les {shown} premiers sur {n})'),
    'reason.mediator': ('Médiateur seized',
        'Médiateur saisi'),
    'reason.complaint': ('Complaint filed',
        'Réclamation déposée'),
    'reason.nia_only': ('Only an NIA',
        'NIA seulement'),
    'reason.complement_pending': ('Complement not sent',
        'Complément non envoyé'),
    'reason.no_movement': ('No movement',
        'Sans nouvelles'),
    'reason.phase_action': ('Past threshold',
        'Seuil dépassé'),
    # ---- workbook sheets
    'sheet.worklist': ('Worklist',
        'À relancer'),
    'sheet.phases': ('Phase summary',
        'Durées par phase'),
    'sheet.triggers': ('Delay triggers',
        'Motifs de retard'),
    'sheet.order': ('Out of order',
        'Hors ordre'),
    'sheet.quality_failures': ('Quality failures',
        'Qualité des données'),
    # ---- explorers
    'ui.all_offices': ('All offices',
        'Toutes les caisses'),
    'ui.all_channels': ('All channels',
        'Tous les canaux'),
    'ui.all': ('All',
        'Tous'),
    'ui.all_phases': ('All phases',
        'Toutes les phases'),
    'ui.yes': ('yes',
        'oui'),
    'ui.no': ('no',
        'non'),
    'ui.office': ('Office',
        'Caisse'),
    'ui.channel': ('Channel',
        'Canal'),
    'ui.born_abroad': ('Born abroad',
        "Né(e) à l'étranger"),
    'ui.start_period': ('Started',
        'Commencés'),
    'ui.as_of': ('As of',
        'Au'),
    'ui.percentile': ('Stalled above percentile',
        'Bloqué au-delà du centile'),
    'ui.followup_days': ('Follow up after (days)',
        'Relancer après (jours)'),
    'ui.phase': ('Phase',
        'Phase'),
    'ui.save': ('Save worklist to Excel',
        'Enregistrer la liste (Excel)'),
    'ui.trigger': ('Delay trigger',
        'Motif de retard'),
    'ui.dossier': ('Dossier',
        'Dossier'),
    'ui.dossier_placeholder': ('Type or pick a dossier number',
        'Saisir ou choisir un numéro de dossier'),
    'ui.selection': ('{n} {n|dossier|dossiers} in this selection, {open} still open, as of {day}.',
        '{n} {n|dossier|dossiers} dans cette sélection, dont {open} en cours, au {day}.'),
    'ui.empty': ('No dossier in this selection: widen the filters.',
        'Aucun dossier dans cette sélection : élargir les filtres.'),
    'ui.phase_note': ('Medians count the dossiers still open for the days they have waited so far (Kaplan–Meier); the median of finished dossiers only is shown beside it.',
        'Les médianes comptent les dossiers encore en cours pour les jours déjà attendus (Kaplan–Meier) ; la médiane des seuls dossiers terminés est donnée à côté.'),
    'ui.worklist': ('{n} {n|dossier|dossiers} to follow up (of {open} open {open|dossier|dossiers}), as of {day}.',
        '{n} {n|dossier|dossiers} à relancer (sur {open} {open|dossier|dossiers} en cours), au {day}.'),
    'ui.worklist_top': (' The {top} most overdue:',
        ' Les {top} plus en retard :'),
    'ui.no_stalled': ('No dossier to follow up with these settings.',
        'Aucun dossier à relancer avec ces réglages.'),
    'ui.saved': ('Saved {n} {n|dossier|dossiers} to {path}',
        '{n} {n|dossier enregistré|dossiers enregistrés} dans {path}'),
    'ui.not_saved': ('Could not save the worklist: {error}. Close the file if it is open in Excel, or choose another output_dir.',
        "Impossible d'enregistrer la liste : {error}. Fermer le fichier s'il est ouvert dans Excel, ou choisir un autre output_dir."),
    'ui.sheet': ('Worklist',
        'À relancer'),
    'ui.no_trigger': ('No delay trigger recorded in this caseload.',
        'Aucun motif de retard enregistré dans ces dossiers.'),
    'ui.trigger_head': ('{label}: {cases} {cases|dossier|dossiers} ({share}), raised {events} {events|time|times}, most often in {phase}.',
        '{label} : {cases} {cases|dossier|dossiers} ({share}), signalé {events} fois, le plus souvent en phase « {phase} ».'),
    'ui.trigger_days': ("Median days from the trigger to the dossier's next step: {median} (Kaplan–Meier: dossiers still waiting count).",
        "Médiane entre le signalement et l'étape suivante du dossier : {median} (Kaplan–Meier : les dossiers encore en attente comptent)."),
    'ui.trigger_extra': ('Dossiers with it stayed {extra} longer in {phase} (median) than dossiers without it — an association, not proof of cause.',
        'Les dossiers concernés sont restés {extra} de plus en phase « {phase} » (médiane) que les autres — une association, pas une preuve de cause.'),
    'ui.prevention': ('How to prevent it: {text}',
        "Comment l'éviter : {text}"),
    'ui.affected': ('Dossiers it hit (raised {n} {n|time|times}), longest wait first:',
        "Dossiers concernés ({n} {n|signalement|signalements}), attente la plus longue d'abord :"),
    'ui.by_office': ('By office:',
        'Par caisse :'),
    'ui.not_reached': ('not reached yet (too many dossiers still waiting)',
        'pas encore atteinte (trop de dossiers encore en attente)'),
    'ui.days': ('{d} days',
        '{d} jours'),
    'ui.pick': ('Pick a dossier from the list.',
        'Choisir un dossier dans la liste.'),
    'ui.dossier_head': ('Dossier {label}: {status}, {n} {n|event|events} up to {day}.',
        "Dossier {label} : {status}, {n} {n|événement|événements} jusqu'au {day}."),
    'ui.status.open': ('still open',
        'en cours'),
    'ui.status.complete': ('complete',
        'terminé'),
    'ui.status.closed': ('closed (abandoned or moved away)',
        'clos (abandon ou déménagement)'),
    'ui.col.case_id': ('Dossier',
        'Dossier'),
    'ui.col.office': ('Office',
        'Caisse'),
    'ui.col.phase': ('Phase where raised',
        'Phase du signalement'),
    'ui.col.raised_at': ('Raised on',
        'Signalé le'),
    'ui.col.status': ('Status',
        'Statut'),
    'ui.col.days_to_next_milestone': ('Days to next step',
        "Jours jusqu'à l'étape suivante"),
    'ui.col.next_milestone_reached': ('Next step reached',
        'Étape suivante atteinte'),
    'ui.col.timestamp': ('Date',
        'Date'),
    'ui.col.event': ('Event',
        'Événement'),
    'ui.col.trigger': ('Delay trigger',
        'Motif de retard'),
    'ui.col.note': ('Note',
        'Note'),
    'ui.col.cases_affected': ('Dossiers affected',
        'Dossiers concernés'),
    'ui.col.share': ("Share of the office's dossiers",
        'Part des dossiers de la caisse'),
    'ui.col.median_days_to_next_milestone': ('Median days to next step',
        "Médiane jusqu'à l'étape suivante (jours)"),
    # ---- checks
    'check.malformed_row': ("the row could not be split into the header's columns",
        "la ligne ne se découpe pas selon les colonnes de l'en-tête"),
    'check.empty_case_id': ('no case id',
        'pas de numéro de dossier'),
    'check.empty_event': ('no event name',
        "pas de nom d'étape"),
    'check.lifecycle_not_complete': ('a lifecycle transition other than complete (e.g. scheduled, started)',
        'une transition de cycle de vie autre que « complete » (par exemple planifiée, commencée)'),
    'check.missing_timestamp': ('no timestamp',
        'pas de date'),
    'check.unparseable_timestamp': ('the timestamp is not a date and time that exists',
        "la date n'est pas une date et une heure qui existent"),
    'check.duplicate_row': ('exact copy of an earlier row (removed, the first copy is kept)',
        "copie exacte d'une ligne précédente (retirée, la première copie est gardée)"),
    'check.after_as_of': ('event after the as_of date of the analysis',
        "étape postérieure à la date de l'analyse"),
    'check.unknown_event': ('event name not in the process vocabulary (kept)',
        'étape absente du vocabulaire du processus (gardée)'),
    'check.unknown_trigger': ('delay trigger not in the process model (kept)',
        'motif de retard absent du modèle de processus (gardé)'),
    'check.same_time_tie': ('another event of the same case has the same timestamp (order by process)',
        'une autre étape du même dossier a la même date et heure (ordre du processus)'),
    'check.no_start_milestone': ('the case never reaches the start milestone',
        "le dossier n'atteint jamais l'étape de départ"),
    'check.order_violation': ('a milestone reached before an earlier one',
        'une étape atteinte avant une étape qui la précède'),
    'check.conflicting_attribute': ('a case attribute differs between rows of one case (first value kept)',
        "un attribut du dossier diffère d'une ligne à l'autre (première valeur gardée)"),
    'check.unreadable_value': ('a yes/no attribute that is neither (left empty)',
        "une valeur oui/non qui n'est ni l'un ni l'autre (laissée vide)"),
    'check.nir_bad_key': ('a 15-character social security number whose key is wrong (kept; shown masked)',
        'un numéro de sécurité sociale à 15 caractères dont la clé est fausse (gardé ; affiché masqué)'),
    'check.future_timestamp': ("a time far past nearly all others (more than a year, or the log's own span, after 99 % of them; a typo date?): kept, but left out of the default as-of date",
        "une date bien au-delà de presque toutes les autres (plus d'un an, ou de la durée du journal, après 99 % d'entre elles ; une faute de frappe ?) : gardée, mais hors de la date d'analyse par défaut"),
    # ---- conformance kinds
    'kind.dossier_before_registration': ('the dossier was submitted before the activity registration was accepted, or with no accepted registration recorded',
        "le dossier a été envoyé avant l'acceptation de la déclaration d'activité, ou sans déclaration acceptée enregistrée"),
    'kind.milestone_order': ('a milestone was reached before a milestone the process expects earlier',
        'une étape atteinte avant une étape que le processus attend plus tôt'),
    'kind.salaried_route': ("a salaried person on the self-employed route (route “salaried” or the salaried-route trigger)",
        'un salarié sur le parcours des indépendants (parcours « salarié » ou motif salarié)'),
    'kind.submitted_on_nia': ('the dossier was submitted while only a provisional number (NIA) was held: after the NIA and before the permanent number, or with no permanent number yet',
        'le dossier a été envoyé alors que seul un numéro provisoire (NIA) était attribué : après le NIA et avant le numéro définitif, ou sans numéro définitif'),

    # ---- nouns with their plural ("singular|plural"); see count()
    'noun.dossier': ('dossier|dossiers', 'dossier|dossiers'),
    'noun.event': ('event|events', 'événement|événements'),
    'noun.row': ('row|rows', 'ligne|lignes'),
    'noun.day': ('day|days', 'jour|jours'),
    'noun.working_day': ('working day|working days', 'jour ouvré|jours ouvrés'),
    'noun.time': ('time|times', 'fois|fois'),
    # ---- values of the usual attributes (the mapping's own labels win over these)
    'value.channel.ameli': ('ameli account', 'Compte ameli'),
    'value.channel.postal': ('post', 'Courrier'),
    'value.route.self_employed': ('self-employed', 'Indépendant'),
    'value.route.salaried': ('salaried', 'Salarié'),
    'value.waiting_on.applicant': ('applicant', 'demandeur'),
    'value.waiting_on.office': ('office (CPAM, CGSS)', 'caisse (CPAM, CGSS)'),
    'value.waiting_on.third_party': ('third party', 'tiers'),
    'value.waiting_on.unassigned': ('not assigned', 'non attribué'),
    'value.bool.true': ('yes', 'oui'),
    'value.bool.false': ('no', 'non'),
    'value.action.set aside': ('set aside', 'mise de côté'),
    'value.action.flagged': ('flagged (kept)', 'signalée (gardée)'),
    'value.status.open': ('open', 'en cours'),
    'value.status.complete': ('complete', 'terminé'),
    'value.status.closed': ('closed', 'clos'),
    'value.phase_state.finished': ('finished', 'terminée'),
    'value.phase_state.open': ('open', 'en cours'),
    'value.phase_state.closed': ('closed in the phase', 'clos dans la phase'),
    # ---- steps out of order, told in a sentence (conformance rows)
    'order.milestone_order': ('{first} ({first_at}) came before {second} ({second_at}), which the process expects first.',
        '{first} ({first_at}) est arrivé avant {second} ({second_at}), que le processus attend d\'abord.'),
    'order.submitted_on_nia': ('{second} ({second_at}) while only a provisional number was held ({first}, {first_at}).',
        '{second} ({second_at}) alors que seul un numéro provisoire était attribué ({first}, {first_at}).'),
    'order.dossier_before_registration': ('{first} ({first_at}) came before {second}{second_when}.',
        '{first} ({first_at}) est arrivé avant : {second}{second_when}.'),
    'order.dossier_before_registration_none': ('{first} ({first_at}) with no accepted registration recorded.',
        '{first} ({first_at}) sans déclaration acceptée enregistrée.'),
    'order.salaried_route': ('A salaried person on the self-employed route, seen at “{first}” ({first_at}).',
        'Salarié sur le parcours des indépendants, repéré à l\'étape « {first} » ({first_at}).'),
    # ---- more column headers
    'col.channel': ('Channel', 'Canal'),
    'col.route': ('Route', 'Parcours'),
    'col.born_abroad': ('Born abroad', "Né(e) à l'étranger"),
    'col.advisor': ('Advisor', 'Conseiller'),
    'col.status': ('Status', 'Statut'),
    'col.current_phase': ('Current phase', 'Phase actuelle'),
    'col.order_violations': ('Steps out of order', 'Étapes dans le désordre'),
    'col.number_status': ('Social security number', 'Numéro de sécurité sociale'),
    'col.event': ('Step', 'Étape'),
    'col.timestamp': ('Date', 'Date'),
    'col.note': ('Note', 'Note'),
    'col.n_events': ('Events', 'Événements'),
    'col.n_triggers': ('Delay triggers', 'Motifs de retard'),
    'col.started_at': ('Started on', 'Commencé le'),
    'col.phase_started_at': ('In this phase since', 'Dans la phase depuis'),
    'col.closed_at': ('Closed on', 'Clos le'),
    'col.completed_at': ('Completed on', 'Terminé le'),
    'col.document': ('Document', 'Pièce'),
    'col.reason_label': ('Why', 'Motif'),
    # ---- alt texts of the report's charts
    'alt.phases': ('Chart: time per phase, median and interquartile range, open dossiers counted',
        'Graphique : durée de chaque phase, médiane et écart interquartile, dossiers en cours comptés'),
    'alt.time_to_rights': ('Chart: share of dossiers still waiting for the attestation de droits, by day',
        "Graphique : part des dossiers encore en attente de l'attestation de droits, jour par jour"),
    'alt.stalled': ('Chart: stalled dossiers by office and phase', 'Graphique : dossiers bloqués par caisse et par phase'),
    'alt.open_by_age': ('Chart: open dossiers by phase and days in the current phase',
        'Graphique : dossiers en cours par phase et ancienneté dans la phase'),
    'alt.triggers': ('Chart: delay triggers ranked by the extra days they go with',
        'Graphique : motifs de retard classés par jours de retard attribuables'),
    'alt.throughput': ('Chart: dossiers started and finished per month', 'Graphique : dossiers commencés et terminés par mois'),
    'alt.wip': ('Chart: open dossiers at the end of each month, by phase',
        'Graphique : dossiers en cours à la fin de chaque mois, par phase'),
    'alt.waiting_on': ('Chart: share of the elapsed time spent waiting on each party',
        'Graphique : part du temps écoulé passée à attendre chaque partie'),
    # ---- a log in a few lines (display.describe)
    'summary.head': ('Case log {source}', 'Journal des dossiers {source}'),
    'summary.span': ('{n}, {events}, from {first} to {last}', '{n}, {events}, du {first} au {last}'),
    'summary.clean': ('Nothing set aside or flagged.', 'Rien de mis de côté ni de signalé.'),
    'summary.checks': ('What validation set aside or flagged', 'Ce que la validation a mis de côté ou signalé'),
    'value.number_status.permanent': ('permanent number', 'numéro définitif'),
    'value.number_status.nia': ('provisional number (NIA) only', 'numéro provisoire (NIA) seulement'),
    'value.number_status.none': ('no number yet', 'pas encore de numéro'),
    # ---- quality failures, as shown
    'failure.tie': ('{a} and {b} at {at}', '{a} et {b} le {at}'),
    'failure.before': ('{a} before {b}', '{a} avant {b}'),
    'failure.whole_row': ('(whole row)', '(ligne entière)'),
    'failure.column.case_id': ('dossier number', 'numéro de dossier'),
    'failure.column.event': ('step', 'étape'),
    'failure.column.timestamp': ('date', 'date'),
    'failure.column.trigger': ('delay trigger', 'motif de retard'),
    'failure.column.note': ('note', 'note'),
    # ---- short names of the checks and of the steps out of order
    'check_name.malformed_row': ('Malformed row', 'Ligne mal formée'),
    'check_name.empty_case_id': ('No dossier number', 'Numéro de dossier vide'),
    'check_name.empty_event': ('No step', 'Étape vide'),
    'check_name.lifecycle_not_complete': ('Transition other than complete', 'Transition autre que « complete »'),
    'check_name.missing_timestamp': ('No date', 'Date absente'),
    'check_name.unparseable_timestamp': ('Unreadable date', 'Date illisible'),
    'check_name.duplicate_row': ('Duplicate row', 'Ligne en double'),
    'check_name.after_as_of': ('After the analysis date', "Après la date d'analyse"),
    'check_name.unknown_event': ('Unknown step', 'Étape inconnue'),
    'check_name.unknown_trigger': ('Unknown delay trigger', 'Motif de retard inconnu'),
    'check_name.same_time_tie': ('Same date and time', 'Même date et heure'),
    'check_name.no_start_milestone': ('No starting step', 'Pas d\'étape de départ'),
    'check_name.order_violation': ('Steps out of order', 'Étapes dans le désordre'),
    'check_name.conflicting_attribute': ('Conflicting value', 'Valeurs contradictoires'),
    'check_name.unreadable_value': ('Unreadable yes/no', 'Oui/non illisible'),
    'check_name.nir_bad_key': ('Wrong social security key', 'Clé de sécurité sociale fausse'),
    'check_name.future_timestamp': ('Date far in the future', 'Date très lointaine'),
    'kind_name.dossier_before_registration': ('Dossier before the registration', 'Dossier avant la déclaration'),
    'kind_name.milestone_order': ('Milestones out of order', 'Étapes dans le désordre'),
    'kind_name.salaried_route': ('Salaried on the self-employed route', 'Salarié sur le parcours indépendant'),
    'kind_name.submitted_on_nia': ('Submitted on a provisional number', 'Envoyé avec un numéro provisoire'),
    # ---- next actions (labels.py)
    'label.document': ('the requested document', 'document demandé'),
    'label.evidence_pack': ('Evidence pack', 'Dossier de preuves'),
    'summary.unknown.event': ('Unknown step "{label}" ({rows} {rows|row|rows}); {near}. Fix: add it to the mapping\'s [values.event] table (vitale-analysis mapping proposes one).',
        "Étape inconnue « {label} » ({rows} {rows|ligne|lignes}) ; {near}. Correction : l'ajouter à la table [values.event] de la correspondance (vitale-analysis mapping en propose une)."),
    'summary.unknown.trigger': ('Unknown delay trigger "{label}" ({rows} {rows|row|rows}); {near}. Fix: add it to the mapping\'s [values.trigger] table (vitale-analysis mapping proposes one).',
        "Motif de retard inconnu « {label} » ({rows} {rows|ligne|lignes}) ; {near}. Correction : l'ajouter à la table [values.trigger] de la correspondance (vitale-analysis mapping en propose une)."),
    'summary.unknown.none': ('nothing close in the process model', 'rien de proche dans le modèle du processus'),
    'summary.unknown.near': ('closest known: {closest}', 'noms connus les plus proches : {closest}'),
    'summary.unknown.more': ('… and {n} more unknown {n|label|labels}.', '… et {n} {n|autre libellé inconnu|autres libellés inconnus}.'),
    # ---- mapping assistant (widgets/mapping.py)
    'ui.mapping.title': ('Mapping of {source}', 'Correspondance de {source}'),
    'ui.mapping.intro': ('The assistant read {source} and proposes how to read it: {sure} {sure|proposal|proposals} sure, {check} to check, {todo} not placed. Check the proposals marked "to check", choose a name for those "not placed" (or leave them: their rows are kept and flagged as unknown), then save the mapping.',
        "L'assistant a lu {source} et propose comment le lire : {sure} {sure|proposition sûre|propositions sûres}, {check} à vérifier, {todo} non {todo|placée|placées}. Vérifier les propositions « à vérifier », choisir un nom pour celles « non placées » (ou les laisser : leurs lignes sont gardées et signalées comme inconnues), puis enregistrer la correspondance."),
    'ui.mapping.settings': ('Read as: {settings}.', 'Lu ainsi : {settings}.'),
    'ui.mapping.section.column': ('Columns', 'Colonnes'),
    'ui.mapping.section.milestone_column': ('Date columns (one per step)', 'Colonnes de dates (une par étape)'),
    'ui.mapping.section.event': ('Steps', 'Étapes'),
    'ui.mapping.section.trigger': ('Delay triggers', 'Motifs de retard'),
    'ui.mapping.section.channel': ('Channels', 'Canaux'),
    'ui.mapping.section.route': ('Routes', 'Parcours'),
    'ui.mapping.section.born_abroad': ('Born abroad', "Né(e) à l'étranger"),
    'ui.mapping.status.sure': ('sure ({score})', 'sûr ({score})'),
    'ui.mapping.status.check': ('to check ({score})', 'à vérifier ({score})'),
    'ui.mapping.status.todo': ('not placed', 'non placé'),
    'ui.mapping.status.chosen': ('chosen', 'choisi'),
    'ui.mapping.rows': ('{n} {n|row|rows}', '{n} {n|ligne|lignes}'),
    'ui.mapping.leave': ('(leave as it is)', '(laisser tel quel)'),
    'ui.mapping.save_to': ('Save to', 'Enregistrer dans'),
    'ui.mapping.save': ('Save the mapping', 'Enregistrer la correspondance'),
    'ui.mapping.use': ('Use this mapping', 'Utiliser cette correspondance'),
    'ui.mapping.saved': ('Mapping saved to {path}.', 'Correspondance enregistrée dans {path}.'),
    'ui.mapping.exists': ('{path} already exists: tick "replace" to write over it, or give another name.',
        '{path} existe déjà : cocher « remplacer » pour l\'écraser, ou donner un autre nom.'),
    'ui.mapping.replace': ('replace', 'remplacer'),
    'ui.mapping.not_written': ('{path} cannot be written: {why}', "{path} ne peut pas être écrit : {why}"),
    'ui.mapping.yes': ('yes', 'oui'),
    'ui.mapping.col.kind': ('What', 'Quoi'),
    'ui.mapping.col.label': ('In the file', 'Dans le fichier'),
    'ui.mapping.col.target': ('Read as', 'Lu comme'),
    'ui.mapping.col.status': ('How sure', 'Certitude'),
    'ui.mapping.col.rows': ('Rows', 'Lignes'),
    'ui.mapping.no': ('no', 'non'),
    # ---- dashboard (widgets)
    'ui.dashboard.title': ('Carte Vitale caseload dashboard', 'Tableau de bord des dossiers Carte Vitale'),
    'ui.dashboard.title_model': ('{process}: caseload dashboard', '{process} : tableau de bord des dossiers'),
    'ui.dashboard.intro': ("Where the dossiers of {source} stand on the date below: how long each step takes, which dossiers to follow up and what to do next, which problems cause the longest delays, and the history of one dossier. Change a list, a slider or the date and every tab follows. Every figure depends only on the case log and that date, never on today's date.",
        "Où en sont les dossiers de {source} à la date ci-dessous : la durée de chaque étape, les dossiers à relancer et quoi faire, les problèmes qui causent les plus longs retards, et l'historique d'un dossier. Changer une liste, un curseur ou la date : tous les onglets suivent. Chaque chiffre ne dépend que du journal des dossiers et de cette date, jamais de la date du jour."),
    'ui.dashboard.headline': ('{n} {n|dossier|dossiers} as of {day}: {open} still open, {complete} complete, {closed} closed. Rows of {source} set aside (exact duplicates, unreadable values): {aside}.',
        '{n} {n|dossier|dossiers} au {day} : {open} en cours, {complete} {complete|terminé|terminés}, {closed} clos. Lignes de {source} mises de côté (doublons exacts, valeurs illisibles) : {aside}.'),
    # ---- the dashboard's source step (widgets/source.py)
    'ui.source.title': ('Case log: {source} (open another file)', 'Journal des dossiers : {source} (ouvrir un autre fichier)'),
    'ui.source.title_none': ('Open a case log', 'Ouvrir un journal des dossiers'),
    'ui.source.upload': ('Send a file', 'Envoyer un fichier'),
    'ui.source.upload_hint': ('A file from this computer: CSV, Excel, Parquet or XES, up to {size} MB',
        'Un fichier de cet ordinateur : CSV, Excel, Parquet ou XES, {size} Mo au plus'),
    'ui.source.path': ('or its path', 'ou son chemin'),
    'ui.source.path_placeholder': ('e.g. data/mon_export.csv', 'ex. data/mon_export.csv'),
    'ui.source.path_hint': ('A path from {folder} (the folder the dashboard was started from), or a full path; then Enter',
        'Un chemin depuis {folder} (le dossier où le tableau de bord a été lancé), ou un chemin complet ; puis Entrée'),
    'ui.source.open': ('Open', 'Ouvrir'),
    'ui.source.files': ('Files here', 'Fichiers ici'),
    'ui.source.files_pick': ('(pick one)', '(en choisir un)'),
    'ui.source.folder': ('Paths are read from the folder {folder}.', 'Les chemins partent du dossier {folder}.'),
    'ui.source.mapping': ('Headers and labels', 'En-têtes et libellés'),
    'ui.source.mapping_none': ("As they are (the toolkit's own names)", "Tels quels (les noms de l'outil)"),
    'ui.source.mapping_file': ('A mapping file (.toml or .json)', 'Un fichier de correspondance (.toml ou .json)'),
    'ui.source.mapping_suggest': ('Suggest a mapping from the file', 'Proposer une correspondance à partir du fichier'),
    'ui.source.mapping_upload': ('Send the mapping', 'Envoyer la correspondance'),
    'ui.source.mapping_path_placeholder': ('e.g. data/mon_export.mapping.toml', 'ex. data/mon_export.mapping.toml'),
    'ui.source.mapping_ready': ('Mapping in use: {name}.', 'Correspondance utilisée : {name}.'),
    'ui.source.suggested': ('Suggested mapping for {source}: check it, change it if needed, then save it.',
        'Correspondance proposée pour {source} : la vérifier, la corriger si besoin, puis l\'enregistrer.'),
    'ui.source.todo': ('Not placed, to fill in by hand: {labels}.', 'Non placés, à compléter à la main : {labels}.'),
    'ui.source.save_mapping': ('Save this mapping and read the file', 'Enregistrer cette correspondance et lire le fichier'),
    'ui.source.mapping_saved': ('Mapping saved as {path}.', 'Correspondance enregistrée sous {path}.'),
    'ui.source.mapping_download': ('Download {file}', 'Télécharger {file}'),
    'ui.source.suggest_missing': ('Suggesting a mapping needs a newer version of vitale-analysis; choose a mapping file instead.',
        'Proposer une correspondance demande une version plus récente de vitale-analysis ; choisir plutôt un fichier de correspondance.'),
    'ui.source.step_suggest': ('Looking at the file to suggest a mapping…', 'Examen du fichier pour proposer une correspondance…'),
    'ui.source.step_read': ('Reading the file…', 'Lecture du fichier…'),
    'ui.source.step_check': ('Checking the rows…', 'Vérification des lignes…'),
    'ui.source.step_cases': ('Building the case table…', 'Construction du tableau des dossiers…'),
    'ui.source.step_tabs': ('Drawing the tabs…', 'Préparation des onglets…'),
    'ui.source.done': ('{source}: {rows} {rows|row|rows} read, {kept} kept, {aside} set aside.',
        '{source} : {rows} {rows|ligne lue|lignes lues}, {kept} {kept|gardée|gardées}, {aside} {aside|mise|mises} de côté.'),
    'ui.source.set_aside': ('Rows set aside: {reasons}. The command vitale-analysis validate lists each one with its fix.',
        'Lignes mises de côté : {reasons}. La commande vitale-analysis validate les liste une à une avec la correction.'),
    'ui.source.failed': ('{source} could not be used. The reason, as the toolkit gives it:',
        'Impossible d\'utiliser {source}. La raison, telle que l\'outil la donne :'),
    'ui.source.failed_other': ('{source} could not be read ({error}).', 'Impossible de lire {source} ({error}).'),
    'ui.source.try_again': ('Choose another file or another mapping above; the page stays as it was.',
        'Choisir un autre fichier ou une autre correspondance ci-dessus ; la page reste telle quelle.'),
    'ui.source.no_file': ('No file {name} in folder {folder}.', 'Aucun fichier {name} dans le dossier {folder}.'),
    'ui.source.closest': ('Did you mean {names}?', 'Vouliez-vous dire {names} ?'),
    'ui.source.is_folder': ('{name} is a folder in {folder}, not a file.', '{name} est un dossier dans {folder}, pas un fichier.'),
    'ui.source.wrong_kind': ('{name} is not a case log this page reads: use {kinds}.',
        "{name} n'est pas un journal que cette page lit : utiliser {kinds}."),
    'ui.source.none_yet': ('No case log is open yet: send a file or type its path above.',
        "Aucun journal n'est encore ouvert : envoyer un fichier ou taper son chemin ci-dessus."),
    'ui.tab.process_map': ('Process map', 'Carte du processus'),
    'ui.pmap.level': ('Steps', 'Étapes'),
    'ui.pmap.events': ('every step', 'toutes les étapes'),
    'ui.pmap.milestones': ('milestones only', 'jalons seulement'),
    'ui.pmap.share': ('Hide moves made by fewer than (% of dossiers)',
        'Masquer les passages de moins de (% des dossiers)'),
    'ui.pmap.cohort': ('Dossiers', 'Dossiers'),
    'ui.pmap.everyone': ('all of them', 'tous'),
    'ui.pmap.value': ('Which', 'Lesquels'),
    'ui.pmap.colour': ('Colour', 'Couleur'),
    'ui.pmap.days': ('median days', 'jours médians'),
    'ui.pmap.dossiers': ('dossiers', 'dossiers'),
    'ui.pmap.head': ('How dossiers moved from step to step, as of {day}: {n}.',
        'Comment les dossiers sont passés d\'une étape à l\'autre, au {day} : {n}.'),
    'ui.pmap.hidden': ('Moves made by fewer than {share} of these dossiers are hidden; arcs going up are loops '
                       '(a complement asked again, a dossier sent again).',
        'Les passages de moins de {share} de ces dossiers sont masqués ; les arcs qui remontent sont des boucles '
        '(un complément redemandé, un dossier renvoyé).'),
    'ui.pmap.variants': ('The commonest paths through the milestones', 'Les parcours les plus fréquents entre jalons'),
    'ui.pmap.col.path': ('Path', 'Parcours'),
    'ui.pmap.col.dossiers': ('Dossiers', 'Dossiers'),
    'ui.pmap.col.share': ('Share', 'Part'),
    'ui.pmap.col.median': ('Median days, first to last step (Kaplan–Meier)',
        'Jours médians, de la première à la dernière étape (Kaplan–Meier)'),
    'ui.pmap.not_yet': ('not yet known', 'pas encore connu'),
    'ui.tab.caseload': ('Time per phase', 'Durée des phases'),
    'ui.tab.stalls': ('Stalled dossiers', 'Dossiers bloqués'),
    'ui.tab.triggers': ('Delay triggers', 'Motifs de retard'),
    'ui.tab.dossier': ('One dossier', 'Un dossier'),
    'ui.trigger_as_of': ('Delay triggers recorded up to {day}.', "Motifs de retard enregistrés jusqu'au {day}."),
    'ui.range_first': ('first month', 'premier mois'),
    'ui.range_last': ('last month', 'dernier mois'),
    'ui.date_placeholder': ('yyyy-mm-dd', 'jj/mm/aaaa'),
    'ui.date_hint': ('a day written yyyy-mm-dd, then Enter', 'une date jj/mm/aaaa, puis Entrée'),
    'ui.date_invalid': ('“{text}” is not a day written year-month-day: write it like {example}, then press Enter.',
        "« {text} » n'est pas une date jour/mois/année : l'écrire comme {example}, puis appuyer sur Entrée."),
    'ui.date_out_of_range': ('No data for {day}: the case log runs from {first} to {last}. Still shown: as of {shown}.',
        'Pas de données au {day} : le journal des dossiers va du {first} au {last}. Toujours affiché : au {shown}.'),
    'ui.no_dossier': ('No dossier {number} — check the number.', 'Aucun dossier {number} — vérifier le numéro.'),
    'ui.several_dossiers': ('{n} dossiers have the number {number}: type it in full.',
        '{n} dossiers ont le numéro {number} : le saisir en entier.'),
    'ui.save_hint': ('Make the Excel file of this list, then download it with the link that appears',
        'Préparer le fichier Excel de cette liste, puis le télécharger par le lien qui apparaît'),
    'ui.download': ('Download {file} ({n} {n|dossier|dossiers})', 'Télécharger {file} ({n} {n|dossier|dossiers})'),
    'ui.download_failed': ('Could not make the Excel file: {error}', 'Impossible de préparer le fichier Excel : {error}'),
    'ui.file.worklist': ('worklist', 'a_relancer'),
    'ui.file.all_phases': ('all-phases', 'toutes-phases'),
    'ui.file.followup': ('followup{d}d', 'relance{d}j'),
    'ui.file.as_of': ('as-of', 'au'),
    'ui.percentile_st': ('{p}st percentile', '{p}e centile'),
    'ui.percentile_nd': ('{p}nd percentile', '{p}e centile'),
    'ui.percentile_rd': ('{p}rd percentile', '{p}e centile'),
    'ui.percentile_th': ('{p}th percentile', '{p}e centile'),
    'ui.sheet_title': ('Dossiers to follow up, as of {day}', 'Dossiers à relancer, au {day}'),
    'ui.sheet_source': ('Source: {source}', 'Source : {source}'),
    'ui.sheet_settings': ('Phase: {phase}; stalled: more days in the phase than the {percentile} of its dossiers; follow-up after {f} {f|day|days} without news.',
        'Phase : {phase} ; bloqué : plus de jours dans la phase que le {percentile} de ses dossiers ; relance après {f} {f|jour|jours} sans nouvelles.'),
    'ui.sheet_count': ('{n} {n|dossier|dossiers}, most overdue first.', "{n} {n|dossier|dossiers}, les plus en retard d'abord."),
    'ui.sheet_made': ('Made by vitale-analysis {v}: every figure depends only on the case log and this date.',
        'Fait par vitale-analysis {v} : chaque chiffre ne dépend que du journal des dossiers et de cette date.'),
    # ---- the command line's summary
    'cli.header': ('Dossiers as of {day}: {n} in all — {open} open, {complete} complete, {closed} closed (abandoned or moved away).',
        'Dossiers au {day} : {n} en tout — {open} en cours, {complete} {complete|terminé|terminés}, {closed} clos (abandon ou déménagement).'),
    'cli.phases_intro': ('Time per phase, in days. Kaplan–Meier counts the dossiers still open for the days they\nhave waited so far; “finished only” leaves them out and so looks shorter.',
        'Durée de chaque phase, en jours. Kaplan–Meier compte les dossiers encore en cours pour les jours\ndéjà attendus ; « terminés seuls » les laisse de côté et paraît donc plus court.'),
    'cli.col.phase': ('phase', 'phase'),
    'cli.col.dossiers': ('dossiers', 'dossiers'),
    'cli.col.open': ('open', 'en cours'),
    'cli.col.median': ('median', 'médiane'),
    'cli.col.p75': ('p75', '75e c.'),
    'cli.col.p90': ('p90', '90e c.'),
    'cli.col.finished_only': ('finished only', 'terminés seuls'),
    'cli.col.trigger': ('delay trigger', 'motif de retard'),
    'cli.col.share': ('share', 'part'),
    'cli.col.extra_days': ('extra days', 'jours en plus'),
    'cli.stalled': ("Stalled: {n} open past their phase's threshold (the caseload's 90th percentile; follow-up interval {f} days).",
        'Bloqués : {n} en cours au-delà du seuil de leur phase (90e centile des dossiers ; délai de relance {f} jours).'),
    'cli.past': ('past {d}', 'au-delà de {d}'),
    'cli.next_actions': ('next actions: {list}', 'prochaines actions : {list}'),
    'cli.triggers': ('Delay triggers, by days attributable (an association, not proof of cause):',
        'Motifs de retard, par jours attribuables (une association, pas une preuve de cause) :'),
    'cli.order': ('Steps out of order (dossiers):', 'Étapes dans le désordre (dossiers) :'),
    'cli.forecast': ('When will the {n} dossiers still waiting for their rights get them? Estimates from past dossiers, not promises '
                     '(expected per week, {level} band):',
        'Quand les {n} dossiers qui attendent encore leurs droits les auront-ils ? Estimations tirées des dossiers passés, pas des '
        'promesses (attendus par semaine, fourchette à {level}) :'),
    'cli.forecast_week': ('week of {day}', 'semaine du {day}'),
    'cli.forecast_later': ('later, or not yet known', 'plus tard, ou pas encore connu'),
    'cli.forecast_band': ('({low} to {high})', '(de {low} à {high})'),
    'cli.not_yet': ('not yet', 'pas encore'),
    'cli.quality_head': ('Quality of {source}', 'Qualité de {source}'),
    'cli.quality_span': ('{n}; events from {first} to {last}', '{n} ; événements du {first} au {last}'),
    'cli.source': ('Case log: {source}', 'Journal des dossiers : {source}'),
    'cli.report_written': ('Report written for {source} (as of {day}, {n}):',
        'Rapport écrit pour {source} (au {day}, {n}) :'),
    'cli.validate_more': ('→ --details lists every problem (row, dossier, column, value) with its fix; '
                          '--details-csv FILE writes them as CSV.',
        '→ --details liste chaque problème (ligne, dossier, colonne, valeur) avec sa correction ; '
        '--details-csv FICHIER les écrit en CSV.'),
    'cli.details_none': ('No problems: nothing set aside or flagged.',
        'Aucun problème : rien de mis de côté ni de signalé.'),
    'cli.details_check': ('{check} ({rows}, {action}): fix: {fix}', '{check} ({rows}, {action}) : correction : {fix}'),
    'cli.details_row': ('row {row}', 'ligne {row}'),
    'cli.details_more': ('… {n} more problems not shown: --details-csv FILE writes them all.',
        '… {n} autres problèmes non montrés : --details-csv FICHIER les écrit tous.'),
    'cli.details_written': ('Problems written to {path} ({n} rows).', 'Problèmes écrits dans {path} ({n} lignes).'),
    'cli.mostly_set_aside': ('More than half of the rows were set aside ({n} of {total}): the mapping or the file is '
                             'probably wrong; the notes above name the setting to check (exit status {code}).',
        "Plus de la moitié des lignes ont été mises de côté ({n} sur {total}) : la correspondance ou le fichier est "
        "sans doute faux ; les notes de lecture (montrées avec --lang en) nomment le réglage à vérifier (code de "
        "sortie {code})."),
    # ---- the fix for each check (validate --details, the details CSV)
    'fix.malformed_row': ('look at the line in the file: a stray delimiter or quote; re-export it, or quote the cell',
        'regardez la ligne dans le fichier : un séparateur ou un guillemet en trop ; exportez-la à nouveau, ou mettez '
        'la cellule entre guillemets'),
    'fix.empty_case_id': ('fill in the dossier number, or delete the row if it is not a step',
        "remplissez le numéro de dossier, ou supprimez la ligne si ce n'est pas une étape"),
    'fix.empty_event': ('fill in the step, or delete the row', "remplissez l'étape, ou supprimez la ligne"),
    'fix.lifecycle_not_complete': ('nothing to do if a step counts when it completes; to keep these events, set '
                                   'lifecycle = "all" (each under its activity\'s name) or "name+lifecycle" (each '
                                   'transition its own step) in the mapping, or pass lifecycle="all" to load()',
        "rien à faire si une étape compte quand elle se termine ; pour garder ces événements, mettez "
        'lifecycle = "all" (chacun sous le nom de son activité) ou "name+lifecycle" (chaque transition est une étape) '
        'dans la correspondance, ou passez lifecycle="all" à load()'),
    'fix.missing_timestamp': ('fill in the date of the step', "remplissez la date de l'étape"),
    'fix.unparseable_timestamp': ('write the date as 31/01/2025 14:30 or 2025-01-31 14:30; check the day/month order '
                                  '(dayfirst) and the notes',
        "écrivez la date comme 31/01/2025 14:30 ou 2025-01-31 14:30 ; vérifiez l'ordre jour/mois (dayfirst) et "
        'les notes'),
    'fix.duplicate_row': ('nothing to do: the first copy is kept (delete the copy in the file to silence this)',
        'rien à faire : la première copie est gardée (supprimez la copie dans le fichier pour ne plus le voir)'),
    'fix.after_as_of': ('nothing to do, or choose a later as-of date',
        "rien à faire, ou choisissez une date d'analyse plus tardive"),
    'fix.unknown_event': ("add the label to the mapping's [values.event] table, or correct it in the file (the notes "
                          'name the closest steps)',
        "ajoutez le libellé à la table [values.event] de la correspondance, ou corrigez-le dans le fichier (les "
        'notes nomment les étapes les plus proches)'),
    'fix.unknown_trigger': ("add the label to the mapping's [values.trigger] table, or correct it in the file (the "
                            'notes name the closest triggers)',
        "ajoutez le libellé à la table [values.trigger] de la correspondance, ou corrigez-le dans le fichier (les "
        'notes nomment les causes de retard les plus proches)'),
    'fix.same_time_tie': ('give the steps their real times if you know them; otherwise the process order is used',
        "donnez aux étapes leurs heures réelles si vous les connaissez ; sinon, l'ordre du parcours est utilisé"),
    'fix.no_start_milestone': ("add the dossier's first step if it is missing from the log",
        'ajoutez la première étape du dossier si elle manque au journal'),
    'fix.order_violation': ('check the dates of the two steps; if they are right, the dossier was handled out of '
                            'order',
        "vérifiez les dates des deux étapes ; si elles sont justes, le dossier a été traité dans le désordre"),
    'fix.conflicting_attribute': ('give the dossier the same value on every row',
        'donnez au dossier la même valeur sur chaque ligne'),
    'fix.unreadable_value': ('write yes or no (oui/non, 1/0, true/false)', 'écrivez oui ou non (oui/non, 1/0, vrai/faux)'),
    'fix.nir_bad_key': ('check the social security number: its key (the last two digits) does not match',
        'vérifiez le numéro de sécurité sociale : sa clé (les deux derniers chiffres) ne correspond pas'),
    'fix.future_timestamp': ('check the year of this date (a typo?)',
        "vérifiez l'année de cette date (une faute de frappe ?)"),
    # ---- forecasts: estimates from past dossiers, never promises
    'forecast.beyond': ('beyond past dossiers', 'au-delà des dossiers passés'),
    'forecast.range': ('{low} to {high}', 'du {low} au {high}'),
    'forecast.range_open': ('{low} or later (beyond past dossiers)',
        'le {low} ou plus tard (au-delà des dossiers passés)'),
    'forecast.range_short_open': ('{low} or later', '{low} ou plus tard'),
    'forecast.basis_all': ('of the whole caseload', 'de l’ensemble du portefeuille'),
    'forecast.basis_cohort': ('of {column} {value}', 'de la cohorte {column} {value}'),
    'forecast.what.rights_opened': ('Expected rights opening', 'Ouverture des droits prévue'),
    'forecast.what.card_received': ('Expected card arrival', 'Réception de la carte prévue'),
    'forecast.what.other': ('Expected “{milestone}”', '« {milestone} » prévu'),
    'forecast.line': ('{what}: {date} ({share} of similar past dossiers got there between {low} and {high}; an estimate from {n} past dossiers {basis}, not a promise).',
        '{what} : {date} ({share} des dossiers passés semblables y sont arrivés entre le {low} et le {high} ; estimation d’après {n} dossiers passés {basis}, pas une promesse).'),
    'forecast.line_open': ('{what}: {date}, perhaps much later: {share} of similar past dossiers got there from {low} on, but some of them waited longer than any past dossier shows (an estimate from {n} past dossiers {basis}, not a promise).',
        '{what} : {date}, peut-être bien plus tard : {share} des dossiers passés semblables y sont arrivés à partir du {low}, mais certains ont attendu plus longtemps que tout ce que montrent les dossiers passés (estimation d’après {n} dossiers passés {basis}, pas une promesse).'),
    'forecast.line_beyond': ('{what}: no estimate. This dossier has already waited longer than past dossiers show ({n} past dossiers {basis}); follow it up.',
        '{what} : pas d’estimation. Ce dossier attend déjà depuis plus longtemps que ce que montrent les dossiers passés ({n} dossiers passés {basis}) ; à relancer.'),
    'report.forecast': ('When will open dossiers get their rights?',
        'Quand les dossiers en cours auront-ils leurs droits ?'),
    'report.forecast_note': ('These are estimates from past dossiers of this caseload, not promises. For each open dossier still waiting for its rights, the time left in its current phase is drawn from past dossiers that had waited as long, then the later phases from their own past durations. The band holds {share} of the outcomes if the coming weeks are like the past: in about one week in ten the count falls below it, and in one in ten above it.',
        'Ce sont des estimations d’après les dossiers passés de ce portefeuille, pas des promesses. Pour chaque dossier en cours qui attend encore ses droits, le temps restant dans sa phase actuelle est tiré des dossiers passés qui avaient attendu aussi longtemps, puis les phases suivantes de leurs propres durées passées. La fourchette contient {share} des issues si les semaines à venir ressemblent au passé : environ une semaine sur dix le nombre tombe en dessous, et une sur dix au-dessus.'),
    'report.forecast_counts': ('{n} open {n|dossier|dossiers} waiting for {n|its|their} rights; about {later} expected after the last week shown; {beyond} with an interval reaching beyond what past dossiers show (follow {beyond|it|them} up).',
        '{n} {n|dossier en cours attend ses|dossiers en cours attendent leurs} droits ; environ {later} attendus après la dernière semaine affichée ; {beyond} avec une fourchette qui dépasse ce que montrent les dossiers passés (à relancer).'),
    'report.forecast_worklist_note': ('“Expected rights opening” and its range: an estimate from past dossiers ({share} of similar past dossiers got their rights within the range), not a promise; empty for dossiers whose rights are already open.',
        '« Ouverture des droits prévue » et sa fourchette : une estimation d’après les dossiers passés ({share} des dossiers passés semblables ont eu leurs droits dans la fourchette), pas une promesse ; vide pour les dossiers dont les droits sont déjà ouverts.'),
    'report.forecast_worklist_note_page': ('“Expected rights opening”: an estimate from past dossiers, not a promise; in brackets, where {share} of similar past dossiers fell; empty once the rights are open.',
        '« Ouverture des droits prévue » : estimation d’après les dossiers passés, pas une promesse ; entre parenthèses, la fourchette de {share} des dossiers semblables ; vide si les droits sont ouverts.'),
    'report.caption_forecast': ('Open dossiers expected to get their rights, week by week (estimate)',
        'Dossiers en cours attendus à l’ouverture des droits, semaine par semaine (estimation)'),
    'report.forecast_later': ('Later, or beyond past dossiers', 'Plus tard, ou au-delà des dossiers passés'),
    'report.week': ('{start} to {end}', 'du {start} au {end}'),
    'sheet.forecast': ('Expected dates', 'Dates prévues'),
    'alt.forecast': ('Chart: open dossiers expected to get their rights each week, with the band that holds 80% of the outcomes (an estimate from past dossiers)',
        'Graphique : dossiers en cours attendus à l’ouverture des droits chaque semaine, avec la fourchette qui contient 80\u202f% des issues (estimation d’après les dossiers passés)'),
    'chart.forecast_title': ('Open dossiers expected to reach “{milestone}”, per {period}',
        'Dossiers en cours attendus à l’étape « {milestone} », par {period}'),
    'chart.forecast_subtitle': ('{n} open {n|dossier|dossiers} as of {day}: an estimate from past dossiers, not a promise',
        '{n} {n|dossier|dossiers} en cours au {day} : estimation d’après les dossiers passés, pas une promesse'),
    'chart.forecast_y': ('dossiers per {period}', 'dossiers par {period}'),
    'chart.forecast_expected': ('expected', 'attendus'),
    'chart.forecast_band': ('band ({share})', 'fourchette ({share})'),
    'chart.forecast_later': ('later or beyond past dossiers: about {n}',
        'plus tard ou au-delà des dossiers passés : environ {n}'),
    'col.expected_rights': ('Expected rights opening (estimate)', 'Ouverture des droits prévue (estimation)'),
    'col.expected_rights_range': ('Range, 8 in 10 past dossiers', 'Fourchette, 8 dossiers passés sur 10'),
    'col.expected_date': ('Expected date (estimate)', 'Date prévue (estimation)'),
    'col.low_date': ('Range from', 'Fourchette : du'),
    'col.high_date': ('Range to', 'Fourchette : au'),
    'col.basis': ('Estimated from', 'Estimé d’après'),
    'col.basis_dossiers': ('Past dossiers used', 'Dossiers passés utilisés'),
    'col.beyond_history': ('Beyond past dossiers', 'Au-delà des dossiers passés'),
    'col.week': ('Week', 'Semaine'),
    'col.expected': ('Expected dossiers (estimate)', 'Dossiers attendus (estimation)'),
    'col.band': ('Band (80%)', 'Fourchette (80\u202f%)'),
    'value.basis.all': ('all dossiers', 'tous les dossiers'),
    # ---- the process map, the paths and the rework in the report and the workbook
    'report.pmap': ('Where the loops are: the process map', 'Où sont les boucles : la carte du processus'),
    'report.pmap_note': ('How to read it: the milestones go down the middle, in the order of the process; the other steps stand beside the milestone they usually follow. An arrow is as wide as the number of dossiers that made the move, and its colour gives the median days between the two steps (darker: longer). Arcs going back up the page are loops: a complement asked for again, a card ordered again. To keep the map legible it shows only the moves made by at least {share} of the dossiers; the workbook’s “{sheet}” sheet lists every move.',
        'Comment la lire : les jalons descendent au centre, dans l’ordre du processus ; les autres étapes se placent à côté du jalon qu’elles suivent d’habitude. Une flèche est d’autant plus large que les dossiers passés par là sont nombreux, et sa couleur donne le nombre médian de jours entre les deux étapes (plus foncée : plus long). Les arcs qui remontent la page sont des boucles : un complément demandé à nouveau, une carte commandée une deuxième fois. Pour que la carte reste lisible, elle ne montre que les passages faits par au moins {share} des dossiers ; l’onglet « {sheet} » du classeur les donne tous.'),
    'report.variants_note': ('The paths dossiers took from milestone to milestone, the most common first; a milestone reached twice appears twice. The median total days runs from a dossier’s first event to its last (Kaplan–Meier: dossiers not finished count for the days they have waited so far; “not yet”: too many are unfinished to know).',
        'Les chemins suivis par les dossiers d’un jalon à l’autre, du plus fréquent au moins fréquent ; un jalon atteint deux fois apparaît deux fois. La durée totale médiane va du premier au dernier événement du dossier (Kaplan–Meier : les dossiers inachevés comptent pour les jours déjà attendus ; « pas encore » : trop de dossiers sont inachevés pour le savoir).'),
    'report.caption_variants': ('The most common paths through the milestones',
        'Les chemins les plus fréquents d’un jalon à l’autre'),
    'report.variants_no_step': ('(no milestone yet)', '(aucun jalon pour l’instant)'),
    'report.rework_note': ('Rework: complement rounds (a document asked for, then sent), dossiers submitted again, cards ordered again. Days in loops add up the days the complement rounds lasted. The workbook’s “{sheet}” sheet lists the dossiers concerned.',
        'Reprises : tours de complément (une pièce demandée, puis envoyée), dossiers déposés à nouveau, cartes commandées à nouveau. Les jours dans des boucles additionnent la durée des tours de complément. L’onglet « {sheet} » du classeur liste les dossiers concernés.'),
    'report.caption_rework_by': ('Rework by {column}', 'Reprises par {column}'),
    'report.caption_rework_all': ('Rework in the whole caseload', 'Reprises sur l’ensemble du portefeuille'),
    'sheet.pmap': ('Process map', 'Carte du processus'),
    'sheet.variants': ('Paths', 'Chemins'),
    'sheet.rework': ('Rework', 'Reprises'),
    'alt.pmap': ('Chart: process map, the steps dossiers go through and the moves between them, loops drawn as arcs going up',
        'Graphique : carte du processus, les étapes par lesquelles passent les dossiers et les passages de l’une à l’autre, les boucles en arcs qui remontent'),
    'col.from_step': ('From step', 'Étape de départ'),
    'col.to_step': ('To step', 'Étape suivante'),
    'col.dossiers': ('Dossiers', 'Dossiers'),
    'col.transitions': ('Times made', 'Passages'),
    'col.share_of_dossiers': ('Share of dossiers', 'Part des dossiers'),
    'col.pmap_median_days': ('Median days between the steps', 'Jours entre les étapes, médiane'),
    'col.pmap_p90_days': ('Days between the steps, 90th percentile', 'Jours entre les étapes, 90e centile'),
    'col.rank': ('Rank', 'Rang'),
    'col.path': ('Path', 'Chemin'),
    'col.n_steps': ('Milestones on the path', 'Jalons du chemin'),
    'col.n_complete': ('Complete', 'Complets'),
    'col.median_total_days': ('Median total days (Kaplan–Meier)', 'Durée totale médiane (jours, Kaplan–Meier)'),
    'col.example_cases': ('Example dossiers', 'Exemples de dossiers'),
    'col.complement_rounds': ('Complement rounds', 'Tours de complément'),
    'col.resubmissions': ('Submitted again', 'Déposés à nouveau'),
    'col.card_reorders': ('Cards ordered again', 'Cartes commandées à nouveau'),
    'col.days_in_loops': ('Days in loops', 'Jours dans des boucles'),
    'col.in_loop': ('In a loop now', 'Dans une boucle en ce moment'),
    'col.dossiers_with_rework': ('Dossiers with rework', 'Dossiers avec reprise'),
    'col.share_with_rework': ('Share with rework', 'Part avec reprise'),
    'col.rounds_per_dossier': ('Complement rounds per dossier', 'Tours de complément par dossier'),
}


def _format_field(value, lang: str):
    """A field of a catalogue text: whole numbers and floats in the language's notation."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return number(int(value), lang)
    if isinstance(value, float):
        return number(value, lang, 0 if float(value).is_integer() else 1)
    return value


def has(key: str) -> bool:
    """Whether the catalogue holds ``key``."""
    return key in CATALOGUE


def t(key: str, lang: str, **fields) -> str:
    """The text of ``key`` in ``lang``, its fields filled (numbers in the language's notation)."""
    check_lang(lang)
    try:
        text = CATALOGUE[key][LANGUAGES.index(lang)]
    except KeyError:
        raise KeyError(f"no text {key!r} in vitale_analysis.i18n.CATALOGUE") from None
    if not fields:
        return text
    text = _PLURAL.sub(lambda m: _plural(m, fields, lang), text)
    return text.format(**{k: _format_field(v, lang) for k, v in fields.items()})


# ``{n|singular|plural}`` in a text: the form for the number in field ``n`` (French: singular for 0 and 1).
_PLURAL = re.compile(r"\{(\w+)\|([^|{}]*)\|([^|{}]*)\}")


def _plural(match: re.Match, fields: Mapping, lang: str) -> str:
    n = fields.get(match.group(1))
    one = isinstance(n, (int, float)) and (n == 1 or (lang == "fr" and n == 0))
    return match.group(2) if one else match.group(3)


# ============================================================================ numbers
def number(value, lang: str, decimals: int = 0) -> str:
    """``1,102`` / ``74.3`` in English; ``1 102`` (narrow no-break space) / ``74,3`` in French.
    An infinite value reads "∞"; a missing one, an empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    text = f"{value:,.{decimals}f}"
    if text.startswith("-"):
        text = "−" + text[1:]  # (the minus sign, not a hyphen)
        if text == "−" + "0" * len(text[1:]) or set(text[1:]) <= {"0", ".", ","}:
            text = text[1:]  # no "−0"
    if lang == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return text


def percent(value: float, lang: str, decimals: int = 0) -> str:
    """A value already in per cent: ``12%`` / ``12 %``."""
    text = number(value, lang, decimals)
    return f"{text}{NNBSP}%" if lang == "fr" else f"{text}%"


def share(fraction: float, lang: str, decimals: int = 1) -> str:
    """A fraction as per cent: ``0.125`` → ``12.5%`` / ``12,5 %``."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return ""
    return percent(100 * float(fraction), lang, decimals)


def count(n: int, noun: str, lang: str) -> str:
    """``n`` and its noun with the language's plural rule: English singular for 1 only, French for 0 and 1
    (``"1 dossier"``, ``"0 dossier"``, ``"1 102 dossiers"``); ``noun`` is a ``noun.…`` key's end."""
    singular, plural = t(f"noun.{noun}", lang).split("|")
    one = n == 1 or (lang == "fr" and n == 0)
    return f"{number(n, lang)} {singular if one else plural}"


def days(value: float, lang: str, *, working: bool = False, decimals: int | None = None) -> str:
    """Days for a label: whole days from 10 on, one decimal below (``36 days``, ``4,3 jours``);
    an infinite value (a median not reached) reads as the catalogue's "not reached yet"."""
    if isinstance(value, float) and math.isinf(value):
        return t("report.not_yet", lang)
    if decimals is None:
        decimals = 0 if abs(value) >= 10 else 1
    text = number(value, lang, decimals)
    singular, plural = t("noun.working_day" if working else "noun.day", lang).split("|")
    one = text in ("1", "0") if lang == "fr" else text == "1"
    return f"{text} {singular if one else plural}"


def colon(lang: str) -> str:
    """``:`` in English, `` :`` (narrow no-break space before) in French."""
    return f"{NNBSP}:" if lang == "fr" else ":"


# ============================================================================ dates
def _as_date(when) -> date:
    if hasattr(when, "day") and callable(getattr(when, "day")):  # an AsOf: the last day it covers
        return when.day()
    if isinstance(when, datetime):
        return when.date()
    if isinstance(when, date):
        return when
    return pd.Timestamp(when).date()


def month(number_: int, lang: str, *, short: bool = False) -> str:
    """The month's name (1 = January), in the language, never the machine's locale."""
    return (_MONTHS_SHORT if short else _MONTHS)[lang][number_ - 1]


def day(when, lang: str) -> str:
    """A day in words: ``30 June 2025``, ``1er juillet 2025`` (an AsOf: the last day it covers)."""
    check_lang(lang)
    d = _as_date(when)
    first = "1er" if lang == "fr" and d.day == 1 else str(d.day)
    return f"{first} {_MONTHS[lang][d.month - 1]} {d.year}"


def short_day(when, lang: str) -> str:
    """A day in figures: ``2025-06-30`` in English (unambiguous), ``30/06/2025`` in French."""
    d = _as_date(when)
    return f"{d:%d/%m/%Y}" if lang == "fr" else d.isoformat()


def date_time(values, lang: str) -> pd.Series:
    """Timestamps for a table, to the minute: ``2025-01-03 13:14`` / ``03/01/2025 13:14`` (missing: empty)."""
    values = pd.Series(values)
    return values.dt.strftime("%d/%m/%Y %H:%M" if lang == "fr" else "%Y-%m-%d %H:%M").fillna("")


# ============================================================================ labels
def event_label(name, lang: str, process=None, labels: Mapping | None = None) -> str:
    """An event's label: the user's own (``labels``, from their mapping), else the catalogue's, else the
    process model's milestone phrase, else the name with spaces."""
    if labels and name in labels:
        return str(labels[name])
    key = f"event.{name}"
    if key in CATALOGUE:
        return t(key, lang)
    return str(name).replace("_", " ")


def column_label(column: str, lang: str) -> str:
    """A column's name inside a sentence ("office" / "caisse")."""
    key = f"column.{column}"
    return t(key, lang) if key in CATALOGUE else str(column).replace("_", " ")


def value_label(column: str, value, lang: str, labels: Mapping | None = None) -> str:
    """A cohort or attribute value as shown: the user's own label (``labels``: column → value → label), else
    the catalogue's (``value.<column>.<value>``), yes/no for booleans, else the value itself."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return t("chart.missing", lang)
    own = (labels or {}).get(column) or {}
    if value in own:
        return str(own[value])
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return t(f"value.bool.{str(bool(value)).lower()}", lang)
    key = f"value.{column}.{value}"
    return t(key, lang) if key in CATALOGUE else str(value)


def headers(lang: str) -> dict[str, str]:
    """Column name → readable header, in ``lang``."""
    return {key[4:]: t(key, lang) for key in CATALOGUE if key.startswith("col.")}


_SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


def snake_case_words(text: str) -> list[str]:
    """The raw ``snake_case`` codes in a visible text (for tests: none should reach a reader)."""
    return _SNAKE.findall(text)


def _pairs(prefix: str) -> dict[str, tuple[str, str]]:
    return {key[len(prefix):]: value for key, value in CATALOGUE.items() if key.startswith(prefix)}


#: Event name → (English, French) labels (the catalogue's ``event.`` keys).
EVENT_LABELS: Mapping[str, tuple[str, str]] = _pairs("event.")
#: Column → (English, French) name inside a sentence.
COLUMN_LABELS: Mapping[str, tuple[str, str]] = _pairs("column.")
#: Milestone (None: the end) → ("time to it" pair, "since it" pair).
MILESTONE_PHRASES: Mapping[str | None, tuple[tuple[str, str], tuple[str, str]]] = {
    (None if key == "end" else key): (pair, CATALOGUE[f"milestone_since.{'start' if key == 'end' else key}"])
    for key, pair in _pairs("milestone_to.").items()
}
#: Language → column name → readable header (the catalogue's ``col.`` keys).
HEADERS: Mapping[str, Mapping[str, str]] = {lang: headers(lang) for lang in LANGUAGES}


def title(key: str, process, lang: str) -> str:
    """A page title (``report.title``, ``ui.dashboard.title``): the Carte Vitale one for its model, else
    the same words with the model's own label (``label`` in its file, else its name)."""
    if process is None or process.name == "carte_vitale":
        return t(key, lang)
    label = process.label.get(lang) or process.label.get("en") or process.name
    if label == process.name:  # (no label in the model's file: its name, without underscores)
        label = label.replace("_", " ")
    return t(f"{key}_model", lang, process=label)
