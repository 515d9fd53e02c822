"""The contracts' core: canonical bytes (checked against the reference RFC 8785 implementation), signing and
the trust file, the wire codec (reject, park, upcast), subjects, and the strategy's reference data."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, get_args

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ess_contracts import catalogue
from ess_contracts.canonical import NotCanonical, canonical_bytes, sha256_hex
from ess_contracts.codec import KEY, MSG_ID, SIGNATURE, VERSION, Rejected, WireMessage, decode, encode
from ess_contracts.event import Event, new_event_id
from ess_contracts.intake import ObjectiveCode, ProjectStage
from ess_contracts.ops import CheckpointRecorded, ProbeSent
from ess_contracts.reference import (
    AXES,
    DE_MINIMIS_CEILINGS,
    DEPARTMENTS,
    OBJECTIVES,
    PILOT_INFO,
    STAGE_OBJECTIVES,
    SUB_AXES,
    de_minimis_ceiling,
    objective,
    objectives_for,
)
from ess_contracts.signing import SignatureInvalid, Signer, TrustFile, TrustStore, generate_seed
from ess_contracts.subjects import (
    BadSubject,
    SubjectParts,
    parse_subject,
    pilot_prefix,
    project_filter,
)
from ess_contracts.types import PILOTS, Department, Pilot, format_timestamp
from tests.support.events import probe, qualified, submitted
from tests.support.pilots import Pilots

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EVENT_ID = "01950a2b-3c4d-7e5f-8a9b-0c1d2e3f4a5b"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
SAFE_INT = 2**53 - 1  # I-JSON's range, the domain of RFC 8785 numbers


def make_event(
    payload: Any,
    *,
    pilot: Pilot = "region",
    service: str = "ops",
    aggregate_id: str = "region-P1",
    occurred_at: Any = T0,
    event_id: str = EVENT_ID,
    version: int | None = None,
) -> Event:
    """An envelope with fixed id and time, so two builds of the same content compare byte for byte."""
    return Event.model_validate(
        {
            "id": event_id,
            "version": type(payload).VERSION if version is None else version,
            "pilot": pilot,
            "service": service,
            "aggregate": type(payload).AGGREGATE,
            "aggregate_id": aggregate_id,
            "sequence": 1,
            "occurred_at": occurred_at,
            "correlation_id": event_id,
            "payload": payload,
        }
    )


@pytest.fixture(scope="module")
def pilots() -> Pilots:
    return Pilots.generate()


# --- canonical form -----------------------------------------------------------------------------------------

keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,20}", fullmatch=True)
texts = st.text(max_size=40) | st.sampled_from(
    ["", "é", "e\u0301", "😀", "\x00\x1f\x7f", "\u2028\u2029", '"\\/']
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-SAFE_INT, SAFE_INT)
    | st.sampled_from([0, -1, SAFE_INT, -SAFE_INT, 10**15])
    | texts
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None, database=None)
@given(json_values)
def test_canonical_bytes_equal_rfc8785(value: Any) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


@settings(max_examples=50, deadline=None, database=None)
@given(st.dictionaries(keys, scalars, min_size=2, max_size=8))
def test_canonical_bytes_do_not_depend_on_key_insertion_order(value: dict[str, Any]) -> None:
    reversed_order = dict(reversed(list(value.items())))
    assert canonical_bytes(reversed_order) == canonical_bytes(value)


@pytest.mark.parametrize(
    "value",
    [1.5, 0.0, float("nan"), float("inf"), {"amount": 12.0}, [1, [2, {"x": -0.5}]], ("a", 1e3)],
)
def test_floats_are_refused(value: Any) -> None:
    with pytest.raises(NotCanonical):
        canonical_bytes(value)


@pytest.mark.parametrize("value", [2**53, -(2**53), 2**53 + 1, 10**20])
def test_integers_outside_the_safe_range_are_refused(value: int) -> None:
    with pytest.raises(NotCanonical):
        canonical_bytes(value)


def sample_events() -> Iterator[Event]:
    yield make_event(ProbeSent(note="sonde « été » 😀\t\x01"))
    yield make_event(submitted("Tiers-lieu « La Fabrique » à Saint-Nazaire"), service="intake")
    yield make_event(qualified(), service="intake", occurred_at=T0 + timedelta(microseconds=7))


@pytest.mark.parametrize("event", list(sample_events()), ids=lambda e: e.type)
def test_event_canonical_bytes_equal_rfc8785_of_its_json(event: Event) -> None:
    data = canonical_bytes(event)
    assert data == rfc8785.dumps(event.model_dump(mode="json"))
    assert Event.model_validate_json(data) == event
    assert canonical_bytes(Event.model_validate_json(data)) == data


def test_decomposed_and_composed_text_give_the_same_bytes() -> None:
    composed, decomposed = "Caf\u00e9 « été »", "Cafe\u0301 « e\u0301te\u0301 »"
    assert composed != decomposed
    a = make_event(ProbeSent(note=composed))
    b = make_event(ProbeSent(note=decomposed))
    assert canonical_bytes(a) == canonical_bytes(b)
    assert b.payload.note == composed  # type: ignore[union-attr]


def _occurred_at(event: Event) -> str:
    value = event.model_dump(mode="json")["occurred_at"]
    assert isinstance(value, str)
    return value


def test_timestamps_have_six_fractional_digits_and_z() -> None:
    assert _occurred_at(make_event(ProbeSent())) == "2026-03-01T09:00:00.000000Z"
    later = make_event(ProbeSent(), occurred_at=T0 + timedelta(microseconds=5))
    assert _occurred_at(later) == "2026-03-01T09:00:00.000005Z"
    assert b'"occurred_at":"2026-03-01T09:00:00.000005Z"' in canonical_bytes(later)


def test_other_time_zones_are_converted_to_utc() -> None:
    paris_summer = datetime(2026, 7, 1, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    event = make_event(ProbeSent(), occurred_at=paris_summer)
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert _occurred_at(event) == "2026-07-01T09:30:00.000000Z"
    from_text = make_event(ProbeSent(), occurred_at="2026-07-01T11:30:00+02:00")
    assert canonical_bytes(from_text) == canonical_bytes(event)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        make_event(ProbeSent(), occurred_at=datetime(2026, 3, 1, 9, 0))


def test_naive_timestamp_strings_are_refused() -> None:
    with pytest.raises(ValidationError):
        make_event(ProbeSent(), occurred_at="2026-03-01T09:00:00")


tz_offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@settings(deadline=None, database=None)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=tz_offsets))
def test_any_aware_datetime_serialises_to_the_same_utc_instant(moment: datetime) -> None:
    event = make_event(ProbeSent(), occurred_at=moment)
    text = _occurred_at(event)
    assert TIMESTAMP.match(text)
    assert text == format_timestamp(moment)
    assert datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) == moment
    assert Event.model_validate_json(canonical_bytes(event)) == event


# --- signing and the trust file -----------------------------------------------------------------------------


def trust_of(keys: dict[Pilot, Signer], on: date = date(2026, 1, 1)) -> TrustFile:
    trust = TrustFile(pilots={})
    for pilot, signer in keys.items():
        trust = trust.add_key(pilot, signer.public_key, on)
    return trust


@pytest.fixture(scope="module")
def signers() -> dict[Pilot, Signer]:
    return {pilot: Signer(generate_seed()) for pilot in PILOTS}


def test_sign_verify_round_trip(signers: dict[Pilot, Signer]) -> None:
    store = TrustStore(trust_of(signers))
    data = canonical_bytes(make_event(ProbeSent(note="bonjour")))
    for pilot, signer in signers.items():
        assert signer.public_key.startswith("A")
        store.verify(pilot, signer.public_key, data, signer.sign(data))


def test_a_flipped_byte_fails(signers: dict[Pilot, Signer]) -> None:
    store = TrustStore(trust_of(signers))
    signer = signers["region"]
    data = canonical_bytes(make_event(ProbeSent(note="bonjour")))
    signature = signer.sign(data)
    for index in (0, len(data) // 2, len(data) - 1):
        flipped = bytearray(data)
        flipped[index] ^= 0x01
        with pytest.raises(SignatureInvalid, match="does not match"):
            store.verify("region", signer.public_key, bytes(flipped), signature)
    raw = bytearray(signer.sign(data).encode())
    raw[10] = ord("A") if raw[10] != ord("A") else ord("B")
    with pytest.raises(SignatureInvalid):
        store.verify("region", signer.public_key, data, raw.decode())


def test_a_key_of_another_pilot_fails_naming_both(signers: dict[Pilot, Signer]) -> None:
    store = TrustStore(trust_of(signers))
    data = b'{"a":1}'
    state = signers["state"]
    with pytest.raises(SignatureInvalid) as error:
        store.verify("region", state.public_key, data, state.sign(data))
    assert "'state'" in str(error.value)
    assert "'region'" in str(error.value)


def test_an_unknown_key_fails(signers: dict[Pilot, Signer]) -> None:
    store = TrustStore(trust_of(signers))
    stranger = Signer(generate_seed())
    data = b'{"a":1}'
    with pytest.raises(SignatureInvalid, match="not in the trust file"):
        store.verify("region", stranger.public_key, data, stranger.sign(data))


def test_rotation_keeps_old_signatures_valid_and_changes_the_digest(signers: dict[Pilot, Signer]) -> None:
    before = trust_of(signers)
    old, new = signers["region"], Signer(generate_seed())
    data = canonical_bytes(make_event(ProbeSent(note="avant la rotation")))
    old_signature = old.sign(data)

    after = before.add_key("region", new.public_key, date(2027, 1, 1))

    history = after.pilots["region"]
    assert [k.key for k in history] == [old.public_key, new.public_key]
    assert history[0].retired == date(2027, 1, 1)
    assert history[1].retired is None and history[1].added == date(2027, 1, 1)
    assert after.pilots["state"] == before.pilots["state"]
    assert before.pilots["region"][0].retired is None  # the earlier trust file is unchanged
    assert after.digest() != before.digest()

    store = TrustStore(after)
    assert store.digest == after.digest()
    store.verify("region", old.public_key, data, old_signature)
    store.verify("region", new.public_key, data, new.sign(data))

    again = after.add_key("region", Signer(generate_seed()).public_key, date(2028, 1, 1))
    assert [k.retired for k in again.pilots["region"]] == [date(2027, 1, 1), date(2028, 1, 1), None]


def test_trust_file_save_load_round_trip(signers: dict[Pilot, Signer], tmp_path: Path) -> None:
    trust = trust_of(signers).add_key("bdt", Signer(generate_seed()).public_key, date(2027, 6, 1))
    path = tmp_path / "trust.json"
    trust.save(path)
    loaded = TrustFile.load(path)
    assert loaded == trust
    assert loaded.digest() == trust.digest()
    assert trust.digest() == sha256_hex(rfc8785.dumps(trust.model_dump(mode="json", exclude={"encryption"})))


# --- codec --------------------------------------------------------------------------------------------------


def test_encode_decode_round_trip(pilots: Pilots) -> None:
    for event in (*sample_events(), probe("probe-1")):
        message = encode(event, pilots.signers[event.pilot])
        assert message.subject == event.subject
        assert message.headers[MSG_ID] == event.id
        assert message.headers[VERSION] == str(event.version)
        assert message.data == canonical_bytes(event)
        assert decode(message.subject, message.data, message.headers, pilots.trust) == event


def _rejected(pilots: Pilots, subject: str, data: bytes, headers: dict[str, str] | None) -> Rejected:
    with pytest.raises(Rejected) as error:
        decode(subject, data, headers, pilots.trust)
    return error.value


@pytest.mark.parametrize(
    "subject",
    [
        "ess.region.intake.project.region-P2.project_submitted",  # another aggregate id
        "ess.region.funding.project.region-P1.project_submitted",  # another service
        "ess.region.intake.network.region-P1.project_submitted",  # another aggregate
        "ess.region.intake.project.region-P1.project_corrected",  # another (known) type, same version
    ],
)
def test_a_subject_that_disagrees_with_the_envelope_is_rejected(pilots: Pilots, subject: str) -> None:
    message = encode(make_event(submitted(), service="intake"), pilots.signers["region"])
    assert message.subject == "ess.region.intake.project.region-P1.project_submitted"
    rejected = _rejected(pilots, subject, message.data, message.headers)
    assert rejected.park is False
    assert "does not match the envelope" in rejected.reason


def test_a_subject_of_another_pilot_fails_the_signature(pilots: Pilots) -> None:
    message = encode(make_event(submitted(), service="intake"), pilots.signers["region"])
    subject = message.subject.replace("ess.region.", "ess.state.")
    rejected = _rejected(pilots, subject, message.data, message.headers)
    assert rejected.park is False
    assert "bad signature" in rejected.reason and "'region'" in rejected.reason


@pytest.mark.parametrize("drop", [KEY, SIGNATURE, "all"])
def test_missing_signature_headers_are_rejected(pilots: Pilots, drop: str) -> None:
    message = encode(probe("probe-1"), pilots.signers["region"])
    headers = None if drop == "all" else {k: v for k, v in message.headers.items() if k != drop}
    rejected = _rejected(pilots, message.subject, message.data, headers)
    assert rejected.park is False
    assert "unsigned" in rejected.reason


def test_a_flipped_byte_on_the_wire_is_rejected(pilots: Pilots) -> None:
    message = encode(probe("probe-1"), pilots.signers["region"])
    data = message.data.replace(b'"sequence":1', b'"sequence":2')
    assert data != message.data
    rejected = _rejected(pilots, message.subject, data, message.headers)
    assert rejected.park is False and "bad signature" in rejected.reason


@pytest.mark.parametrize("subject", ["ess.region.ops.probe", "nats.region.ops.probe.p.probe_sent", ""])
def test_a_malformed_subject_is_rejected(pilots: Pilots, subject: str) -> None:
    message = encode(probe("probe-1"), pilots.signers["region"])
    assert _rejected(pilots, subject, message.data, message.headers).park is False


def test_an_unknown_type_is_parked(pilots: Pilots) -> None:
    message = encode(probe("probe-1"), pilots.signers["region"])
    subject = message.subject.rsplit(".", 1)[0] + ".probe_teleported"
    rejected = _rejected(pilots, subject, message.data, message.headers)
    assert rejected.park is True
    assert "probe_teleported" in rejected.reason


def test_a_newer_version_is_parked(pilots: Pilots) -> None:
    message = encode(probe("probe-1"), pilots.signers["region"])
    rejected = _rejected(pilots, message.subject, message.data, {**message.headers, VERSION: "2"})
    assert rejected.park is True
    assert "newer" in rejected.reason


@pytest.mark.parametrize("version", ["", "one", "-1"])
def test_a_missing_or_bad_version_header_is_rejected(pilots: Pilots, version: str) -> None:
    message = encode(probe("probe-1"), pilots.signers["region"])
    headers = {k: v for k, v in message.headers.items() if k != VERSION}
    if version:
        headers[VERSION] = version
    assert _rejected(pilots, message.subject, message.data, headers).park is False


def signed_version_1_probe(pilots: Pilots, payload: dict[str, Any]) -> WireMessage:
    """A probe as a version 1 issuer wrote it: the raw envelope, signed over its canonical bytes."""
    raw = make_event(ProbeSent()).model_dump(mode="json")
    raw["version"] = 1
    raw["payload"] = payload
    data = canonical_bytes(raw)
    signer = pilots.signers["region"]
    headers = {MSG_ID: raw["id"], KEY: signer.public_key, SIGNATURE: signer.sign(data), VERSION: "1"}
    return WireMessage("ess.region.ops.probe.region-P1.probe_sent", data, headers)


@pytest.fixture
def probe_at_version_3(monkeypatch: pytest.MonkeyPatch) -> None:
    """ProbeSent as if it had gone through two schema changes: v1 `memo` -> v2 `text` -> v3 `note` + "!"."""

    def v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
        rest = {k: v for k, v in payload.items() if k != "memo"}
        return {**rest, "text": payload["memo"]}

    def v2_to_v3(payload: dict[str, Any]) -> dict[str, Any]:
        rest = {k: v for k, v in payload.items() if k != "text"}
        return {**rest, "note": payload["text"] + "!"}

    monkeypatch.setattr(ProbeSent, "VERSION", 3)
    monkeypatch.setitem(catalogue.UPCASTERS, ("probe_sent", 1), v1_to_v2)
    monkeypatch.setitem(catalogue.UPCASTERS, ("probe_sent", 2), v2_to_v3)


@pytest.mark.usefixtures("probe_at_version_3")
def test_an_older_version_is_upcast_after_the_signature_check(pilots: Pilots) -> None:
    message = signed_version_1_probe(pilots, {"type": "probe_sent", "memo": "bonjour"})
    event = decode(message.subject, message.data, message.headers, pilots.trust)
    assert event.version == 3
    assert event.payload == ProbeSent(note="bonjour!")
    assert catalogue.upcast("probe_sent", 2, {"type": "probe_sent", "text": "x"}) == {
        "type": "probe_sent",
        "note": "x!",
    }

    # the signature covers the bytes as received, before upcasting: tampering still fails
    tampered = message.data.replace(b"bonjour", b"bonsoir")
    rejected = _rejected(pilots, message.subject, tampered, message.headers)
    assert "bad signature" in rejected.reason


@pytest.mark.usefixtures("probe_at_version_3")
def test_a_version_header_that_disagrees_with_the_envelope_is_rejected(pilots: Pilots) -> None:
    message = signed_version_1_probe(pilots, {"type": "probe_sent", "memo": "bonjour"})
    rejected = _rejected(pilots, message.subject, message.data, {**message.headers, VERSION: "2"})
    assert rejected.park is False
    assert "envelope version=1" in rejected.reason


def test_upcasting_is_needed_for_an_old_payload(pilots: Pilots, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the upcasters the old payload cannot be read: it is parked until an upgrade brings them."""
    monkeypatch.setattr(ProbeSent, "VERSION", 3)
    message = signed_version_1_probe(pilots, {"type": "probe_sent", "memo": "bonjour"})
    rejected = _rejected(pilots, message.subject, message.data, message.headers)
    assert rejected.park is True
    assert "no upcaster for probe_sent" in rejected.reason


