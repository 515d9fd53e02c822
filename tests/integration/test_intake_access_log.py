"""Cross-pilot reads, traced: another pilot's instructor reads a project's file and attachments through
the owning intake's API with its own token, and every read of personal data is recorded (who, which
pilot, which project, which fields, when) in intake's own database, never on the stream."""

from __future__ import annotations

from pathlib import Path

from tests.support.intake_data import submission
from tests.support.intake_service import intake_service


async def test_another_pilots_instructor_reads_and_every_read_is_logged(tmp_path: Path) -> None:
    async with intake_service(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}", tmp_path) as svc:
        project_id = (await svc.client(("holder",)).post("/projects", json=submission())).json()["project_id"]
        state = svc.client(("instructor",), pilot="state", subject="instructeur-dreets-7")
        read = await state.get(f"/projects/{project_id}")
        assert read.status_code == 200, read.text
        sha = read.json()["attachments"][0]["sha256"]
        assert (await state.get(f"/projects/{project_id}/attachments/{sha}")).status_code == 200
        region = svc.client(("instructor",), subject="instructrice-region-2")
        assert (await region.get(f"/projects/{project_id}")).status_code == 200
        refused = [
            svc.client(("decider",), pilot="bdt"),  # deciders read at their own pilot's services
            svc.client(("admin",), pilot="state"),
            svc.client(("operator",), pilot="state"),
        ]
        for client in refused:
            assert (await client.get(f"/projects/{project_id}")).status_code == 403

        entries = (await svc.client(("admin",)).get(f"/projects/{project_id}/access-log")).json()
        readers = [(e["reader_pilot"], e["reader"]) for e in entries]
        assert readers == [
            ("state", "instructeur-dreets-7"),
            ("state", "instructeur-dreets-7"),
            ("region", "instructrice-region-2"),
        ]
        assert "contact" in entries[0]["fields"] and "project.description" in entries[0]["fields"]
        assert entries[1]["fields"] == [f"attachment:{sha}"]
        assert all(e["read_at"].endswith("Z") for e in entries)
        assert (await state.get(f"/projects/{project_id}/access-log")).status_code == 403
