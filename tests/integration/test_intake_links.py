"""The holder's private link has a lifetime: it expires (180 days by default), staff revoke it and issue a
new one, the replaced link stops working, and each refusal says so in French (410); a rotated link key
keeps the links already given working. Answers that carry personal data are never cached."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.support.intake_data import submission
from tests.support.intake_service import Clock, intake_service


async def test_a_link_expires_is_revoked_replaced_and_says_why_in_french(tmp_path: Path) -> None:
    clock = Clock()
    async with intake_service(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}", tmp_path, clock=clock) as svc:
        instructor, holder = svc.client(("instructor",)), svc.client(token=False)
        answer = (await svc.client(("holder",)).post("/projects", json=submission())).json()
        link, project_id = answer["follow_link"], answer["project_id"]
        assert answer["follow_link_expires_on"] == (clock.today + timedelta(days=180)).isoformat()
        page = await holder.get(link)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert (await instructor.get(f"/projects/{project_id}")).headers["cache-control"] == "no-store"

        clock.today += timedelta(days=181)
        expired = await holder.get(link)
        assert expired.status_code == 410
        detail = expired.json()["detail"]
        assert detail["link"] == "expired" and detail["reason"].startswith("Ce lien de suivi a expiré le ")
        assert "Demandez un nouveau lien" in detail["reason"]
        assert (await holder.post(link + "/withdrawal", json={"reason": "other"})).status_code == 410

        refused = await svc.client(("decider",)).post(f"/projects/{project_id}/follow-link")
        assert refused.status_code == 403
        issued = (await instructor.post(f"/projects/{project_id}/follow-link")).json()
        assert issued["follow_link"] != link
        assert issued["expires_on"] == (clock.today + timedelta(days=180)).isoformat()
        assert (await holder.get(issued["follow_link"])).status_code == 200
        replaced = (await holder.get(link)).json()["detail"]
        assert replaced["link"] == "replaced" and "remplacé" in replaced["reason"]

        revoked = (await instructor.delete(f"/projects/{project_id}/follow-link")).json()
        assert revoked["follow_link"] is None and revoked["revoked_on"] == clock.today.isoformat()
        gone = await holder.get(issued["follow_link"])
        assert gone.status_code == 410 and gone.json()["detail"]["link"] == "revoked"
        assert "révoqué le " in gone.json()["detail"]["reason"]
        assert (await holder.get(issued["follow_link"][:-4] + "AAAA")).status_code == 404  # never a link


async def test_a_rotated_link_key_keeps_the_links_already_given(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    async with intake_service(url, tmp_path, link_keys=(b"old key",)) as svc:
        answer = (await svc.client(("holder",)).post("/projects", json=submission())).json()
    async with intake_service(url, tmp_path / "new", link_keys=(b"new key", b"old key")) as svc:
        holder = svc.client(token=False)
        assert (await holder.get(answer["follow_link"])).status_code == 200
        issued = (
            await svc.client(("instructor",)).post(f"/projects/{answer['project_id']}/follow-link")
        ).json()
        assert (await holder.get(issued["follow_link"])).status_code == 200
    async with intake_service(url, tmp_path / "newer", link_keys=(b"new key",)) as svc:
        holder = svc.client(token=False)
        assert (await holder.get(answer["follow_link"])).status_code == 404  # the old key is gone: unknown
        assert (await holder.get(issued["follow_link"])).status_code == 200