def test_a_checkpoint_from_a_version_1_service_reads_without_an_own_view_digest(pilots: Pilots) -> None:
    """checkpoint_recorded went to version 2 (own_view_digest); a service not yet upgraded still speaks 1."""
    figures = {
        "type": "checkpoint_recorded",
        "reporting_service": "region-funding",
        "stream_sequence": 7,
        "applied_events": 7,
        "view_digest": "a" * 64,
        "parked": 0,
        "dead_letters": 0,
        "catalogue_version": "v1",
        "trust_hash": "b" * 64,
    }
    current = CheckpointRecorded(**{k: v for k, v in figures.items() if k != "type"})
    raw = make_event(current, service="funding", aggregate_id="funding").model_dump(mode="json")
    raw |= {"version": 1, "payload": figures}
    data = canonical_bytes(raw)
    signer = pilots.signers["region"]
    headers = {MSG_ID: raw["id"], KEY: signer.public_key, SIGNATURE: signer.sign(data), VERSION: "1"}
    subject = "ess.region.funding.checkpoint.funding.checkpoint_recorded"
    event = decode(subject, data, headers, pilots.trust)
    assert event.version == 3 and isinstance(event.payload, CheckpointRecorded)
    assert event.payload.own_view_digest is None and event.payload.view_digest == "a" * 64
    assert event.payload.bookkeeping_digest is None and event.payload.agreed_position is False


