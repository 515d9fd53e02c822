"""Demo projects of Maine-et-Loire (49), Mayenne (53) and Sarthe (72). Organisations and people are made
up."""

from __future__ import annotations

from ess_ops.demo.model import Grant as G
from ess_ops.demo.model import Holder, Project
from ess_ops.demo.model import Line as L

ANGERS_LOIRE_METROPOLE = "244900015"
LAVAL_AGGLO = "200083392"
LE_MANS_METROPOLE = "247200132"

EAST: tuple[Project, ...] = (
    Project(
        "conserverie-angers",
        Holder("SCIC Conserverie solidaire d'Anjou", "scic", "49", 201, epci_siren=ANGERS_LOIRE_METROPOLE),
        "Conserverie anti-gaspillage des invendus maraîchers",
        "Transformation en conserves et en soupes des invendus de 40 producteurs angevins, vendues en "
        "épiceries et en restauration collective.",
        "development_or_scale_up",
        ("funding", "premises"),
        (
            L("Autoclave et ligne de conditionnement", "equipment", 145_000),
            L("Salaires de production", "staff", 90_000),
            L("Mise aux normes du local", "premises", 35_000),
        ),
        planned_jobs=7,
        grants=(G("region", 60_000, "paid"), G("bdt", 90_000, "scheduled", "loan")),
    ),
    Project(
        "habitat-saumur",
        Holder("Association Habitat et Humanisme Saumurois", "association", "49", 202, True),
        "Pension de famille de 18 logements à Saumur",
        "Réhabilitation d'un ancien couvent en pension de famille pour des personnes isolées, avec un hôte "
        "présent chaque jour.",
        "social_innovation",
        ("funding", "premises", "support"),
        (
            L("Travaux", "investment", 260_000),
            L("Poste d'hôte", "staff", 42_000),
        ),
        planned_jobs=2,
        grants=(G("state", 60_000, "committed"), G("bdt", 120_000, "committed", "loan")),
    ),
    Project(
        "fondation-cholet",
        Holder("Fondation des Mauges pour l'emploi", "foundation", "49", 203),
        "Plateforme d'emploi accompagné pour les personnes handicapées",
        "Un job coach pour 30 salariés en situation de handicap dans les entreprises du Choletais, avec "
        "un suivi dans la durée.",
        "social_innovation",
        ("support", "network"),
        (L("Job coachs", "staff", 110_000), L("Frais de déplacement", "travel", 12_000)),
        planned_jobs=3,
        grants=(G("state", 50_000, "opinion"),),
    ),
    Project(
        "velo-angers",
        Holder("Association Atelier vélo La Chambre à air", "association", "49", 204, True),
        "Atelier vélo participatif et vélo-école",
        "Un atelier où chacun apprend à réparer son vélo, des vélos reconditionnés vendus à petit prix et "
        "une vélo-école pour les adultes.",
        "development_or_scale_up",
        ("premises", "funding"),
        (L("Loyer et aménagement", "premises", 22_000), L("Mécanicien animateur", "staff", 31_000)),
        planned_jobs=1,
        grants=(G("region", 15_000, "requested"),),
    ),
    Project(
        "scop-imprimerie-49",
        Holder("Scop Imprimerie du Layon", "scop", "49", 205),
        "Passage aux encres végétales et au papier recyclé",
        "Modernisation de l'atelier d'impression et formation des 9 associés aux procédés à faible impact.",
        "consolidation",
        ("funding", "training"),
        (L("Presse numérique", "equipment", 85_000), L("Formation", "training", 8_000)),
        planned_jobs=0,
        grants=(G("bdt", 50_000, "decided", "loan"),),
    ),
    Project(
        "ptce-segre",
        Holder("Association Pôle territorial de coopération du Segréen", "association", "49", 206, True),
        "Pôle territorial de coopération économique du Segréen",
        "Un PTCE qui réunit 12 structures de l'ESS et 8 entreprises autour de la filière bois-énergie "
        "locale.",
        "collective_project",
        ("network", "support", "funding"),
        (L("Coordination du pôle", "staff", 70_000), L("Études de filière", "external_services", 25_000)),
        planned_jobs=2,
        grants=(
            G("region", 30_000, "committed"),
            G("state", 25_000, "committed"),
            G("bdt", 20_000, "requested"),
        ),
    ),
    Project(
        "cafe-associatif-49",
        Holder("Association Le Café des possibles", "association", "49", 207, True),
        "Café associatif de Baugé",
        "Un café associatif géré par 60 bénévoles, lieu de rencontre et de concerts dans une commune qui "
        "n'avait plus de bar.",
        "creation_or_takeover",
        ("premises", "network"),
        (L("Travaux et licence", "premises", 28_000), L("Équipement du bar", "equipment", 11_000)),
        planned_jobs=1,
        third_place=True,
        by_network=True,
    ),
    Project(
        "mutuelle-49",
        Holder("Mutuelle solidaire de l'Anjou", "mutual", "49", 208),
        "Complémentaire santé communale pour les retraités",
        "Une offre de complémentaire santé négociée avec 15 communes pour les retraités aux revenus "
        "modestes.",
        "social_innovation",
        ("support",),
        (L("Chargée de développement", "staff", 48_000), L("Communication", "communication", 9_000)),
        planned_jobs=1,
    ),
    Project(
        "laval-insertion",
        Holder(
            "Association Mayenne Emploi Solidaire", "association", "53", 301, True, epci_siren=LAVAL_AGGLO
        ),
        "Entreprise d'insertion de blanchisserie à Laval",
        "Une blanchisserie pour les hôpitaux et les EHPAD qui emploie 15 salariés en parcours d'insertion.",
        "development_or_scale_up",
        ("funding", "premises"),
        (
            L("Machines de blanchisserie", "equipment", 130_000),
            L("Encadrement", "staff", 65_000),
        ),
        planned_jobs=6,
        grants=(G("region", 45_000, "committed"), G("state", 55_000, "scheduled")),
    ),
    Project(
        "scic-bois-53",
        Holder("SCIC Bois bocage énergie", "scic", "53", 302),
        "Filière bois de haies pour les chaufferies collectives",
        "Une plateforme de séchage de plaquettes issues des haies bocagères mayennaises, pour 20 "
        "chaufferies communales.",
        "collective_project",
        ("funding", "network"),
        (L("Hangar de séchage", "investment", 150_000), L("Broyeur", "equipment", 70_000)),
        planned_jobs=3,
        grants=(G("bdt", 70_000, "requested", "quasi_equity"), G("region", 40_000, "requested")),
    ),
    Project(
        "epicerie-53",
        Holder("Association L'Épi de Château-Gontier", "association", "53", 303, True),
        "Épicerie sociale et cuisine partagée",
        "Une épicerie sociale qui propose aussi des ateliers de cuisine et un accompagnement budgétaire.",
        "consolidation",
        ("support",),
        (L("Coordinatrice", "staff", 32_000), L("Équipement froid", "equipment", 9_000)),
        planned_jobs=0,
    ),
    Project(
        "mobilite-53",
        Holder("Coopérative Rézo Pouce Mayenne", "scic", "53", 304),
        "Autostop organisé dans le nord Mayenne",
        "Des arrêts d'autostop sécurisés et une application pour relier les bourgs aux gares.",
        "social_innovation",
        ("funding",),
        (L("Arrêts et signalétique", "equipment", 24_000), L("Animation", "staff", 26_000)),
        planned_jobs=1,
        grants=(G("state", 20_000, "requested"),),
    ),
    Project(
        "lemans-numerique",
        Holder(
            "Association Les Connectés du Mans", "association", "72", 401, True, epci_siren=LE_MANS_METROPOLE
        ),
        "Médiation numérique dans les quartiers du Mans",
        "Six conseillers numériques qui accompagnent les habitants dans leurs démarches en ligne, dans les "
        "centres sociaux.",
        "development_or_scale_up",
        ("funding", "training"),
        (L("Conseillers numériques", "staff", 150_000), L("Ordinateurs en prêt", "equipment", 18_000)),
        planned_jobs=6,
        grants=(G("state", 70_000, "paid"), G("region", 40_000, "committed")),
    ),
    Project(
        "scop-transport-72",
        Holder("Scop Transports du Perche", "scop", "72", 402),
        "Reprise en Scop d'une entreprise de transport scolaire",
        "Les 14 conducteurs reprennent l'entreprise de transport scolaire et de tourisme de "
        "La Ferté-Bernard.",
        "creation_or_takeover",
        ("funding", "support", "training"),
        (L("Rachat des cars", "investment", 280_000), L("Accompagnement", "external_services", 12_000)),
        planned_jobs=14,
        grants=(G("bdt", 120_000, "committed", "quasi_equity"), G("region", 50_000, "opinion")),
    ),
    Project(
        "tiers-lieu-72",
        Holder("Association La Filature", "association", "72", 403, True),
        "La Filature, tiers-lieu culturel de Sablé-sur-Sarthe",
        "Une ancienne filature devient résidence d'artistes, atelier de fabrication et café associatif.",
        "collective_project",
        ("premises", "network", "funding"),
        (L("Réhabilitation", "investment", 210_000), L("Programmation", "staff", 45_000)),
        planned_jobs=2,
        third_place=True,
        grants=(G("region", 60_000, "decided"), G("bdt", 80_000, "opinion", "loan")),
    ),
    Project(
        "cae-72",
        Holder("Coopérative d'activité Sarthe Entreprendre", "cae", "72", 404),
        "Accueillir les artisans du bâtiment en coopérative",
        "Une branche bâtiment pour 25 artisans entrepreneurs salariés : assurance décennale mutualisée, "
        "achats groupés.",
        "development_or_scale_up",
        ("support", "training"),
        (L("Accompagnateur", "staff", 52_000), L("Assurance mutualisée", "other", 30_000)),
        planned_jobs=2,
    ),
    Project(
        "aide-alimentaire-72",
        Holder("Association Les Jardins de la Sarthe", "association", "72", 405, True),
        "Jardins partagés et dons de légumes aux banques alimentaires",
        "Douze parcelles cultivées par des bénévoles, dont la récolte va aux épiceries solidaires.",
        "creation_or_takeover",
        ("training", "network"),
        (L("Outillage et semences", "purchases", 7_000), L("Formation au maraîchage", "training", 4_000)),
        planned_jobs=0,
        by_network=True,
    ),
    Project(
        "esus-72",
        Holder("SAS Linge et Lien", "commercial_company", "72", 406, esus=True),
        "Pressing solidaire employant des personnes handicapées",
        "Une entreprise agréée ESUS qui ouvre un second pressing et crée quatre postes adaptés.",
        "development_or_scale_up",
        ("funding",),
        (L("Machines", "equipment", 60_000), L("Salaires", "staff", 50_000)),
        planned_jobs=4,
        grants=(G("region", 30_000, "committed"),),
    ),
)
