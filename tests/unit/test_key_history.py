"""A signing key's end, judged on its own: what a retired or revoked key signed is found from its
successor's statement by the journal chain, whatever the order the messages come in, and nothing a
stolen copy signs later (past the mark, or with a number the service had used) is ever accepted."""

from __future__ import annotations

import random
from datetime import date

import pytest

from ess_contracts.codec import Rejected, WireMessage, decode, encode, encode_journal
from ess_contracts.key_history import JournalMark, KeyEnd, event_hash
from ess_contracts.signing import (
    SignatureInvalid,
    Signer,
    TrustFile,
    TrustStore,
    generate_seed,
    sign_statement,
)
from tests.support import events as ev

OLD, NEW = Signer(generate_seed()), Signer(generate_seed())
ON = date(2026, 6, 1)


def genuine(count: int) -> list[WireMessage]:
    """`count` events of region's intake, journal 1 to `count`, signed with the old key."""
    events = [
        ev.event(ev.submitted(f"Projet {n}"), "region", "intake", f"region-p{n}", 1) for n in range(count)
    ]
    return [wire for _, wire in encode_journal(events, OLD, 0, None)]


def ended(messages: list[WireMessage], reason: str = "retired") -> KeyEnd:
    mark = JournalMark(first=1, last=len(messages), head=event_hash(messages[-1].data))
    statement = KeyEnd(
        pilot="region",
        key=OLD.public_key,
        reason=reason,
        on=ON,
        journals={"intake": mark},
        successor=NEW.public_key,
    )  # type: ignore[arg-type]
    return sign_statement(statement, NEW)


def trust_after(statement: KeyEnd) -> TrustStore:
    return TrustStore(
        TrustFile(pilots={}).add_key("region", OLD.public_key, date(2026, 1, 1)).end_key(statement)
    )


def stolen(journal: int, previous: str | None) -> WireMessage:
    """What a thief holding the old key signs: a project of its own, numbered as it likes."""
    forged = ev.event(ev.submitted("Projet volé"), "region", "intake", "region-stolen", 1)
    return encode(forged.model_copy(update={"journal": journal, "previous": previous}), OLD)


def ev_id(message: WireMessage) -> str:
    return message.headers["Nats-Msg-Id"]


def verdict(trust: TrustStore, message: WireMessage) -> str:
    try:
        decode(message.subject, message.data, message.headers, trust)
    except Rejected as rejected:
        return "parked" if rejected.park else f"dead: {rejected.reason}"
    return "applied"


def test_an_ended_key_keeps_exactly_what_its_successor_vouched_for_in_any_order() -> None:
    messages = genuine(6)
    statement = ended(messages)
    forgeries = [
        stolen(7, event_hash(messages[-1].data)),  # past the mark, chained to the real head
        stolen(3, event_hash(messages[1].data)),  # a number the service used, chained as the genuine one
        stolen(1, None),
    ]
    for seed in range(5):
        trust = trust_after(statement)
        arrived = [*messages, *forgeries]
        random.Random(seed).shuffle(arrived)
        assert trust.history.resolve((m.data, m.headers) for m in arrived) == []
        verdicts = [verdict(trust, m) for m in arrived]
        assert sorted(v for v, m in zip(verdicts, arrived, strict=True) if m in messages) == ["applied"] * 6
        refused = [v for v, m in zip(verdicts, arrived, strict=True) if m in forgeries]
        assert len(refused) == 3 and all(v.startswith("dead: ") for v in refused), refused
        assert trust.history.refused_ids == {ev_id(m) for m in forgeries}
    assert "after its last vouched journal" in verdict(trust, forgeries[0])
    assert "is another event" in verdict(trust, forgeries[1])


def test_before_its_chain_is_read_an_ended_keys_event_waits_and_nothing_under_it_is_applied() -> None:
    messages = genuine(3)
    trust = trust_after(ended(messages))
    assert [verdict(trust, m) for m in messages] == ["parked"] * 3
    missing = trust.history.resolve((m.data, m.headers) for m in messages[1:])  # the first not yet here
    assert missing and "journal 1 to 1 not found" in missing[0]
    assert [verdict(trust, m) for m in messages] == ["parked", "applied", "applied"]


def test_an_event_without_a_journal_or_of_a_service_the_end_does_not_name_is_refused() -> None:
    messages = genuine(2)
    trust = trust_after(ended(messages, reason="revoked"))
    trust.history.resolve((m.data, m.headers) for m in messages)
    unnumbered = encode(ev.event(ev.submitted(), "region", "intake", "region-x", 1), OLD)
    assert "has no journal number" in verdict(trust, unnumbered)
    decision = ev.event(ev.decided("d1", 100_00), "region", "funding", "region-p0", 1)
    other_service = encode(decision.model_copy(update={"journal": 1}), OLD)
    assert "revoked on 2026-06-01" in verdict(trust, other_service)
    assert "signed nothing of region.funding" in verdict(trust, other_service)


def test_the_new_key_speaks_freely_and_the_chain_goes_on_across_the_rotation() -> None:
    messages = genuine(2)
    trust = trust_after(ended(messages))
    trust.history.resolve((m.data, m.headers) for m in messages)
    after = ev.event(ev.withdrawn(), "region", "intake", "region-p0", 2)
    ((event, wire),) = encode_journal([after], NEW, 2, event_hash(messages[-1].data))
    assert (event.journal, verdict(trust, wire)) == (3, "applied")


def test_only_the_successor_can_end_a_key_and_a_mark_edited_afterwards_is_refused() -> None:
    messages = genuine(2)
    statement = ended(messages)
    by_thief = statement.model_copy(update={"successor": OLD.public_key})
    with pytest.raises(SignatureInvalid, match="another key"):
        trust_after(by_thief)
    widened = statement.model_copy(
        update={"journals": {"intake": JournalMark(first=1, last=99, head=statement.journals["intake"].head)}}
    )
    with pytest.raises(SignatureInvalid, match="not signed by its successor"):
        trust_after(widened)
    trust = TrustFile(pilots={}).add_key("region", OLD.public_key, ON).end_key(statement)
    with pytest.raises(SignatureInvalid, match="not signed by its successor"):
        TrustStore(TrustFile.model_validate(_with_end(trust, widened)))  # edited by hand afterwards


def _with_end(trust: TrustFile, end: KeyEnd) -> dict[str, object]:
    raw = trust.model_dump(mode="json")
    raw["pilots"]["region"][0]["ended"] = end.model_dump(mode="json")
    return raw