def test_the_current_version_needs_no_upcaster(pilots: Pilots) -> None:
    assert catalogue.upcast("probe_sent", 1, {"type": "probe_sent"}) == {"type": "probe_sent"}
    assert catalogue.current_version("probe_sent") == 1
    assert catalogue.current_version("probe_teleported") is None


# --- subjects -----------------------------------------------------------------------------------------------

tokens = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)


@settings(deadline=None, database=None)
@given(st.sampled_from(PILOTS), tokens, tokens, tokens, tokens)
def test_parse_subject_round_trip(pilot: str, service: str, aggregate: str, ident: str, kind: str) -> None:
    subject = f"ess.{pilot}.{service}.{aggregate}.{ident}.{kind}"
    parts = parse_subject(subject)
    assert parts == SubjectParts(pilot, service, aggregate, ident, kind)
    assert "ess." + ".".join(parts) == subject


def test_an_event_subject_parses_to_its_envelope() -> None:
    for event in sample_events():
        parts = parse_subject(event.subject)
        assert tuple(parts) == (event.pilot, event.service, event.aggregate, event.aggregate_id, event.type)


@pytest.mark.parametrize(
    "subject",
    [
        "",
        "ess",
        "ess.region.intake.project.P1",
        "ess.region.intake.project.P1.project_submitted.extra",
        "ess.region.intake.project.P.1.project_submitted",
        "xss.region.intake.project.P1.project_submitted",
        "region.intake.project.P1.project_submitted.x",
    ],
)
def test_parse_subject_rejects_wrong_shapes(subject: str) -> None:
    with pytest.raises(BadSubject):
        parse_subject(subject)


