"""The support networks of the demo's directory. Names follow the region's real kinds of networks; the
entries (ids, coverage) are the demo's own. France Active answers through the demo network person."""

from __future__ import annotations

from ess_ops.demo.model import Network

ALL = ("44", "49", "53", "72", "85")
EARLY = ("creation_or_takeover", "development_or_scale_up", "consolidation")
NETWORK_ACCOUNT = "region-local-network"  # the demo network person's subject (ess_ops.keys.mint_tokens)
FRANCE_ACTIVE = "demo-france-active"

NETWORKS: tuple[Network, ...] = (
    Network(
        "demo-cress",
        "CRESS Pays de la Loire",
        ("creation_or_takeover", "social_innovation", "collective_project"),
        ("network", "training"),
        ALL,
    ),
    Network(
        FRANCE_ACTIVE,
        "France Active Pays de la Loire",
        EARLY,
        ("funding",),
        ALL,
        account=NETWORK_ACCOUNT,
    ),
    Network(
        "demo-urscop",
        "Union régionale des Scop et Scic de l'Ouest",
        EARLY,
        ("support", "training"),
        ALL,
    ),
    Network(
        "demo-tiers-lieux",
        "Réseau régional des tiers-lieux",
        ("collective_project", "social_innovation", "development_or_scale_up"),
        ("premises", "network"),
        ALL,
    ),
    Network(
        "demo-dla-85",
        "Dispositif local d'accompagnement de la Vendée",
        ("consolidation", "development_or_scale_up"),
        ("support",),
        ("85",),
    ),
    Network(
        "demo-incubateur",
        "Incubateur régional d'innovation sociale",
        ("social_innovation",),
        ("support", "training"),
        ("44", "49", "72"),
    ),
)
