"""The SCDL subsidies file from a generated year with thousands of decisions, folded by the views every
pilot holds, validated with frictionless against the official schema and its custom checks."""

from __future__ import annotations

from pathlib import Path

from ess_core.messaging.projection import Fold, Incoming
from ess_funding.adapters.opendata import subsidies
from ess_funding.bootstrap import service_views
from ess_funding.domain.scdl import Grantor
from ess_ops.cli.opendata import write_csv
from ess_ops.cli.project import scratch_database
from tests.support.scdl import errors_of, validate
from tests.support.scdl_year import YEAR, generated_year

REGION = Grantor(name="Région des Pays de la Loire", siret="23440000000001")
STATE = Grantor(name="État (DREETS, DRAJES)", siret="13000000000005")


def incoming(seq: int) -> Incoming:
    return Incoming(stream_seq=seq, subject="ess.test", data=b"", headers={})


async def test_a_generated_year_validates_and_withholds_exactly_what_it_must(tmp_path: Path) -> None:
    year = generated_year(2_400)
    async with scratch_database() as engine:
        fold = Fold(service_views())
        async with engine.begin() as conn:
            await fold.apply_batch(conn, [(incoming(i + 1), e) for i, e in enumerate(year.events)])
        async with engine.connect() as conn:
            rows, withheld = await subsidies(conn, "region", REGION, YEAR)
            state_rows, _ = await subsidies(conn, "state", STATE, YEAR)

    assert len(rows) > 1_500, "thousands of decisions, most of them published"
    assert {r["referenceDecision"] for r in rows} == year.published
    assert {w.decision_id for w in withheld} == year.withheld
    file = tmp_path / "region.csv"
    answer = {"columns": list(rows[0]), "rows": rows}
    with file.open("w", encoding="utf-8", newline="") as out:
        write_csv(out, answer)
    report = validate(file)
    assert report.valid, "\n".join(errors_of(report)[:20])

    by_reference = {r["referenceDecision"]: r for r in rows}
    state_by_reference = {r["referenceDecision"]: r for r in state_rows}
    for region_ref, state_ref in year.shared.items():
        mine, theirs = by_reference[region_ref], state_by_reference[state_ref]
        assert (mine["nomBeneficiaire"], mine["objet"]) == (theirs["nomBeneficiaire"], theirs["objet"])
        assert "financement partagé : " in mine["objet"] and "État" in mine["objet"]