def test_subject_filters() -> None:
    assert pilot_prefix("bdt") == "ess.bdt.>"
    assert project_filter("P1") == "ess.*.*.project.P1.*"


# --- reference data -----------------------------------------------------------------------------------------


def test_fourteen_objectives_in_order() -> None:
    assert [o.code for o in OBJECTIVES] == [f"O{n}" for n in range(1, 15)]
    assert tuple(o.code for o in OBJECTIVES) == get_args(ObjectiveCode)
    assert [o.number for o in OBJECTIVES] == list(range(1, 15))
    assert len({o.title for o in OBJECTIVES}) == 14


def test_published_titles() -> None:
    assert objective("O10").title == 'Garantir l\'articulation des financements et une vision "projet"'
    assert objective("O11").title == (
        "Assurer une gouvernance partenariale afin d'évaluer les actions mises en œuvre"
    )
    assert "« classique »" in objective("O7").title
    assert objective("O1").title == (
        "Accompagner l'entrepreneuriat (création/reprise) dans l'ESS vers des modèles pérennes"
    )
    for o in OBJECTIVES:
        assert o.title == o.title.strip() and "  " not in o.title
        assert "’" not in o.title  # the published titles use the straight apostrophe


def test_unknown_objective() -> None:
    with pytest.raises(KeyError, match="O15"):
        objective("O15")


