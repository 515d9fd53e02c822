"""The import from Démarches Simplifiées, end to end: intake (in process, its HTTP API) reads a local DS
(Ariadne over real HTTP, `tests/support/ds_server.py`) serving realistic dossiers of démarche 84731
through the example mapping of `deploy/ds-mappings/`. Paging across many pages, a run that stops halfway
and resumes from its stored cursor without duplicates, a dossier changed, classed without follow-up,
refused or deleted after its import, malformed fields listed as named rejections, and a mapping that no
longer fits the démarche."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from graphql import build_schema, parse, validate
from sqlalchemy import func, select

from ess_intake.adapters.ds_queries import QUERIES
from ess_intake.adapters.tables import ds_dossier, ds_sync, project
from ess_intake.config import DsConfig
from ess_intake.domain.ds_mapping import load_mappings
from tests.support.ds_dossiers import DEMARCHE, MAPPING, champ, demarche, dossier
from tests.support.ds_server import SCHEMA, DsState, ServedDs
from tests.support.intake_service import IntakeService, intake_service

TOKEN = "ds-api-token-de-test"
ROUTE = f"/imports/ds/{DEMARCHE}"


@asynccontextmanager
async def intake_reading(ds: ServedDs, tmp_path: Path, page_size: int = 20) -> AsyncIterator[IntakeService]:
    token_file = tmp_path / "ds.token"
    token_file.write_text(TOKEN + "\n")
    config = DsConfig(
        token_file, load_mappings(MAPPING.parent), url=ds.url, per_second=500, page_size=page_size
    )
    async with intake_service(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}", tmp_path, ds=config) as svc:
        yield svc


async def run_import(staff: httpx.AsyncClient) -> dict[str, Any]:
    """`ess intake import-ds --demarche 84731`: start a run, follow it to its end."""
    started = await staff.post(ROUTE)
    assert started.status_code == 202, started.text
    for _ in range(600):
        status: dict[str, Any] = (await staff.get(ROUTE)).json()
        if not status["running"]:
            return status
        await asyncio.sleep(0.02)
    raise AssertionError("the import did not end")


@asynccontextmanager
async def served(svc: IntakeService) -> AsyncIterator[str]:
    """The service's app behind a real HTTP server in this event loop, for the `ess` command."""
    server = uvicorn.Server(
        uvicorn.Config(svc.app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def ess(*args: str) -> tuple[int, str]:
    """`ess ARGS` as a person runs it; its exit code and what it printed."""
    child = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "ess"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    out, _ = await child.communicate()
    return child.returncode or 0, out.decode()


async def count(svc: IntakeService, table: Any = project) -> int:
    async with svc.runtime.engine.connect() as conn:
        return (await conn.scalar(select(func.count()).select_from(table))) or 0


async def project_of(svc: IntakeService, number: int) -> str:
    async with svc.runtime.engine.connect() as conn:
        query = select(ds_dossier.c.project_id).where(ds_dossier.c.number == number)
        found = await conn.scalar(query)
    assert found is not None, f"dossier {number} has no project"
    return str(found)


async def test_many_pages_then_nothing_new_and_every_query_is_ds(tmp_path: Path) -> None:
    state = DsState(TOKEN, {DEMARCHE: demarche(120)})
    with ServedDs(state) as ds:
        async with intake_reading(ds, tmp_path) as svc:
            staff = svc.client(("instructor",))
            first = await run_import(staff)
            assert first["error"] is None
            assert first["counts"] == {"pages": 7, "read": 120, "imported": 120}  # 6 of dossiers, 1 deleted
            assert await count(svc) == 120
            record = (await staff.get(f"/projects/{await project_of(svc, 17)}")).json()
            assert record["submitted_on"] == "2026-02-18"  # filed on DS that day, imported later
            assert record["organisation"]["name"] == "Association Vélo Cité Laval (17)"
            part = record["project"]
            assert (part["budget_total"], part["budget_lines"][0]["label"]) == (
                "44517.50",
                "Salaires et charges",
            )
            assert (part["stage"], part["needs"], part["planned_jobs"]) == (
                "creation_or_takeover",
                ["funding", "support"],
                4,
            )

            again = await run_import(staff)  # only what changed since the last dossier read comes back
            assert again["counts"].get("imported", 0) == 0 and await count(svc) == 120
            assert again["counts"]["read"] <= 2

            refused = await svc.client(("decider",)).post(ROUTE)
            assert refused.status_code == 403
    sent = {q["query"] for q in state.queries}
    assert sent <= set(QUERIES), "the connector sent a query tests/unit/test_ds_queries.py does not check"
    subset = build_schema(SCHEMA.read_text(encoding="utf-8"))
    assert all(not validate(subset, parse(q)) for q in sent)
    dossier_pages = [q["variables"] for q in state.queries if "ImportDossiers" in q["query"]]
    assert [v["first"] for v in dossier_pages] == [20] * len(dossier_pages)


async def test_a_run_stopped_halfway_resumes_from_its_cursor_without_duplicates(tmp_path: Path) -> None:
    state = DsState(TOKEN, {DEMARCHE: demarche(120)}, fail_from_page=3)
    with ServedDs(state) as ds:
        async with intake_reading(ds, tmp_path) as svc:
            staff = svc.client(("admin",))
            stopped = await run_import(staff)
            assert "Service indisponible" in stopped["error"]
            assert stopped["counts"] == {"pages": 3, "read": 60, "imported": 60}
            assert await count(svc) == 60
            async with svc.runtime.engine.connect() as conn:
                cursor = await conn.scalar(select(ds_sync.c.cursor).where(ds_sync.c.feed == "dossiers"))
            assert cursor is not None

            state.fail_from_page, before = None, len(state.queries)
            resumed = await run_import(staff)
            assert resumed["error"] is None and resumed["counts"]["imported"] == 60
            first_page = next(q for q in state.queries[before:] if "ImportDossiers" in q["query"])
            assert first_page["variables"]["after"] == cursor  # not from the start
            assert await count(svc) == 120 and await count(svc, ds_dossier) == 120
            async with svc.runtime.engine.connect() as conn:
                titles = (await conn.execute(select(project.c.duplicate_key))).scalars().all()
            assert len(set(titles)) == 120


async def test_changes_on_ds_flow_in_as_intake_acts(tmp_path: Path) -> None:
    data = demarche(30)
    state = DsState(TOKEN, {DEMARCHE: data})
    with ServedDs(state) as ds:
        async with intake_reading(ds, tmp_path) as svc:
            staff = svc.client(("instructor",))
            assert (await run_import(staff))["counts"]["imported"] == 30
            later = "2026-03-20T14:05:00+01:00"
            budget = {"Budget prévisionnel total (€)": 60000.0, "Investissements (€)": 27494.5}
            data["dossiers"][5] = dossier(
                5, modified=later, changes={"Intitulé du projet": "Ateliers", **budget}
            )
            data["dossiers"][6] = dossier(6, modified=later, state="sans_suite")
            data["dossiers"][7] = dossier(7, modified=later, state="refuse")
            data["dossiers"][9] = dossier(9, modified=later, state="en_instruction")  # nothing for intake
            data["deleted"].append(
                {
                    "id": "d8",
                    "number": 8,
                    "state": "en_construction",
                    "reason": "user_request",
                    "dateSupression": later,
                }
            )
            del data["dossiers"][8]
            second = await run_import(staff)
            assert second["error"] is None
            counts = second["counts"]
            assert (counts["corrected"], counts["withdrawn"], counts["closed"]) == (1, 1, 1)
            assert counts["unchanged"] >= 1 and counts["deleted_withdrawn"] == 1

            corrected = (await staff.get(f"/projects/{await project_of(svc, 5)}")).json()
            assert corrected["project"]["title"] == "Ateliers" and corrected["submitted_on"] == "2026-02-06"
            history = (await staff.get(f"/projects/{await project_of(svc, 5)}/history")).json()
            assert "project_corrected" in str(history)
            for number, status, reason in (
                (6, "withdrawn", "other"),
                (7, "closed", "ineligible"),
                (8, "withdrawn", "holder_request"),
            ):
                record = (await staff.get(f"/projects/{await project_of(svc, number)}")).json()
                assert (record["status"], record["end_reason"]) == (status, reason), number
            assert (await run_import(staff))["counts"].get("withdrawn", 0) == 0  # read once


async def test_dossiers_that_do_not_map_are_named_rejections(tmp_path: Path) -> None:
    data = demarche(12)
    data["dossiers"][3] = dossier(3, demandeur_siret="44012345600019")  # its Luhn key is wrong
    data["dossiers"][4] = dossier(4, changes={"Investissements (€)": 1.0})  # lines no longer add up
    data["dossiers"][10] = dossier(10, changes={"Statut juridique de la structure": "Fonds de dotation"})
    data["dossiers"][11] = dossier(11)
    jobs = "Nombre d'emplois créés ou maintenus"
    data["dossiers"][11]["champs"] = [
        champ("DecimalNumberChamp", jobs, 2.5) if c["label"] == jobs else c
        for c in data["dossiers"][11]["champs"]
    ]
    state = DsState(TOKEN, {DEMARCHE: data})
    with ServedDs(state) as ds:
        async with intake_reading(ds, tmp_path) as svc:
            staff = svc.client(("instructor",))
            assert (await run_import(staff))["counts"] == {
                "pages": 2,
                "read": 12,
                "imported": 8,
                "rejected": 4,
            }
            report = (await staff.get(f"{ROUTE}/rejections")).json()
            reasons = {r["number"]: r["reason"] for r in report}
            assert set(reasons) == {3, 4, 10, 11}
            assert "Le SIRET du demandeur n'est pas valide" in reasons[3] and "clé de contrôle" in reasons[3]
            assert "« Budget prévisionnel total (€) »" in reasons[4] and "somme des dépenses" in reasons[4]
            assert "« Statut juridique de la structure » vaut « Fonds de dotation »" in reasons[10]
            assert f"« {jobs} » est un DecimalNumberChamp" in reasons[11]

            data["dossiers"][10] = dossier(10, modified="2026-03-02T10:00:00+01:00")  # corrected on DS
            assert (await run_import(staff))["counts"]["imported"] == 1
            assert {r["number"] for r in (await staff.get(f"{ROUTE}/rejections")).json()} == {3, 4, 11}


async def test_a_mapping_that_no_longer_fits_the_demarche_stops_the_run_naming_the_field(
    tmp_path: Path,
) -> None:
    data = demarche(5)
    data["descriptors"] = [
        {**d, "label": "Titre du projet"} if d["label"] == "Intitulé du projet" else d
        for d in data["descriptors"]
    ]
    state = DsState(TOKEN, {DEMARCHE: data})
    with ServedDs(state) as ds:
        async with intake_reading(ds, tmp_path) as svc:
            stopped = await run_import(svc.client(("admin",)))
            assert "project.title: unknown field label 'Intitulé du projet'" in stopped["error"]
            assert await count(svc) == 0
            assert (await svc.client(("admin",)).post("/imports/ds/999")).status_code == 404
