"""The console (issue 22, first pages): region's console as its own process, in front of region's intake
and funding services, reached as a person reaches it. Sign-in per local person with a CSRF token, the
projects page (filters, CSV) and a project's page, in French; an operator sees no titles; a real browser
(Debian's chromium) walks the same pages by keyboard-reachable links and forms."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from ess_contracts.codec import encode
from ess_contracts.ops import CheckpointRecorded
from ess_contracts.reference.labels import PILOT_NAMES
from ess_ops.cli.services import Child, spawn, stop_all
from tests.integration.test_funding_services import body
from tests.support import events as ev
from tests.support.deployment import Deployment, deployment
from tests.support.funding_story import decision as decision_of
from tests.support.intake_data import CONTACT, network, submission, with_value
from tests.support.sirens import fresh_siren

pytestmark = [pytest.mark.system, pytest.mark.timeout(180)]

TITLE = "Épicerie coopérative du bocage"
DEMO_STRATEGY = Path(__file__).parents[2] / "services/evaluation/src/ess_evaluation/demo/strategy-demo.json"


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Deployment, str, str]]:
    """Region's intake and funding, a project in the view, and region's console: (system, its URL, the
    project's id)."""
    root = tmp_path_factory.mktemp("console")
    with deployment(root / "ess", secure=True) as system:
        system.start_all([("region", "intake"), ("region", "funding"), ("region", "evaluation")])
        with system.client("region", "evaluation") as evaluation:
            demo = DEMO_STRATEGY.read_bytes()
            loaded = evaluation.post("/strategy", content=demo, headers={"Content-Type": "application/json"})
            assert loaded.status_code == 202, loaded.text
        with system.client("region", "intake") as intake:
            body = with_value(submission(title=TITLE), "organisation.department", "49")
            project_id = intake.post("/projects", json=body).json()["project_id"]
        system.wait_applied([("region", "funding")], 2)
        env = {
            "ESS_PILOT": "region",
            "ESS_CONSOLE_FUNDING_URL": system.children[("region", "funding")].http_url,
            "ESS_CONSOLE_INTAKE_URL": system.children[("region", "intake")].http_url,
            "ESS_CONSOLE_EVALUATION_URL": system.children[("region", "evaluation")].http_url,
            "ESS_CONSOLE_PEOPLE_DIR": str(system.state.tokens),
            "PYTHONUNBUFFERED": "1",
        }
        child = spawn("region", "console", "", root / "console.log", env)
        try:
            wait_up(child)
            yield system, f"http://127.0.0.1:{child.port}", project_id
        finally:
            stop_all([child])


def test_sign_in_list_filter_export_and_read_a_project(console: tuple[Deployment, str, str]) -> None:
    _, url, project_id = console
    with browsing(url) as browser:
        assert browser.get("/projets").headers["location"] == "/connexion"
        page = browser.get("/connexion")
        assert page.status_code == 200 and '<html lang="fr">' in page.text
        assert "Région des Pays de la Loire — instruction" in page.text
        forged = browser.post("/connexion", data={"person": "region-instructor", "csrf": "guessed"})
        assert forged.status_code == 403 and "Le formulaire a expiré" in forged.text
        signed = browser.post("/connexion", data={"person": "region-instructor", "csrf": csrf(page.text)})
        assert signed.status_code == 303 and signed.headers["location"] == "/projets"
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie

        listing = browser.get("/projets")
        assert (
            listing.status_code == 200 and TITLE in listing.text and "1 projet, page 1 sur 1" in listing.text
        )
        assert listing.headers["cache-control"] == "no-store"
        assert "Aucun projet ne correspond." in browser.get("/projets", params={"department": "44"}).text
        assert TITLE in browser.get("/projets", params={"q": "epicerie"}).text
        today = date.today().isoformat()
        chosen = {
            "objective": "O1",
            "stage": "creation_or_takeover",
            "submitted_from": today,
            "sort": "department",
        }
        within = browser.get("/projets", params={**chosen, "submitted_to": today, "order": "asc"})
        assert TITLE in within.text and 'value="O1" selected' in within.text, within.text
        assert "Aucun projet ne correspond." in browser.get("/projets", params={"funder": "bdt"}).text
        typed = browser.get("/projets", params={"submitted_from": "2026-13-45"})  # by hand, in the address
        assert typed.status_code == 422 and "Saisissez une date de début au format jj/mm/aaaa." in typed.text
        exported = browser.get("/projets.csv")
        assert exported.headers["content-type"].startswith("text/csv") and TITLE in exported.text

        project = browser.get(f"/projets/{project_id}")
        assert f"<h1>{TITLE}</h1>" in project.text and "Maine-et-Loire" in project.text
        assert "Aucune décision pour l'instant." in project.text
        assert "Dossier du porteur" in project.text and CONTACT["email"] in project.text  # intake's file
        assert "statuts-scic.pdf" in project.text


def test_an_operator_signs_in_but_reads_no_title(console: tuple[Deployment, str, str]) -> None:
    _, url, _ = console
    with browsing(url) as browser:
        sign_in(browser, "region-operator")
        refused = browser.get("/projets")
        assert refused.status_code == 403  # the funding service refused: an operator reads no titles
        assert "Votre rôle ne permet pas d&#39;afficher cette page." in refused.text


def test_staff_choose_their_notices_with_errors_named_next_to_the_field(
    console: tuple[Deployment, str, str],
) -> None:
    _, url, _ = console
    with browsing(url) as browser:
        sign_in(browser, "region-decider")
        form = browser.get("/preferences")
        assert form.status_code == 200 and "ordre du jour du comité des financeurs a changé" in form.text
        token = csrf(form.text)
        wrong = browser.post(
            "/preferences", data={"email": "pas-une-adresse", "mode-agenda_changed": "daily", "csrf": token}
        )
        assert wrong.status_code == 422 and "Il y a une erreur" in wrong.text
        assert 'aria-invalid="true" aria-describedby="email-error"' in wrong.text
        assert (
            "Saisissez une adresse électronique valide" in wrong.text
            and 'value="pas-une-adresse"' in wrong.text
        )
        saved = browser.post(
            "/preferences",
            data={"email": "decision@region.example", "mode-agenda_changed": "daily", "csrf": token},
        )
        assert saved.status_code == 200 and "Vos préférences sont enregistrées." in saved.text
        again = browser.get("/preferences").text
        assert 'value="decision@region.example"' in again
        assert 'id="mode-agenda_changed-daily" name="mode-agenda_changed" value="daily" checked' in again
        agenda = browser.get("/comite")
        assert agenda.status_code == 200 and "Aucun projet n'attend le comité." in agenda.text, agenda.text[
            800:2500
        ]


def test_an_instructor_asks_for_corrections_with_errors_named_next_to_each_field(
    console: tuple[Deployment, str, str],
) -> None:
    system, url, project_id = console
    with browsing(url) as browser:
        sign_in(browser, "region-instructor")
        assert "Demander des corrections au porteur" in browser.get(f"/projets/{project_id}").text
        form = browser.get(f"/projets/{project_id}/corrections")
        token = csrf(form.text)
        empty = browser.post(f"/projets/{project_id}/corrections", data={"csrf": token, "remark": "Merci"})
        assert empty.status_code == 422 and "Il y a 2 erreurs" in empty.text
        assert (
            "Cochez au moins un élément à corriger." in empty.text
            and "Cochez au moins un motif." in empty.text
        )
        assert 'id="fields" aria-invalid="true"' in empty.text and ">Merci</textarea>" in empty.text  # kept
        sent = browser.post(
            f"/projets/{project_id}/corrections",
            data={"csrf": token, "fields": ["budget", "attachments"], "reasons": ["missing_attachment"]},
        )
        assert sent.status_code == 303 and sent.headers["location"].endswith("?corrections=demandees")
    with system.client("region", "intake") as intake:
        assert intake.get(f"/projects/{project_id}").json()["status"] == "correction_requested"


def test_the_strategy_page_shows_objectives_actions_and_indicators(
    console: tuple[Deployment, str, str],
) -> None:
    _, url, _ = console
    with browsing(url) as browser:
        sign_in(browser, "region-instructor")
        deadline, every = time.monotonic() + 20, "<caption>11 indicateurs en vigueur, 2025</caption>"
        while every not in (strategy := browser.get("/strategie", params={"annee": 2025})).text:
            assert time.monotonic() < deadline, "the demo strategy did not reach the evaluation view"
            time.sleep(0.2)
        assert strategy.status_code == 200 and "La stratégie en 2025" in strategy.text
        assert "<caption>5 actions</caption>" in strategy.text and "Axes et objectifs" in strategy.text
        assert "Région des Pays de la Loire" in strategy.text  # an action's lead pilot, named


def test_steering_sessions_and_follow_up_reviews_are_shown_in_french(
    console: tuple[Deployment, str, str],
) -> None:
    system, url, _ = console
    held_on = date.today().isoformat()
    session = {"held_on": held_on, "kind": "steering_committee", "pilots_present": ["region", "state"],
               "items": [{"action_code": "EX-A1", "kind": "recommendation", "text": "Ouvrir un second appel",
                          "progress": "delayed"}]}  # fmt: skip
    with system.client("region", "evaluation") as evaluation:
        recorded = evaluation.post("/sessions", json=session)
        assert recorded.status_code == 202, recorded.text
    with browsing(url) as browser:
        sign_in(browser, "region-decider")
        deadline = time.monotonic() + 20
        while "Ouvrir un second appel" not in (shown := browser.get("/pilotage").text):
            assert time.monotonic() < deadline, "the session did not reach region's evaluation view"
            time.sleep(0.2)
        assert f"Comité de pilotage du {date.today():%d/%m/%Y}" in shown  # as French readers write it
        assert "<td>recommandation</td>" in shown
        assert "<td>en retard</td>" in shown and f"{PILOT_NAMES['state']}" in shown
        reviews = browser.get("/suivis", params={"etat": "upcoming"})
        assert reviews.status_code == 200 and re.search(
            r"<caption>\d+ suivis? à venir</caption>", reviews.text
        )
        assert '<option value="upcoming" selected>' in reviews.text


def test_a_second_decider_approves_a_held_act(console: tuple[Deployment, str, str]) -> None:
    system, url, _ = console
    pending_id, project_id = held_commitment(system)
    with browsing(url) as browser:
        sign_in(browser, "region-decider")
        waiting = browser.get("/actes-en-attente")
        assert project_id in waiting.text and "surfinancement" in waiting.text
        assert "engagement de 60\u202f000,00 €" in waiting.text
        approved = browser.post(f"/actes-en-attente/{pending_id}", data={"csrf": csrf(waiting.text)})
        assert approved.status_code == 303
        done = browser.get(approved.headers["location"]).text
        assert "est approuvé et enregistré" in done and "Aucun acte n" in done
        again = browser.post(f"/actes-en-attente/{pending_id}", data={"csrf": csrf(waiting.text)})
        assert again.status_code == 409 and "déjà été approuvé" in again.text
        listed = browser.get("/projets", params={"q": "velo"}).text  # its funder named in the list
        assert "Atelier vélo solidaire" in listed and "<td>Région des Pays de la Loire</td>" in listed


def held_commitment(system: Deployment) -> tuple[str, str]:
    """A project whose commitment goes beyond its eligible budget: the decider who asked acknowledged the
    over-funding, and the act waits for a second decider. (pending id, project id)"""
    today = date.today().isoformat()
    with system.client("region", "intake") as intake:
        project_id = intake.post("/projects", json=submission(title="Atelier vélo solidaire")).json()[
            "project_id"
        ]
    eligible = [{"code": "L1", "category": "staff", "eligible_amount": 50_000_00}]
    opinion = {"opinion_id": "op1", "given_on": today, "outcome": "favourable", "eligible_total": 50_000_00,
               "eligible_lines": eligible, "self_financing": 0, "in_kind": 0}  # fmt: skip
    request = {"request_id": "r-d1", "requested_on": today, "instrument": "grant", "amount": 60_000_00}
    decision = body(decision_of("d1", 60_000_00, date.today(), beneficiary_siren=fresh_siren()))
    commitment = {"commitment_id": "c1", "decision_id": "d1", "committed_on": today, "reference": "EJ-1",
                  "amount": 60_000_00, "acknowledge": ["over_funding"]}  # fmt: skip
    with system.client("region", "funding") as funding:
        deadline = time.monotonic() + 30
        while funding.get(f"/projects/{project_id}/view").status_code != 200:
            assert time.monotonic() < deadline, "the project did not reach region's funding service"
            time.sleep(0.2)
        for kind, act in (("opinions", opinion), ("requests", request), ("decisions", decision)):
            answer = funding.post(f"/projects/{project_id}/{kind}", json=act)
            assert answer.status_code == 201, (kind, answer.text)
        held = funding.post(f"/projects/{project_id}/commitments", json=commitment)
        assert held.status_code == 202, held.text
    return str(held.json()["pending_id"]), project_id


def test_a_decider_records_a_decision_with_each_error_and_rule_said_in_french(
    console: tuple[Deployment, str, str],
) -> None:
    system, url, _ = console
    project_id = requested_project(system, "Ressourcerie du Segréen", "r-seg", eligible=30_000_00)
    today, siren = date.today().isoformat(), fresh_siren()
    with browsing(url) as browser:
        sign_in(browser, "region-decider")
        assert "Enregistrer une décision de Région" in browser.get(f"/projets/{project_id}").text
        form = browser.get(f"/projets/{project_id}/decision")
        assert "r-seg — subvention de 400\u202f000,00 €" in form.text
        sent = {"csrf": csrf(form.text), "request_id": "r-seg", "decided_on": today, "outcome": "granted",
                "instrument": "grant", "state_aid_basis": "de_minimis_general"}  # fmt: skip
        path = f"/projets/{project_id}/decision"
        wrong = browser.post(
            path, data={**sent, "nominal_amount": "quarante mille", "beneficiary_siren": "12"}
        )
        assert wrong.status_code == 422 and "Il y a 2 erreurs" in wrong.text, wrong.text
        assert "Saisissez un montant en euros, par exemple 12 500 ou 12 500,50." in wrong.text
        assert "Le SIREN compte 9 chiffres" in wrong.text and 'value="quarante mille"' in wrong.text  # kept
        assert (
            'id="nominal_amount" name="nominal_amount"' in wrong.text and 'aria-invalid="true"' in wrong.text
        )

        beyond = browser.post(path, data={**sent, "nominal_amount": "350 000", "beneficiary_siren": siren})
        assert beyond.status_code == 409, beyond.text
        assert "Cette décision franchirait une règle commune aux financeurs" in beyond.text
        assert "Plafond de minimis" in beyond.text and "ne peut pas être franchie" in beyond.text
        assert 'name="acknowledge"' not in beyond.text  # de minimis is never gone through

        granted = browser.post(path, data={**sent, "nominal_amount": "40 000,50", "beneficiary_siren": siren})
        assert granted.status_code == 303 and granted.headers["location"].endswith("?acte=decision")
        deadline = time.monotonic() + 20
        while "40\u202f000,50 €" not in (shown := browser.get(granted.headers["location"]).text):
            assert time.monotonic() < deadline, "the decision did not reach region's view"
            time.sleep(0.2)
        assert "La décision de Région des Pays de la Loire est enregistrée" in shown and "accordée" in shown
        assert "<caption>Demandes de financement (1)</caption>" in shown and "<td>r-seg</td>" in shown
        assert "<caption>Avis de pré-instruction (1)</caption>" in shown and "<td>favorable</td>" in shown
        assert "Statut du plan : en cours de bouclage ; budget éligible 30\u202f000,00 €" in shown, shown
        # Its commitment goes beyond the eligible 30,000 €: kept knowingly, held for a second decider.
        form = browser.get(f"/projets/{project_id}/engagement")
        assert 'value="40\u202f000,50"' in form.text  # the decision's amount, to engage
        chosen = re.search(r'<option value="([^"]+)" selected>', form.text)
        assert chosen, "the decision to engage is offered, chosen"
        commitment = {"csrf": csrf(form.text), "decision_id": chosen.group(1), "committed_on": today,
                      "reference": "EJ-2026-0042", "amount": "40 000,50"}  # fmt: skip
        path = f"/projets/{project_id}/engagement"
        over = browser.post(path, data=commitment)
        assert over.status_code == 409 and "Cet engagement franchirait une règle" in over.text, over.text
        assert "Surfinancement" in over.text and "Je maintiens l'acte malgré le surfinancement" in over.text
        held = browser.post(path, data={**commitment, "acknowledge": "over_funding"})
        assert held.status_code == 303 and "/actes-en-attente?demande=" in held.headers["location"]
        assert "attend l'accord d'un second décideur" in browser.get(held.headers["location"]).text
    with system.client("region", "funding") as funding:
        facts = funding.get(f"/projects/{project_id}/plan").json()["facts"]
        [recorded] = facts["decisions"]
        assert (recorded["nominal_amount"], recorded["beneficiary_siren"]) == (40_000_50, siren)
        assert facts["commitments"] == []  # held, not recorded, until a second decider approves


def test_an_instructor_records_a_request_then_the_shared_opinion_line_by_line(
    console: tuple[Deployment, str, str],
) -> None:
    system, url, _ = console
    with system.client("region", "intake") as intake:
        project_id = str(
            intake.post("/projects", json=submission(title="Garage solidaire")).json()["project_id"]
        )
    with system.client("region", "funding") as funding:
        deadline = time.monotonic() + 20
        while (
            not (plan := funding.get(f"/projects/{project_id}/plan")).is_success
            or not plan.json()["facts"]["budget"]
        ):
            assert time.monotonic() < deadline, "the submitted budget did not reach region's plan"
            time.sleep(0.2)
    budget_line = plan.json()["facts"]["budget"][0]  # 80,000 € of staff, as submitted
    with browsing(url) as browser:
        sign_in(browser, "region-instructor")
        form = browser.get(f"/projets/{project_id}/demande")
        token, path = csrf(form.text), f"/projets/{project_id}/demande"
        sent = {"csrf": token, "requested_on": date.today().isoformat(), "instrument": "grant"}
        nothing = browser.post(path, data={**sent, "amount": "0"})
        assert nothing.status_code == 422 and "plus de zéro" in nothing.text
        asked = browser.post(path, data={**sent, "amount": "25 000", "budget_lines": [budget_line["code"]]})
        assert asked.status_code == 303 and asked.headers["location"].endswith("?acte=demande")
        assert (
            "La demande de financement de Région des Pays de la Loire est enregistrée"
            in browser.get(asked.headers["location"]).text
        )

        form = browser.get(f"/projets/{project_id}/avis")
        submitted = f'value="{budget_line["amount"] // 100:,}"'.replace(",", "\u202f")
        assert submitted in form.text  # each line's eligible amount starts at what was submitted
        path, line = f"/projets/{project_id}/avis", f"eligible-{budget_line['code']}"
        opinion = {"csrf": csrf(form.text), "given_on": date.today().isoformat(), "outcome": "favourable",
                   "self_financing": "5 000", "in_kind": "0"}  # fmt: skip
        wrong = browser.post(path, data={**opinion, line: "beaucoup"})
        assert wrong.status_code == 422 and "Saisissez un montant éligible en euros" in wrong.text
        assert f'id="{line}-error"' in wrong.text and 'value="beaucoup"' in wrong.text
        given = browser.post(path, data={**opinion, line: "20 000"})
        assert given.status_code == 303 and given.headers["location"].endswith("?acte=avis")
    with system.client("region", "funding") as funding:  # the opinion's event folds into the plan
        deadline = time.monotonic() + 20
        while not (facts := funding.get(f"/projects/{project_id}/plan").json()["facts"])["opinions"]:
            assert time.monotonic() < deadline, "the opinion did not reach region's plan"
            time.sleep(0.2)
    [request] = facts["requests"]
    assert (request["amount"], request["budget_lines"]) == (25_000_00, [budget_line["code"]])
    [recorded] = facts["opinions"]
    assert (recorded["eligible_total"], recorded["self_financing"]) == (20_000_00, 5_000_00)


def test_a_projects_signed_events_are_shown_with_each_verdict(console: tuple[Deployment, str, str]) -> None:
    """State, with its own valid key, signs a withdrawal of region's project: the page lists it refused."""
    system, url, project_id = console
    forged = ev.event(ev.withdrawn(), "state", "intake", project_id, 9)
    asyncio.run(system.publish([("state", encode(forged, system.signers["state"]))]))
    with browsing(url) as browser:
        sign_in(browser, "region-instructor")
        deadline = time.monotonic() + 20
        while "émetteur non autorisé" not in (shown := browser.get(f"/projets/{project_id}").text):
            assert time.monotonic() < deadline, "the forged withdrawal is not on the project's page"
            time.sleep(0.2)
    assert "<td>dépôt du dossier</td>" in shown and "✓ signature vérifiée, émetteur autorisé" in shown
    assert "<td>retrait</td>" in shown and "not the owner of project" in shown  # the service's words kept
    assert f"<td>{PILOT_NAMES['state']} (intake)</td>" in shown  # who signed it, named


def requested_project(system: Deployment, title: str, request_id: str, eligible: int) -> str:
    """A project of region's intake with region's opinion (`eligible` cents) and a grant request of
    400,000 €."""
    today = date.today().isoformat()
    with system.client("region", "intake") as intake:
        project_id = str(intake.post("/projects", json=submission(title=title)).json()["project_id"])
    lines = [{"code": "L1", "category": "staff", "eligible_amount": eligible}]
    opinion = {"opinion_id": "op1", "given_on": today, "outcome": "favourable", "eligible_total": eligible,
               "eligible_lines": lines, "self_financing": 0, "in_kind": 0}  # fmt: skip
    request = {"request_id": request_id, "requested_on": today, "instrument": "grant", "amount": 400_000_00}
    with system.client("region", "funding") as funding:
        deadline = time.monotonic() + 30
        while funding.get(f"/projects/{project_id}/view").status_code != 200:
            assert time.monotonic() < deadline, "the project did not reach region's funding service"
            time.sleep(0.2)
        for kind, act in (("opinions", opinion), ("requests", request)):
            answer = funding.post(f"/projects/{project_id}/{kind}", json=act)
            assert answer.status_code == 201, (kind, answer.text)
    return project_id


HOLDER_FORM = {
    "organisation-name": "Coopérative du Bocage mayennais",
    "organisation-legal_form": "association",
    "organisation-siret": "732 829 320 00074",
    "organisation-department": "53",
    "contact-name": "Camille Durand",
    "contact-email": "camille@example.org",
    "contact-phone": "06 12 34 56 78",
    "project-title": "Recyclerie du Bocage",
    "project-description": "Une recyclerie et un atelier de réparation.",
    "project-stage": "creation_or_takeover",
    "project-third_place": "oui",
    "project-needs": ["support", "funding"],
    "project-planned_jobs": "2",
    "project-start_on": "2026-09-01",
    "project-budget-lines-1-label": "Salaires",
    "project-budget-lines-1-category": "staff",
    "project-budget-lines-1-amount": "30 000",
    "project-budget-lines-2-label": "",
}


def test_a_holder_submits_follows_answers_a_correction_with_a_file_and_withdraws(
    console: tuple[Deployment, str, str],
) -> None:
    system, url, _ = console
    statutes = ("statuts.pdf", b"%PDF-1.7\n% statuts\n", "application/pdf")
    with browsing(url) as browser:
        page = browser.get("/connexion")
        signed = browser.post("/connexion", data={"person": "region-holder", "csrf": csrf(page.text)})
        assert signed.headers["location"] == "/deposer"
        form = browser.get("/deposer")
        assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
        assert '<label for="organisation-siret">' in form.text and 'id="organisation-siret"' in form.text
        typed = {
            **HOLDER_FORM,
            "csrf": csrf(form.text),
            "cle": re.findall(r'name="cle" value="([^"]+)"', form.text)[0],
        }
        wrong = browser.post(
            "/deposer",
            data={**typed, "organisation-siret": "732 829 320", "project-budget-lines-1-amount": "trente"},
            files={"attachments-statutes": statutes},
        )
        assert wrong.status_code == 422 and "Il y a 2 erreurs" in wrong.text, wrong.text[-3000:]
        assert '<a href="#organisation-siret">Saisissez le SIRET' in wrong.text  # the summary links the field
        assert 'id="organisation-siret-error" class="field-error">Saisissez le SIRET' in wrong.text
        assert 'aria-invalid="true" aria-describedby="project-budget-lines-1-amount-error"' in wrong.text
        assert 'value="trente"' in wrong.text and "joignez-les à nouveau" in wrong.text  # typed, kept
        done = browser.post("/deposer", data=typed, files={"attachments-statutes": statutes})
        assert done.status_code == 201 and "Votre projet est déposé" in done.text, done.text[-3000:]
        link = re.findall(r'<a href="(/suivi/[^"]+)">', done.text)[0]
        again = browser.post("/deposer", data=typed, files={"attachments-statutes": statutes})  # a 2nd click
        assert link in again.text  # the same project, not a second one
        changed = browser.post("/deposer", data={**typed, "project-title": "Autre projet"})
        assert changed.status_code == 422 and "Ce formulaire a déjà servi à déposer un projet" in changed.text
    project_id = link.split("/")[2]
    asked = {"fields": ["budget", "attachments"], "reasons": ["missing_attachment"], "remark": "Le budget ?"}
    with system.client("region", "intake") as intake:
        assert intake.post(f"/projects/{project_id}/correction-requests", json=asked).status_code == 200
    with browsing(url) as holder:  # no account: the link is the key
        assert "ne correspond à aucun projet" in holder.get(link[:-4] + "AAAA").text  # 404, said in French
        assert holder.get(link[:-1]).status_code == 404  # a truncated link
        follow = holder.get(link)
        assert follow.status_code == 200 and "Recyclerie du Bocage" in follow.text
        assert "<dd>corrections demandées</dd>" in follow.text and "<li>le budget</li>" in follow.text
        assert (
            "<td>Dépôt du dossier</td>" in follow.text and "Message du service : Le budget ?" in follow.text
        )
        assert 'value="30\u202f000"' in follow.text and "Retirer statuts.pdf" in follow.text  # prefilled
        fields = {**HOLDER_FORM, "project-budget-lines-1-amount": "28 000", "csrf": csrf(follow.text),
                  "project-budget-lines-2-label": "Outillage", "project-budget-lines-2-category": "equipment",
                  "project-budget-lines-2-amount": "2 000,50"}  # fmt: skip
        budget = ("budget.pdf", b"%PDF-1.7\n% budget\n", "application/pdf")
        answered = holder.post(f"{link}/correction", data=fields, files={"attachments-budget": budget})
        assert answered.status_code == 303, answered.text[-3000:]
        shown = holder.get(answered.headers["location"]).text
        assert "Votre dossier corrigé est envoyé" in shown and "<td>Dossier corrigé</td>" in shown
        unconfirmed = holder.post(f"{link}/retrait", data={"csrf": csrf(shown), "withdrawal-reason": "other"})
        assert (
            unconfirmed.status_code == 422 and "Cochez la case pour confirmer le retrait." in unconfirmed.text
        )
        sent = {"csrf": csrf(shown), "withdrawal-reason": "funded_elsewhere", "withdrawal-confirm": "oui"}
        withdrawn = holder.post(f"{link}/retrait", data=sent)
        assert withdrawn.status_code == 303
        final = holder.get(withdrawn.headers["location"]).text
        assert "<dd>retiré</dd>" in final and "<td>Retrait</td>" in final and "Retirer le projet" not in final
    with system.client("region", "intake") as intake:
        file = intake.get(f"/projects/{project_id}").json()
    assert sorted(a["file_name"] for a in file["attachments"]) == ["budget.pdf", "statuts.pdf"]
    assert file["project"]["budget_total"] == "30000.50" and file["end_reason"] == "funded_elsewhere"


def test_a_network_accepts_one_project_and_declines_another_with_its_reason(
    console: tuple[Deployment, str, str],
) -> None:
    system, url, _ = console
    mayenne = network("n-mayenne", account="region-local-network", departments=["53"], needs=["support"])
    with system.client("region", "intake") as intake:
        assert intake.post("/networks", json=mayenne).status_code == 201
        titles = ("Café associatif de Laval", "Garage solidaire d'Évron")
        bodies = [with_value(submission(t, siret=None), "organisation.department", "53") for t in titles]
        ids = [intake.post("/projects", json=body).json()["project_id"] for body in bodies]
    with browsing(url) as browser:
        page = browser.get("/connexion")
        signed = browser.post("/connexion", data={"person": "region-network", "csrf": csrf(page.text)})
        assert signed.headers["location"] == "/reseau"
        assert browser.get("/projets").status_code == 403  # staff pages are not a network's
        listed = browser.get("/reseau")
        assert "Café associatif de Laval" in listed.text and "Garage solidaire d&#39;Évron" in listed.text
        assert "<td>53 — Mayenne</td>" in listed.text and "<td>Réseau n-mayenne</td>" in listed.text
        token = csrf(listed.text)
        accepted = browser.post(f"/reseau/{ids[0]}/n-mayenne/acceptation", data={"csrf": token})
        assert accepted.status_code == 303
        path = f"/reseau/{ids[1]}/n-mayenne/refus"
        no_reason = browser.post(path, data={"csrf": token})
        assert no_reason.status_code == 422 and "Choisissez le motif du refus." in no_reason.text
        assert f'aria-describedby="reason-{ids[1]}-n-mayenne-error"' in no_reason.text
        declined = browser.post(path, data={"csrf": token, "reason": "no_capacity"})
        assert declined.status_code == 303
        shown = browser.get(declined.headers["location"]).text
        assert "Accepté le" in shown and "ne peut pas l&#39;accompagner pour l&#39;instant" in shown
    with system.client("region", "intake") as intake:
        answers = {o["project_id"]: o["answer"] for o in intake.get("/orientations").json()}
    assert (answers[ids[0]], answers[ids[1]]) == ("accepted", "declined")


@pytest.mark.skipif(shutil.which("chromedriver") is None, reason="Debian's chromium-driver is not installed")
def test_a_real_browser_signs_in_and_opens_the_project(console: tuple[Deployment, str, str]) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as expected
    from selenium.webdriver.support.wait import WebDriverWait

    _, url, _ = console
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=fr-FR"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(f"{url}/connexion")
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
        driver.find_element(By.CSS_SELECTOR, "label[for=person-0]")  # every choice has its label
        driver.find_element(By.XPATH, "//label[contains(., 'instruction')]").click()
        driver.find_element(By.XPATH, "//button[. = 'Se connecter']").click()
        arrived = WebDriverWait(driver, 15)  # each click loads a page: wait for its heading
        arrived.until(expected.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Projets"))
        driver.find_element(By.LINK_TEXT, TITLE).click()
        arrived.until(expected.text_to_be_present_in_element((By.TAG_NAME, "h1"), TITLE))
        skip = driver.find_element(By.CSS_SELECTOR, "a.skip")
        assert skip.get_attribute("href").endswith("#contenu")
    finally:
        driver.quit()


def test_an_operator_watches_services_feed_rejections_and_checkpoints(
    console: tuple[Deployment, str, str],
) -> None:
    """Issue 22, operator pages: each service's figures; a submission's events in the feed (filtered by
    project) and one opened with its verdict; a forged message listed among the dead letters, retried by the
    operator (and an admin) and still rejected; every pilot's checkpoints side by side, a divergent one
    marked; other roles refused, by the console and by the service."""
    system, url, _ = console
    with system.client("region", "intake") as intake:
        project_id = intake.post("/projects", json=submission(title="Ressourcerie du vignoble")).json()[
            "project_id"
        ]
    forged = ev.event(ev.withdrawn(), "state", "intake", project_id, 9)
    asyncio.run(system.publish([("state", encode(forged, system.signers["state"]))]))
    with browsing(url) as browser:
        page = browser.get("/connexion")
        signed = browser.post("/connexion", data={"person": "region-operator", "csrf": csrf(page.text)})
        assert signed.headers["location"] == "/exploitation"
        overview = browser.get("/exploitation")
        assert overview.status_code == 200
        assert f"<h2>Services de {PILOT_NAMES['region']}</h2>" in overview.text
        for name in ("Dépôt", "Financement", "Évaluation"):
            assert f'<th scope="row">{name}</th>' in overview.text
        assert "appliqué jusqu'au n°" in overview.text and 'data-health="down"' not in overview.text

        feed = wait_for(browser, f"/exploitation/flux?project={project_id}", "<code>project_withdrawn</code>")
        assert 'aria-live="polite"' in feed and f'value="{project_id}"' in feed
        row = r'<a href="/exploitation/flux/(\d+)">\d+</a>.*?<code>(\w+)</code>'
        rows = dict(re.findall(row, feed, re.S))
        kinds = sorted(rows.values())
        assert kinds == ["project_qualified", "project_submitted", "project_withdrawn"], kinds  # no other's
        seq = {kind: int(n) for n, kind in rows.items()}
        more = browser.get("/exploitation/flux/suite", params={"after": 0, "project": project_id})
        assert more.text.count("<tr>") == 3 and int(more.headers["x-suivant"]) >= max(seq.values())
        opened = browser.get(f"/exploitation/flux/{seq['project_submitted']}").text
        assert "✓ signature vérifiée, émetteur autorisé" in opened and "Nats-Msg-Id" in opened
        assert f"&#34;aggregate_id&#34;: &#34;{project_id}&#34;" in opened  # the envelope, as stored
        forged_seq = seq["project_withdrawn"]
        assert "émetteur non autorisé pour ce projet" in browser.get(f"/exploitation/flux/{forged_seq}").text

        rejections = wait_for(browser, "/exploitation/rejets", f"project.{project_id}.project_withdrawn")
        retry = f"/exploitation/rejets/funding/{forged_seq}/reprise"
        assert "lettre morte" in rejections and "réservée" not in rejections
        assert f'action="{retry}"' in rejections and ">Reprendre</button>" in rejections
        forged_form = browser.post(retry, data={"csrf": "guessed"})
        assert forged_form.status_code == 403 and "Le formulaire a expiré" in forged_form.text
        retried = browser.post(retry, data={"csrf": csrf(rejections)})
        assert retried.status_code == 303 and retried.headers["location"].endswith("&issue=dead")
        said = browser.get(retried.headers["location"]).text
        assert f"Le message n° {forged_seq} (financement) a été repris : toujours rejeté" in said
        assert f"project.{project_id}.project_withdrawn" in said  # verified again: forged, still rejected

        assert_checkpoints_side_by_side(system, browser)

    with browsing(url) as admin:
        sign_in(admin, "region-admin")
        listed = admin.get("/exploitation/rejets").text
        retried = admin.post(retry, data={"csrf": csrf(listed)})  # again, as an admin: the same verdict
        assert retried.status_code == 303 and retried.headers["location"].endswith("&issue=dead")

    with browsing(url) as instructor:
        sign_in(instructor, "region-instructor")
        for path in ("/exploitation", "/exploitation/flux", "/exploitation/rejets", "/exploitation/flux/1"):
            answer = instructor.get(path)
            assert answer.status_code == 403 and "Votre rôle ne permet pas" in answer.text, path
        token = csrf(instructor.get("/projets").text)  # the sign-out form's
        refused = instructor.post(f"/exploitation/rejets/funding/{forged_seq}/reprise", data={"csrf": token})
        assert refused.status_code == 403 and "Votre rôle ne permet pas" in refused.text
    assert_retry_refused_but_to_operators(system, forged_seq)


def assert_retry_refused_but_to_operators(system: Deployment, seq: int) -> None:
    """The service itself: its instructor refused a retry, its operator let in (the message, forged, still
    rejected)."""
    funding = system.children[("region", "funding")].http_url
    for person, status, outcome in (("region-instructor", 403, None), ("region-operator", 200, "dead")):
        token = (system.state.tokens / f"{person}.jwt").read_text().strip()
        said = {"Authorization": f"Bearer {token}"}
        answer = httpx.post(f"{funding}/dlq/{seq}/retry", headers=said, timeout=30, trust_env=False)
        assert answer.status_code == status, (person, answer.text)
        assert outcome is None or answer.json()["outcome"] == outcome, answer.text


def assert_checkpoints_side_by_side(system: Deployment, browser: httpx.Client) -> None:
    """Region's three services checkpoint at the same position and agree; a checkpoint state signs with
    the same figures and another digest is marked divergent, beside them."""
    services = ("intake", "funding", "evaluation")
    deadline = time.monotonic() + 20
    while True:
        for service in services:
            with system.client("region", service) as client:
                assert client.post("/checkpoint").status_code == 200
        with system.client("region", "funding") as funding:
            found = funding.get("/checkpoints").json()
        rows = {r["service"]: r for r in found["checkpoints"]}
        ours = [rows.get(f"region-{s}") for s in services]
        if all(r and r["compared_with"] >= 2 for r in ours) and found["agree"]:
            break
        assert time.monotonic() < deadline, found
        time.sleep(0.3)
    page = browser.get("/exploitation").text
    assert '<p class="saved" data-agreement="agree"><strong>✓ Concordant</strong>' in page
    agreeing = re.findall(r'data-checkpoint="([\w-]+)" data-agreement="agree"', page)
    assert sorted(agreeing) == [f"region-{s}" for s in sorted(services)], agreeing  # a cell each

    figures = {k: v for k, v in rows["region-funding"].items() if k in CheckpointRecorded.model_fields}
    other = CheckpointRecorded(**{**figures, "reporting_service": "state-funding", "view_digest": "f" * 64})
    forged = ev.event(other, "state", "funding", "funding", 1)
    asyncio.run(system.publish([("state", encode(forged, system.signers["state"]))]))
    page = wait_for(browser, "/exploitation", 'data-checkpoint="state-funding" data-agreement="divergent"')
    assert "<strong>✗ Divergent</strong>" in page and "empreinte différente chez state-funding" in page
    assert f'<th scope="col">{PILOT_NAMES["state"]}</th>' in page


def browsing(url: str) -> httpx.Client:
    """A person's HTTP client on the console; a page may take seconds on a loaded 2-core machine (the
    console waits on its services), more than httpx's 5 s default."""
    return httpx.Client(base_url=url, timeout=30.0)


def wait_for(browser: httpx.Client, path: str, text: str, limit: float = 20.0) -> str:
    deadline = time.monotonic() + limit
    while text not in (answer := browser.get(path)).text:
        assert time.monotonic() < deadline, f"{text!r} not on {path}: {answer.text[-3000:]}"
        time.sleep(0.2)
    return answer.text


def sign_in(browser: httpx.Client, person: str) -> None:
    page = browser.get("/connexion")
    signed = browser.post("/connexion", data={"person": person, "csrf": csrf(page.text)})
    assert signed.status_code == 303, signed.text


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the form"
    return found.group(1)


def wait_up(child: Child, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{child.port}/status", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert child.proc.poll() is None, Path(child.log_path).read_text()[-2000:]
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.1)
