"""Reading the ledger: a SIREN's single undertaking as a document (for staff and programs), and the de
minimis certificate a funder sends the beneficiary (in French, for people)."""

from __future__ import annotations

from datetime import date
from typing import Any

from ess_contracts.reference.strategy import PILOT_INFO
from ess_views.undertaking.ledger import Ceiling, Entry, Ledger, Standing, judge_ledger, standing

REGULATIONS_FR = {
    "(EU) 1407/2013": (
        "règlement (UE) n° 1407/2013 de la Commission du 18 décembre 2013 relatif à l'application des "
        "articles 107 et 108 du traité sur le fonctionnement de l'Union européenne aux aides de minimis "
        "(JO L 352 du 24.12.2013, p. 1)"
    ),
    "(EU) 2023/2831": (
        "règlement (UE) 2023/2831 de la Commission du 13 décembre 2023 relatif à l'application des "
        "articles 107 et 108 du traité sur le fonctionnement de l'Union européenne aux aides de minimis "
        "(JO L, 2023/2831, 15.12.2023)"
    ),
    "(EU) 360/2012": (
        "règlement (UE) n° 360/2012 de la Commission du 25 avril 2012 relatif à l'application des articles "
        "107 et 108 du traité sur le fonctionnement de l'Union européenne aux aides de minimis accordées à "
        "des entreprises fournissant des services d'intérêt économique général (JO L 114 du 26.4.2012, p. 8)"
    ),
    "(EU) 2023/2832": (
        "règlement (UE) 2023/2832 de la Commission du 13 décembre 2023 relatif à l'application des articles "
        "107 et 108 du traité sur le fonctionnement de l'Union européenne aux aides de minimis accordées à "
        "des entreprises fournissant des services d'intérêt économique général (JO L, 2023/2832, 15.12.2023)"
    ),
}
ORIGINS_FR = {
    "decision": "décision d'un pilote",
    "cofunder": "cofinancement déclaré",
    "outside": "aide antérieure enregistrée",
    "declared": "aide déclarée par le bénéficiaire",
}


def _entry(entry: Entry) -> dict[str, Any]:
    aid = entry.aid
    return {
        "act": aid.key,
        "event_id": aid.event_id,
        "origin": entry.origin,
        "granted_by": entry.granted_by,
        "project_id": entry.project_id,
        "recipient_siren": aid.recipient,
        "scope": aid.scope,
        "legal_right_on": aid.granted_on.isoformat(),
        "gross_grant_equivalent_cents": aid.amount,
    }


def _ceiling(ceiling: Ceiling) -> dict[str, Any]:
    return {
        "scope": ceiling.scope,
        "regulation": ceiling.regulation,
        "window_from": ceiling.window_from.isoformat(),
        "window_to": ceiling.window_to.isoformat(),
        "limit_cents": ceiling.limit,
        "total_cents": ceiling.total,
        "headroom_cents": ceiling.headroom,
        "counted": [e.aid.key for e in ceiling.counted],
    }


def undertaking_document(ledger: Ledger, siren: str, as_of: date) -> dict[str, Any]:
    """Where `siren`'s single undertaking stands on `as_of`, and every aid and verdict of the ledger of
    the SIRENs ever linked to it (money in integer cents)."""
    now = standing(ledger, siren, as_of)
    return {
        "siren": siren,
        "as_of": as_of.isoformat(),
        "members": sorted(now.members),
        "headroom_cents": now.headroom,
        "ceilings": [_ceiling(now.general), _ceiling(now.sgei)],
        "links": [
            {
                "link": link.key,
                "controlling_siren": link.controlling,
                "controlled_siren": link.controlled,
                "relation": link.relation,
                "starts_on": link.starts_on.isoformat(),
                "ends_on": link.ends_on.isoformat() if link.ends_on else None,
                "source": link.source,
                "in_force": link.in_force(as_of),
            }
            for link in ledger.links
        ],
        "aids": [_entry(e) for e in ledger.counted],
        "verdicts": [v.as_dict() for v in judge_ledger(ledger)],
    }


def _fr_euros(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"{whole:,}".replace(",", "\u202f") + f",{rest:02d} €"


def _fr_day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def certificate(ledger: Ledger, siren: str, as_of: date, pilot: str) -> str:
    """The de minimis certificate (attestation) in French, plain text, as of `as_of`."""
    now: Standing = standing(ledger, siren, as_of)
    funder = next((p.name for p in PILOT_INFO if p.code == pilot), pilot)
    general = now.general
    lines = [
        "ATTESTATION RELATIVE AUX AIDES DE MINIMIS",
        "",
        f"Émise par : {funder}",
        f"Entreprise : SIREN {siren}",
        "Entreprise unique (entreprises liées à cette date) : " + ", ".join(sorted(now.members)),
        f"Situation au : {_fr_day(as_of)}",
        "",
        f"Règlement applicable : {REGULATIONS_FR.get(general.regulation, general.regulation)}.",
        f"Plafond : {_fr_euros(general.limit)} sur la période du {_fr_day(general.window_from)} "
        f"au {_fr_day(general.window_to)}.",
        "",
        "Aides de minimis comptées sur la période (équivalent-subvention brut) :",
    ]
    lines += [
        f"- {_fr_day(e.aid.granted_on)} : {_fr_euros(e.aid.amount)}, {ORIGINS_FR.get(e.origin, e.origin)} "
        f"({e.granted_by}), bénéficiaire {e.aid.recipient}, réf. {e.aid.key}"
        for e in general.counted
    ] or ["- aucune"]
    lines += [
        "",
        f"Total : {_fr_euros(general.total)}",
        f"Montant encore disponible sous le plafond : {_fr_euros(now.headroom)}",
    ]
    if any(e.aid.scope == "sgei" for e in now.sgei.counted):
        sgei = now.sgei
        lines += [
            "",
            f"Aides SIEG sur la période : plafond de {_fr_euros(sgei.limit)} "
            f"({REGULATIONS_FR.get(sgei.regulation, sgei.regulation)}), toutes aides de minimis comptées : "
            f"{_fr_euros(sgei.total)}.",
        ]
    lines += [
        "",
        "Cette attestation reprend les aides connues des financeurs de la stratégie régionale de l'ESS "
        "des Pays de la Loire à la date indiquée. Toute aide de minimis reçue par l'entreprise unique et "
        "absente de cette liste doit être déclarée au financeur.",
        "",
    ]
    return "\n".join(lines)
