"""A realistic stream: intake, funding and evaluation events for many projects, signed by the three pilots.

Projects move through intake (submission, sometimes a correction, qualification, orientation, sometimes a
withdrawal or closure), then one to three funders each request, decide, commit, schedule and pay; some
decisions are cancelled, some projects get a follow-up review. Around them: the network directory, the
strategy's actions and indicators with measures, steering sessions and a few probes. About 200 projects are
in flight at once, so their events interleave as they would on the stream. Each issuer (pilot, service,
aggregate, id) numbers its own events from 1.

The plan is drawn from a seeded random generator; building and signing the events (the costly part, about
100 µs an event) is split across processes. The corpus is cached under `bench/results/` with the pilots'
seeds (bench-only keys), so later runs load it in seconds.
"""

from __future__ import annotations

import os
import pickle
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ess_contracts import evaluation, funding, intake
from ess_contracts.base import Payload
from ess_contracts.codec import WireMessage, encode
from ess_contracts.event import new_event
from ess_contracts.intake import TITLE_FIELD
from ess_contracts.ops import ProbeSent
from ess_contracts.sealing import context_of, new_data_key, new_key_id, seal
from ess_contracts.signing import Signer, TrustFile, TrustStore, generate_seed
from ess_contracts.types import PILOTS, Pilot

GENERATOR_VERSION = 1
RESULTS = Path(__file__).resolve().parent / "results"
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
D0 = date(2026, 1, 5)
IN_FLIGHT = 200
CHUNK = 5_000
PACE = 40
"""Projects submitted a day; about ten events each, so the stream's days advance every `10 * PACE` events."""

# (pilot, service, aggregate_id, sequence, seconds after T0, payload kind, arguments)
Spec = tuple[str, str, str, int, int, str, dict[str, Any]]


