"""The permissions every deployment is written with (`ess up`'s loopback broker and the federated nodes'
configs both come from `ess_core.security.permissions.users`): no identity but the operator may send the
consumer-create request that names the consumer in its body, by name or through a wildcard."""

from __future__ import annotations

import json
import re

from ess_contracts.types import PILOTS
from ess_core.security.identities import OBSERVER, OPERATOR, NatsUsers, generate_user_seed, user_public_key
from ess_core.security.permissions import authorization_block, users

NAME_IN_BODY = "$JS.API.CONSUMER.CREATE.ESS"


def grants(pattern: str, subject: str) -> bool:
    """Whether a NATS subject pattern (`*` one token, `>` the rest) matches `subject`."""
    tokens, wanted = pattern.split("."), subject.split(".")
    for index, token in enumerate(tokens):
        if token == ">":
            return len(wanted) > index
        if index >= len(wanted) or token not in ("*", wanted[index]):
            return False
    return len(tokens) == len(wanted)


def settings() -> NatsUsers:
    found = NatsUsers()
    for identity in (OPERATOR, OBSERVER, *PILOTS):
        found = found.with_key(identity, user_public_key(generate_user_seed()))
    return found


def test_only_the_operator_may_create_a_consumer_named_in_the_body() -> None:
    keys = settings()
    entries = users(keys)
    operator_keys = set(keys.active(OPERATOR))
    for entry in entries:
        allowed = entry["permissions"]["publish"]["allow"]
        may = any(grants(pattern, NAME_IN_BODY) for pattern in allowed)
        assert may == (entry["nkey"] in operator_keys), (entry["nkey"][:8], allowed)


def test_the_observer_has_its_own_key_and_may_create_no_consumer() -> None:
    keys = settings()
    block = authorization_block(keys)
    entries = [json.loads(line.strip().rstrip(",")) for line in block.splitlines() if '"nkey":' in line]
    [observer] = [e for e in entries if e["nkey"] in keys.active(OBSERVER)]
    allowed = observer["permissions"]["publish"]["allow"]
    assert not [p for p in allowed if re.search(r"CONSUMER|\$JS\.API\.>|^>$", p)], allowed
    assert observer["permissions"]["subscribe"]["allow"] == ["_INBOX_observer.>"]
    assert "no_auth_user" not in block and '"user":' not in block and "password" not in block


def test_the_pattern_matcher_reads_wildcards_as_nats_does() -> None:
    assert grants("$JS.API.>", NAME_IN_BODY) and grants("$JS.API.CONSUMER.*.ESS", NAME_IN_BODY)
    assert not grants("$JS.API.CONSUMER.CREATE.ESS.region-funding", NAME_IN_BODY)
    assert not grants("$JS.API.CONSUMER.CREATE.ESS.>", NAME_IN_BODY)
