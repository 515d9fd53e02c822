"""Demo projects of Loire-Atlantique (44) and Vendée (85). Organisations and people are made up."""

from __future__ import annotations

from ess_ops.demo.model import Grant as G
from ess_ops.demo.model import Holder, Project
from ess_ops.demo.model import Line as L

NANTES_METROPOLE = "244400404"
LA_ROCHE_AGGLO = "248500589"

WEST: tuple[Project, ...] = (
    Project(
        "recyclerie-reze",
        Holder(
            "Association La Ressourcerie du Sud-Loire",
            "association",
            "44",
            101,
            True,
            epci_siren=NANTES_METROPOLE,
        ),
        "Ressourcerie et boutique solidaire de Rezé",
        "Collecte, tri et revente d'objets de seconde main ; chantier d'insertion de 8 postes et ateliers "
        "de réparation ouverts aux habitants.",
        "development_or_scale_up",
        ("funding", "premises"),
        (
            L("Salaires des encadrants techniques", "staff", 96_000),
            L("Aménagement de l'entrepôt", "premises", 42_000),
            L("Camion de collecte", "equipment", 38_000),
        ),
        planned_jobs=10,
        grants=(G("region", 60_000, "paid"), G("state", 45_000, "committed")),
    ),
    Project(
        "scic-energie-44",
        Holder("SCIC Énergies citoyennes de l'estuaire", "scic", "44", 102, epci_siren=NANTES_METROPOLE),
        "Centrales solaires citoyennes sur les toits des écoles",
        "Installation de 12 centrales photovoltaïques sur des bâtiments publics, financées par 400 "
        "sociétaires, et animation d'un programme de sobriété énergétique.",
        "collective_project",
        ("funding", "network"),
        (
            L("Panneaux et onduleurs", "investment", 210_000),
            L("Études et raccordement", "external_services", 35_000),
            L("Animation du sociétariat", "staff", 28_000),
        ),
        planned_jobs=2,
        grants=(G("region", 50_000, "scheduled"), G("bdt", 80_000, "committed", "quasi_equity")),
    ),
    Project(
        "epicerie-chateaubriant",
        Holder("Association Le Panier du Castelbriantais", "association", "44", 103, True),
        "Épicerie solidaire itinérante du pays de Châteaubriant",
        "Un camion-épicerie qui dessert 14 communes rurales chaque semaine, avec des prix adaptés aux "
        "revenus et un espace d'accueil social.",
        "creation_or_takeover",
        ("funding", "support"),
        (
            L("Véhicule aménagé", "equipment", 62_000),
            L("Salaire de la coordinatrice", "staff", 34_000),
            L("Stock de démarrage", "purchases", 12_000),
        ),
        planned_jobs=2,
        grants=(G("region", 30_000, "requested"), G("state", 25_000, "requested")),
    ),
    Project(
        "cae-nantes",
        Holder(
            "Coopérative d'activité et d'emploi Ouvre-Portes", "cae", "44", 104, epci_siren=NANTES_METROPOLE
        ),
        "Accompagner 60 entrepreneurs salariés dans les métiers du numérique",
        "Ouverture d'une branche numérique de la coopérative : accueil, formation à la gestion, "
        "mutualisation des outils et d'un local partagé à Nantes Nord.",
        "development_or_scale_up",
        ("training", "support"),
        (
            L("Accompagnateurs", "staff", 88_000),
            L("Formations collectives", "training", 21_000),
            L("Loyer du local partagé", "premises", 18_000),
        ),
        planned_jobs=6,
        grants=(G("state", 40_000, "decided"),),
    ),
    Project(
        "tiers-lieu-clisson",
        Holder("SCIC La Fabrique du Vignoble", "scic", "44", 105),
        "Tiers-lieu de la Fabrique du Vignoble à Clisson",
        "Ancienne cave coopérative transformée en tiers-lieu : atelier partagé, café associatif, espace de "
        "travail et programmation culturelle.",
        "collective_project",
        ("premises", "funding", "network"),
        (
            L("Travaux de réhabilitation", "investment", 180_000),
            L("Mobilier et équipements", "equipment", 30_000),
            L("Animation du lieu", "staff", 40_000),
        ),
        planned_jobs=3,
        third_place=True,
        grants=(G("region", 70_000, "opinion"), G("bdt", 60_000, "opinion", "loan")),
    ),
    Project(
        "garage-solidaire-stnazaire",
        Holder("Association Garage solidaire de l'estuaire", "association", "44", 106, True),
        "Garage solidaire de Saint-Nazaire",
        "Réparation automobile à prix solidaire pour les personnes en insertion, location de véhicules "
        "pour se rendre au travail, 6 postes en insertion.",
        "consolidation",
        ("funding",),
        (
            L("Salaires", "staff", 72_000),
            L("Outillage", "equipment", 16_000),
        ),
        planned_jobs=4,
    ),
    Project(
        "scop-menuiserie",
        Holder("Scop Menuiserie Bois d'Erdre", "scop", "44", 107),
        "Reprise en Scop de la menuiserie Bois d'Erdre par ses salariés",
        "Les 11 salariés reprennent leur entreprise au départ en retraite du dirigeant : rachat du fonds, "
        "formation à la gouvernance coopérative.",
        "creation_or_takeover",
        ("funding", "support", "training"),
        (
            L("Rachat du fonds de commerce", "investment", 240_000),
            L("Formation des associés", "training", 14_000),
            L("Accompagnement juridique", "external_services", 9_000),
        ),
        planned_jobs=11,
        grants=(G("region", 40_000, "committed"), G("bdt", 100_000, "paid", "quasi_equity")),
    ),
    Project(
        "cantine-nantes",
        Holder("Association Les Tables du quartier", "association", "44", 108, True),
        "Cantine solidaire et traiteur d'insertion à Bellevue",
        "Une cantine à prix libre le midi et un service traiteur qui forme des personnes éloignées de "
        "l'emploi aux métiers de la restauration.",
        "social_innovation",
        ("funding", "training"),
        (
            L("Cuisine professionnelle", "equipment", 48_000),
            L("Encadrant technique", "staff", 38_000),
            L("Denrées", "purchases", 14_000),
        ),
        planned_jobs=5,
        by_network=True,
    ),
    Project(
        "boutique-sas",
        Holder("SAS Mode et Compagnie", "commercial_company", "44", 109),
        "Boutique de prêt-à-porter en centre-ville",
        "Ouverture d'une seconde boutique de vêtements neufs à Nantes.",
        "development_or_scale_up",
        ("funding",),
        (
            L("Stock", "purchases", 45_000),
            L("Agencement", "premises", 25_000),
        ),
        planned_jobs=2,
    ),
    Project(
        "dla-vendee-aide-domicile",
        Holder("Association Aide à domicile du bocage vendéen", "association", "85", 110, True),
        "Consolider le service d'aide à domicile du bocage",
        "Réorganisation des tournées, formation de 40 aides à domicile et outil de planification partagé "
        "pour stabiliser un service fragilisé.",
        "consolidation",
        ("support", "training"),
        (
            L("Formation des intervenantes", "training", 36_000),
            L("Logiciel de planification", "external_services", 14_000),
            L("Coordination", "staff", 30_000),
        ),
        planned_jobs=0,
        grants=(G("state", 30_000, "committed"),),
    ),
    Project(
        "legumerie-85",
        Holder("SCIC Légumerie de Vendée", "scic", "85", 111, epci_siren=LA_ROCHE_AGGLO),
        "Légumerie pour la restauration collective vendéenne",
        "Une légumerie qui transforme les légumes de 25 maraîchers locaux pour les cantines des collèges "
        "et des EHPAD du département.",
        "collective_project",
        ("funding", "premises"),
        (
            L("Bâtiment et chambres froides", "investment", 320_000),
            L("Ligne de transformation", "equipment", 95_000),
            L("Salaires de démarrage", "staff", 60_000),
        ),
        planned_jobs=8,
        special="over_funding",
        eligible_euros=380_000,  # the instruction cut the building to 225,000: the three loans exceed it
        grants=(
            G("region", 120_000, "committed"),
            G("state", 100_000, "committed"),
            G("bdt", 150_000, "committed", "loan"),
        ),
    ),
    Project(
        "mobilite-85",
        Holder("Association Mobilités solidaires du littoral", "association", "85", 112, True),
        "Location de scooters et auto-école sociale sur le littoral",
        "Location de deux-roues à un euro par jour et préparation au permis pour les saisonniers et les "
        "demandeurs d'emploi sans véhicule.",
        "development_or_scale_up",
        ("funding", "support"),
        (
            L("Flotte de scooters", "equipment", 28_000),
            L("Moniteur d'auto-école", "staff", 35_000),
        ),
        planned_jobs=2,
        grants=(G("region", 25_000, "decided", outcome="conditional"),),
    ),
    Project(
        "scop-btp-85",
        Holder("Scop Charpentes de l'Yon", "scop", "85", 113, epci_siren=LA_ROCHE_AGGLO),
        "Atelier de charpente bois bas carbone",
        "Investissement dans une taille numérique pour la charpente en bois local et embauche de quatre "
        "compagnons.",
        "development_or_scale_up",
        ("funding",),
        (
            L("Machine de taille numérique", "equipment", 190_000),
            L("Salaires des compagnons", "staff", 130_000),
        ),
        planned_jobs=4,
        special="de_minimis",
        grants=(G("state", 40_000, "decided"),),
    ),
    Project(
        "tiers-lieu-fontenay",
        Holder("Association La Grange partagée", "association", "85", 114, True),
        "La Grange partagée, tiers-lieu rural de Fontenay-le-Comte",
        "Une grange rénovée accueille un fablab, une ressourcerie et un espace de coworking pour le sud "
        "Vendée.",
        "collective_project",
        ("premises", "network"),
        (
            L("Rénovation", "investment", 95_000),
            L("Animation", "staff", 32_000),
        ),
        planned_jobs=2,
        third_place=True,
        grants=(G("bdt", 40_000, "requested", "loan"),),
    ),
    Project(
        "insertion-maraichage-85",
        Holder("Association Jardins de Cocagne du Marais", "association", "85", 115, True),
        "Jardin de cocagne : maraîchage biologique d'insertion",
        "Chantier d'insertion de 20 jardiniers qui produisent 200 paniers hebdomadaires pour des adhérents.",
        "consolidation",
        ("funding", "support"),
        (
            L("Encadrants maraîchers", "staff", 84_000),
            L("Serre et irrigation", "investment", 26_000),
        ),
        planned_jobs=3,
        grants=(G("region", 35_000, "committed"), G("state", 30_000, "decided", outcome="refused")),
    ),
    Project(
        "creation-85",
        Holder("Les Bricoleurs du bocage", "association", "85", 116, being_created=True),
        "Repair café et outilthèque de Pouzauges",
        "Une outilthèque de 300 outils en prêt et un repair café mensuel, portés par un collectif "
        "d'habitants en cours de constitution.",
        "creation_or_takeover",
        ("support", "training"),
        (L("Achat des outils", "equipment", 9_000), L("Assurance et communication", "communication", 2_500)),
        planned_jobs=0,
        by_network=True,
    ),
)