def test_axes_and_sub_axes() -> None:
    assert [a.code for a in AXES] == ["1", "2"]
    assert AXES[0].title == "Accompagner l'émergence et la pérennité des projets économiques de l'ESS"
    assert AXES[1].title == "Créer un réseau d'accompagnement maillé élargi en soutien des projets"
    assert [s.code for s in SUB_AXES] == ["1.1", "1.2", "2.1", "2.2"]
    assert all(s.code.startswith(s.axis + ".") for s in SUB_AXES)
    by_sub_axis = {s.code: [o.code for o in OBJECTIVES if o.sub_axis == s.code] for s in SUB_AXES}
    assert by_sub_axis == {
        "1.1": ["O1", "O2", "O3", "O4", "O5"],
        "1.2": ["O6", "O7", "O8", "O9"],
        "2.1": ["O10", "O11", "O12"],
        "2.2": ["O13", "O14"],
    }
    assert all(o.axis == o.sub_axis[0] for o in OBJECTIVES)


def test_pilots_and_departments() -> None:
    assert len(PILOT_INFO) == 3
    assert tuple(p.code for p in PILOT_INFO) == PILOTS
    assert {p.code: p.name for p in PILOT_INFO} == {
        "region": "Région des Pays de la Loire",
        "state": "État (DREETS, DRAJES)",
        "bdt": "Banque des Territoires (Caisse des Dépôts)",
    }
    assert len(DEPARTMENTS) == 5
    assert tuple(d.code for d in DEPARTMENTS) == get_args(Department)
    assert {d.code: d.name for d in DEPARTMENTS} == {
        "44": "Loire-Atlantique",
        "49": "Maine-et-Loire",
        "53": "Mayenne",
        "72": "Sarthe",
        "85": "Vendée",
    }


