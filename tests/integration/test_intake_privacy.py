"""The documents a data-protection officer asks for: the information notice a holder reads before
submitting (art. 13), served in French by the intake that receives the file with its own periods and
contact; the register of processing (art. 30) generated from the event catalogue."""

from __future__ import annotations

from pathlib import Path

from ess_core.service.privacy_docs import privacy_register
from tests.support.intake_service import intake_service

REPO = Path(__file__).resolve().parents[2]


async def test_the_notice_is_served_in_french_without_a_token(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    async with intake_service(url, tmp_path, retention_days=730) as svc:
        page = await svc.client(token=False).get("/privacy/notice")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert '<html lang="fr">' in text and "Responsable du traitement : Région des Pays de la Loire" in text
    assert "effacées 730 jours après la fin du dossier" in text and "fonctionne 180 jours" in text
    assert "CNIL" in text and "N'indiquez pas de données personnelles dans le titre" in text


def test_the_register_lists_what_travels_and_marks_free_text() -> None:
    register = privacy_register()
    assert register == (REPO / "docs" / "privacy" / "register.md").read_text(encoding="utf-8")
    submitted = next(line for line in register.splitlines() if line.startswith("| `project_submitted`"))
    assert "project.title 🔒" in submitted and "organisation.siret" in submitted
    for stays in ("email", "phone", "description", "contact"):
        assert stays not in submitted, stays  # those stay in intake: never a field on the stream