def _luhn_complete(stem: str) -> str:
    """`stem` with the one last digit that makes its Luhn key valid."""
    for last in "0123456789":
        digits = stem + last
        total = 0
        for index, char in enumerate(reversed(digits)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def siren(n: int) -> str:
    stem = f"{(n * 7919 + 21_345_678) % 100_000_000:08d}"
    return _luhn_complete("21000000" if stem == "35600000" else stem)  # La Poste's SIREN keys otherwise


def siret(n: int) -> str:
    return _luhn_complete(siren(n) + f"{n % 10_000:04d}")


DEPARTMENTS = ("44", "49", "53", "72", "85")
STAGES = (
    "creation_or_takeover",
    "development_or_scale_up",
    "consolidation",
    "social_innovation",
    "collective_project",
)
FORMS = ("association", "scop", "scic", "cae", "mutual", "foundation")
CATEGORIES = ("staff", "purchases", "external_services", "premises", "equipment", "investment")
OBJECTIVES = tuple(f"O{i}" for i in range(1, 15))
NETWORKS = tuple(f"net-{i:02d}" for i in range(30))
INDICATORS = tuple(f"IND-{i:02d}" for i in range(30))
ACTIONS = tuple(f"A{i:02d}" for i in range(1, 21))


# --- payload builders (run in worker processes) -------------------------------------------------------------


def _day(offset: int) -> date:
    return D0 + timedelta(days=offset)


def _budget(a: dict[str, Any]) -> intake.Budget:
    amounts: list[int] = a["lines"]
    lines = tuple(
        intake.BudgetLine(code=f"L{i}", category=CATEGORIES[i % len(CATEGORIES)], amount=amount)  # type: ignore[arg-type]
        for i, amount in enumerate(amounts)
    )
    return intake.Budget(total=sum(amounts), lines=lines)


def _organisation(a: dict[str, Any]) -> intake.Organisation:
    created = a["n"] % 11 == 0
    return intake.Organisation(
        siret=None if created else siret(a["n"]),
        being_created=created,
        legal_form=FORMS[a["n"] % len(FORMS)],  # type: ignore[arg-type]
        department=a["dept"],
        epci_siren=siren(a["n"] + 500_000) if a["n"] % 3 == 0 else None,
    )


# Titles travel sealed; the bench folds them and never opens one, so one key serves every project.
TITLE_KEY, TITLE_SECRET = new_key_id("region"), new_data_key()


def _details(a: dict[str, Any]) -> intake.ProjectDetails:
    return intake.ProjectDetails(
        title=seal(TITLE_KEY, TITLE_SECRET, a["title"], context_of(f"prj-{a['n']}", TITLE_FIELD)),
        stage=a["stage"],
        third_place=a["n"] % 4 == 0,
        needs=("funding", "support") if a["n"] % 2 else ("funding",),
        budget=_budget(a),
        planned_jobs=a["jobs"],
        start_on=_day(a["day"] + 120),
    )


def _attachments(a: dict[str, Any]) -> tuple[intake.Attachment, ...]:
    return tuple(
        intake.Attachment(
            sha256=f"{a['n']:032x}{i:032x}", kind=kind, media_type="application/pdf", size_bytes=40_000 + i
        )
        for i, kind in enumerate(("statutes", "budget")[: 1 + a["n"] % 2])
    )


def _submitted(a: dict[str, Any]) -> Payload:
    network = a["n"] % 5 == 0
    return intake.ProjectSubmitted(
        submitted_on=_day(a["day"]),
        channel="network" if network else "holder",
        via_network=NETWORKS[a["n"] % len(NETWORKS)] if network else None,
        organisation=_organisation(a),
        project=_details(a),
        attachments=_attachments(a),
    )


def _funding_decision(a: dict[str, Any]) -> Payload:
    on = _day(a["day"])
    if a["outcome"] == "refused":
        return funding.ProjectDecisionRecorded(
            decision_id=a["decision"],
            request_id=a["request"],
            decided_on=on,
            outcome="refused",
            instrument="grant",
            nominal_amount=0,
            gross_grant_equivalent=0,
        )
    conditional = a["outcome"] == "conditional"
    return funding.ProjectDecisionRecorded(
        decision_id=a["decision"],
        request_id=a["request"],
        decided_on=on,
        outcome=a["outcome"],
        instrument="grant",
        nominal_amount=a["amount"],
        gross_grant_equivalent=a["amount"],
        state_aid_basis="de_minimis_general",
        legal_right_on=on,
        beneficiary_siren=siren(a["n"]),
        budget_lines=(funding.LineAmount(code="L0", amount=a["amount"] // 2),),
        conditions=(funding.Condition(kind="cofunding_confirmed", due_on=on + timedelta(days=90)),)
        if conditional
        else (),
    )


BUILDERS: dict[str, Callable[[dict[str, Any]], Payload]] = {
    "project_submitted": _submitted,
    "project_correction_requested": lambda a: intake.ProjectCorrectionRequested(
        request_id=f"cr-{a['n']}",
        requested_on=_day(a["day"]),
        fields=("budget",),
        reasons=("budget_inconsistent",),
    ),
    "project_corrected": lambda a: intake.ProjectCorrected(
        corrected_on=_day(a["day"]),
        answers_request=f"cr-{a['n']}",
        organisation=_organisation(a),
        project=_details(a),
        attachments=_attachments(a),
    ),
    "project_qualified": lambda a: intake.ProjectQualified(
        qualified_on=_day(a["day"]),
        objectives=tuple(a["objectives"]),
        department=a["dept"],
        eligible=a["eligible"],
        ineligibility_reasons=() if a["eligible"] else ("outside_strategy_scope",),
    ),
    "project_oriented": lambda a: intake.ProjectOriented(
        oriented_on=_day(a["day"]), network_ids=tuple(a["networks"])
    ),
    "project_orientation_accepted": lambda a: intake.ProjectOrientationAccepted(
        network_id=a["network"], accepted_on=_day(a["day"])
    ),
    "project_withdrawn": lambda a: intake.ProjectWithdrawn(
        withdrawn_on=_day(a["day"]), reason="funded_elsewhere"
    ),
    "project_closed": lambda a: intake.ProjectClosed(closed_on=_day(a["day"]), reason=a["reason"]),
    "project_funding_requested": lambda a: funding.ProjectFundingRequested(
        request_id=a["request"], requested_on=_day(a["day"]), instrument="grant", amount=a["amount"]
    ),
    "project_opinion_given": lambda a: funding.ProjectOpinionGiven(
        opinion_id=f"op-{a['n']}",
        given_on=_day(a["day"]),
        outcome="favourable",
        eligible_total=a["eligible"],
        eligible_lines=(funding.EligibleLine(code="L0", category="staff", eligible_amount=a["eligible"]),),
        self_financing=a["eligible"] // 10,
        in_kind=0,
    ),
    "project_de_minimis_declared": lambda a: funding.ProjectDeMinimisDeclared(
        declared_on=_day(a["day"]),
        beneficiary_siren=siren(a["n"]),
        prior_aids=(
            funding.PriorAid(
                aid_ref=f"aid-{a['n']}",
                recipient_siren=siren(a["n"]),
                grantor="departement",
                basis="de_minimis_general",
                gross_grant_equivalent=15_000_00,
                legal_right_on=date(2025, 6, 1),
            ),
        ),
    ),
    "project_decision_recorded": _funding_decision,
    "project_commitment_recorded": lambda a: funding.ProjectCommitmentRecorded(
        commitment_id=f"c-{a['decision']}",
        decision_id=a["decision"],
        committed_on=_day(a["day"]),
        reference=f"EJ-{a['n']}-{a['decision']}",
        amount=a["amount"],
    ),
    "project_tranche_scheduled": lambda a: funding.ProjectTrancheScheduled(
        tranche_id=a["tranche"],
        commitment_id=f"c-{a['decision']}",
        due_on=_day(a["day"]),
        amount=a["amount"],
        trigger="on_signature" if a["tranche"].endswith("1") else "on_final_report",
    ),
    "project_disbursement_recorded": lambda a: funding.ProjectDisbursementRecorded(
        disbursement_id=f"pay-{a['tranche']}",
        commitment_id=f"c-{a['decision']}",
        tranche_id=a["tranche"],
        paid_on=_day(a["day"]),
        amount=a["amount"],
    ),
    "project_decision_cancelled": lambda a: funding.ProjectDecisionCancelled(
        decision_id=a["decision"], cancelled_on=_day(a["day"]), reason="project_abandoned"
    ),
    "project_review_recorded": lambda a: evaluation.ProjectReviewRecorded(
        milestone_months=12,
        reviewed_on=_day(a["day"]),
        still_operating=True,
        jobs_created=a["jobs"],
        jobs_kept=1,
    ),
    "network_registered": lambda a: intake.NetworkRegistered(
        registered_on=D0,
        name=f"Réseau d'accompagnement {a['i']}",
        siret=siret(900_000 + a["i"]),
        stages=(STAGES[a["i"] % len(STAGES)],),
        needs=("support",),
        departments=(DEPARTMENTS[a["i"] % len(DEPARTMENTS)],),
    ),
    "action_defined": lambda a: evaluation.ActionDefined(
        code=a["code"],
        defined_on=D0,
        title=f"Action {a['code']} (exemple)",
        lead_pilots=tuple(a["leads"]),
        objectives=(OBJECTIVES[a["i"] % len(OBJECTIVES)],),
        example=True,
    ),
    "indicator_defined": lambda a: evaluation.IndicatorDefined(
        code=a["code"],
        defined_on=D0,
        title=f"Indicateur {a['code']} (exemple)",
        action_code=a["action"],
        kind="output",
        direction="increase",
        unit="count",
        source="measured",
        targets=tuple(evaluation.YearTarget(year=y, value=10 * (y - 2021)) for y in range(2022, 2029)),
        example=True,
    ),
    "indicator_measure_recorded": lambda a: evaluation.IndicatorMeasureRecorded(
        measure_id=f"m-{a['m']}",
        indicator_code=a["code"],
        action_code=a["action"],
        recorded_on=_day(a["day"]),
        period_start=_day(a["day"] - 30),
        period_end=_day(a["day"]),
        value=a["m"] % 97,
        source="pilot_records",
    ),
    "session_recorded": lambda a: evaluation.SessionRecorded(
        held_on=_day(a["day"]),
        pilots_present=PILOTS,
        items=tuple(
            evaluation.SessionItem(
                action_code=code, kind="recommendation", text="Poursuivre.", progress="on_track"
            )
            for code in ACTIONS[:5]
        ),
    ),
    "probe_sent": lambda a: ProbeSent(note="bench"),
}


# --- the plan -----------------------------------------------------------------------------------------------


Step = tuple[str, str, str, str, dict[str, Any]]  # pilot, service, aggregate_id, kind, args


def _project_story(n: int, rnd: random.Random, pace: int = PACE) -> list[Step]:
    """One project's events in an order every issuer could have produced them; `pace` projects are
    submitted a day."""
    host: Pilot = "region" if rnd.random() < 0.8 else "state"
    pid = f"{host}-prj-{n:07d}"  # a project's id names its owner, the intake of the pilot it was submitted to
    day = n // pace
    total_lines = [rnd.randrange(5_000_00, 60_000_00, 100) for _ in range(rnd.randint(1, 4))]
    base = {
        "n": n,
        "dept": DEPARTMENTS[n % 5],
        "stage": STAGES[n % 5],
        "title": f"Projet ESS n°{n} — tiers-lieu, coopérative et emplois",
        "lines": total_lines,
        "jobs": rnd.randint(0, 12),
    }
    steps: list[Step] = [(host, "intake", pid, "project_submitted", {**base, "day": day})]
    if rnd.random() < 0.2:
        steps.append((host, "intake", pid, "project_correction_requested", {"n": n, "day": day + 5}))
        fixed = {**base, "lines": [*total_lines, 1_000_00], "day": day + 12}
        steps.append((host, "intake", pid, "project_corrected", fixed))
    eligible = rnd.random() < 0.85
    objectives = sorted(rnd.sample(OBJECTIVES, rnd.randint(1, 3)), key=lambda o: int(o[1:]))
    steps.append(
        (
            host,
            "intake",
            pid,
            "project_qualified",
            {"day": day + 20, "objectives": objectives, "dept": base["dept"], "eligible": eligible},
        )
    )
    if not eligible:
        steps.append((host, "intake", pid, "project_closed", {"day": day + 25, "reason": "ineligible"}))
        return steps
    if rnd.random() < 0.7:
        networks = rnd.sample(NETWORKS, rnd.randint(1, 2))
        steps.append((host, "intake", pid, "project_oriented", {"day": day + 22, "networks": networks}))
        if rnd.random() < 0.5:
            steps.append(
                (
                    host,
                    "intake",
                    pid,
                    "project_orientation_accepted",
                    {"day": day + 30, "network": networks[0]},
                )
            )
    if rnd.random() < 0.05:
        steps.append((host, "intake", pid, "project_withdrawn", {"day": day + 35}))
        return steps
    funders: list[Pilot] = rnd.sample(list(PILOTS), rnd.randint(1, 3))
    budget = sum(total_lines)
    for rank, funder in enumerate(funders):
        k = {"n": n, "request": f"rq-{funder}", "decision": f"d-{funder}"}
        amount = max(1_000_00, budget // (2 + rank) // 100 * 100)
        steps.append(
            (funder, "funding", pid, "project_funding_requested", {**k, "day": day + 40, "amount": amount})
        )
        if rank == 0:
            steps.append(
                (funder, "funding", pid, "project_opinion_given", {**k, "day": day + 50, "eligible": budget})
            )
            if rnd.random() < 0.3:
                steps.append((funder, "funding", pid, "project_de_minimis_declared", {**k, "day": day + 52}))
        draw = rnd.random()
        outcome = "granted" if draw < 0.75 else "conditional" if draw < 0.85 else "refused"
        steps.append(
            (
                funder,
                "funding",
                pid,
                "project_decision_recorded",
                {**k, "day": day + 60, "outcome": outcome, "amount": amount},
            )
        )
        if outcome == "refused":
            continue
        if rnd.random() < 0.04:
            steps.append((funder, "funding", pid, "project_decision_cancelled", {**k, "day": day + 70}))
            continue
        steps.append(
            (funder, "funding", pid, "project_commitment_recorded", {**k, "day": day + 65, "amount": amount})
        )
        first = amount // 2
        for t, (share, due) in enumerate(((first, 70), (amount - first, 300)), start=1):
            tk = {**k, "tranche": f"t-{funder}-{t}", "amount": share}
            steps.append((funder, "funding", pid, "project_tranche_scheduled", {**tk, "day": day + 66}))
            if t == 1 or rnd.random() < 0.5:
                steps.append(
                    (funder, "funding", pid, "project_disbursement_recorded", {**tk, "day": day + due})
                )
    if rnd.random() < 0.5:
        steps.append(
            ("region", "evaluation", pid, "project_review_recorded", {"day": day + 400, "jobs": base["jobs"]})
        )
    return steps


def _directory() -> list[Step]:
    steps: list[Step] = []
    for i, _ in enumerate(NETWORKS):
        steps.append(("region", "intake", NETWORKS[i], "network_registered", {"i": i}))
    for i, code in enumerate(ACTIONS):
        leads = [PILOTS[i % 3], PILOTS[(i + 1) % 3]]
        steps.append(("region", "evaluation", code, "action_defined", {"i": i, "code": code, "leads": leads}))
    for i, code in enumerate(INDICATORS):
        steps.append(
            (
                "region",
                "evaluation",
                code,
                "indicator_defined",
                {"code": code, "action": ACTIONS[i % len(ACTIONS)]},
            )
        )
    return steps


def plan(count: int, seed: int = 20260105) -> list[Spec]:
    """Exactly `count` specs: the directory first, then interleaved project stories and periodic events."""
    return list(iter_plan(count, seed))


def iter_plan(count: int, seed: int = 20260105, pace: int = PACE) -> Iterator[Spec]:
    """`plan`'s specs one by one, `pace` projects submitted a day: a national stream of ten million events
    is planned without holding it (each issuer's counter is dropped when its project's story ends)."""
    rnd = random.Random(seed)
    sequences: dict[tuple[str, str, str, str], int] = {}
    emitted = 0
    per_day = 10 * pace

    def emit(step: Step) -> Spec:
        nonlocal emitted
        pilot, service, aggregate_id, kind, args = step
        key = (pilot, service, BUILDERS_AGGREGATE[kind], aggregate_id)
        sequences[key] = sequences.get(key, 0) + 1
        emitted += 1
        return (pilot, service, aggregate_id, sequences[key], emitted - 1, kind, args)

    measures = 0

    def periodic(tick: int) -> Iterator[Spec]:
        nonlocal measures
        if tick % 150 == 0:
            code = INDICATORS[measures % len(INDICATORS)]
            measures += 1
            pilot = PILOTS[measures % 3]
            action = ACTIONS[INDICATORS.index(code) % len(ACTIONS)]
            args = {"code": code, "action": action, "m": measures, "day": 60 + tick // per_day}
            yield emit((pilot, "evaluation", code, "indicator_measure_recorded", args))
        if tick % 5_000 == 0:
            yield emit(("region", "evaluation", f"ses-{tick}", "session_recorded", {"day": tick // per_day}))
        if tick % 20_000 == 0:
            yield emit(("region", "ops", f"bench-probe-{tick}", "probe_sent", {}))

    for step in _directory():
        if emitted < count:
            yield emit(step)
    flights: list[tuple[list[Step], Iterator[Step]]] = []
    projects = 0
    while emitted < count:
        while len(flights) < IN_FLIGHT:
            story = _project_story(projects, rnd, pace)
            flights.append((story, iter(story)))
            projects += 1
        index = rnd.randrange(len(flights))
        story, steps = flights[index]
        following = next(steps, None)
        if following is None:
            for pilot, service, aggregate_id, kind, _ in story:  # the project's story is over
                sequences.pop((pilot, service, BUILDERS_AGGREGATE[kind], aggregate_id), None)
            flights[index] = flights[-1]
            flights.pop()
            continue
        yield emit(following)
        for spec in periodic(emitted):
            if emitted <= count:
                yield spec


BUILDERS_AGGREGATE: dict[str, str] = {
    **{kind: "project" for kind in BUILDERS if kind.startswith("project_")},
    "network_registered": "network",
    "action_defined": "action",
    "indicator_defined": "indicator",
    "indicator_measure_recorded": "indicator",
    "session_recorded": "session",
    "probe_sent": "probe",
}


# --- building and signing -----------------------------------------------------------------------------------

Wire = tuple[str, bytes, dict[str, str]]


def _build(job: tuple[dict[str, str], list[Spec]]) -> list[Wire]:
    seeds, specs = job
    signers = {pilot: Signer(seed) for pilot, seed in seeds.items()}
    out: list[Wire] = []
    for pilot, service, aggregate_id, sequence, seconds, kind, args in specs:
        event = new_event(
            BUILDERS[kind](args),
            pilot=pilot,  # type: ignore[arg-type]
            service=service,  # type: ignore[arg-type]
            aggregate_id=aggregate_id,
            sequence=sequence,
            occurred_at=T0 + timedelta(seconds=seconds),
        )
        wire = encode(event, signers[pilot])
        out.append((wire.subject, wire.data, wire.headers))
    return out


@dataclass
class Corpus:
    """The signed messages, in the order they go on the stream, and the pilots' seeds that signed them."""

    seeds: dict[str, str]
    messages: list[Wire]

    def trust(self) -> TrustStore:
        trust = TrustFile(pilots={})
        for pilot, seed in sorted(self.seeds.items()):
            trust = trust.add_key(pilot, Signer(seed).public_key, date(2026, 1, 1))  # type: ignore[arg-type]
        return TrustStore(trust)

    def wire(self) -> list[WireMessage]:
        return [WireMessage(s, d, dict(h)) for s, d, h in self.messages]

    def types(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for subject, _, _ in self.messages:
            kind = subject.rsplit(".", 1)[1]
            counts[kind] = counts.get(kind, 0) + 1
        return counts


def build(count: int, workers: int | None = None) -> Corpus:
    seeds = {pilot: generate_seed() for pilot in PILOTS}
    specs = plan(count)
    jobs = [(seeds, specs[i : i + CHUNK]) for i in range(0, len(specs), CHUNK)]
    workers = workers or min(2, os.cpu_count() or 1)
    if workers == 1 or len(jobs) == 1:
        chunks = list(map(_build, jobs))
    else:
        with ProcessPoolExecutor(workers) as pool:
            chunks = list(pool.map(_build, jobs))
    return Corpus(seeds, [m for chunk in chunks for m in chunk])


def corpus(count: int, *, cache: bool = True) -> Corpus:
    """The corpus of `count` events, from the cache when an earlier run built it."""
    path = RESULTS / f"corpus-v{GENERATOR_VERSION}-{count}.pickle"
    if cache and path.is_file():
        with path.open("rb") as f:
            loaded: Corpus = pickle.load(f)
        return loaded
    built = build(count)
    if cache:
        RESULTS.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(built, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    return built