def test_stage_mapping() -> None:
    assert set(STAGE_OBJECTIVES) == set(get_args(ProjectStage))
    assert dict(STAGE_OBJECTIVES) == {
        "creation_or_takeover": "O1",
        "development_or_scale_up": "O2",
        "consolidation": "O3",
        "social_innovation": "O4",
        "collective_project": "O5",
    }
    assert objectives_for("creation_or_takeover", third_place=False, epci=False) == ("O1",)
    assert objectives_for("creation_or_takeover", third_place=True, epci=False) == ("O1", "O14")
    assert objectives_for("consolidation", third_place=False, epci=True) == ("O3", "O13")
    assert objectives_for("collective_project", third_place=True, epci=True) == ("O5", "O13", "O14")


def test_the_reference_data_is_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        OBJECTIVES[0].title = "autre"  # type: ignore[misc]
    with pytest.raises(TypeError):
        STAGE_OBJECTIVES["consolidation"] = "O1"  # type: ignore[index]


def test_de_minimis_ceilings() -> None:
    table = {(c.regulation, c.scope): c.ceiling_cents for c in DE_MINIMIS_CEILINGS}
    assert table == {
        ("(EU) 1407/2013", "general"): 200_000_00,
        ("(EU) 2023/2831", "general"): 300_000_00,
        ("(EU) 360/2012", "sgei"): 500_000_00,
        ("(EU) 2023/2832", "sgei"): 750_000_00,
    }
    assert all(isinstance(c.ceiling_cents, int) for c in DE_MINIMIS_CEILINGS)
    assert de_minimis_ceiling("general", date(2023, 12, 31)).regulation == "(EU) 1407/2013"
    assert de_minimis_ceiling("general", date(2024, 1, 1)).regulation == "(EU) 2023/2831"
    assert de_minimis_ceiling("sgei", date(2020, 6, 1)).regulation == "(EU) 360/2012"
    assert de_minimis_ceiling("sgei", date(2024, 1, 1)).regulation == "(EU) 2023/2832"
    assert de_minimis_ceiling("general", date(2023, 1, 1)).window == "current and two previous fiscal years"


def test_reference_and_contracts_import_in_either_order() -> None:
    """The contracts import `ess_contracts.reference`: the reference must not import them at run time."""
    for first, then in (
        ("ess_contracts.reference", "ess_contracts.event"),
        ("ess_contracts.event", "ess_contracts.reference"),
    ):
        code = f"import {first}, {then}; "
        code += "import ess_contracts.reference.strategy as s; print(len(s.OBJECTIVES))"
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "14"


def test_event_ids_match_the_envelope_pattern() -> None:
    assert make_event(ProbeSent(), event_id=new_event_id()).id != EVENT_ID
    assert json.loads(canonical_bytes(make_event(ProbeSent())))["id"] == EVENT_ID
