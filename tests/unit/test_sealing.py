"""Sealed free text (ess_contracts.sealing): a box opens only with its data key, for its project and
field; a data key copy opens only with its recipient's private key; a v1 title sent in clear is upcast as
`unsealed` and nothing current may claim that; encryption keys leave the trust digest alone."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from ess_contracts.authority import refusal
from ess_contracts.canonical import canonical_bytes
from ess_contracts.codec import KEY, MSG_ID, SIGNATURE, VERSION, WireMessage, decode
from ess_contracts.intake import TITLE_FIELD, ProjectSubmitted
from ess_contracts.privacy import DataKeyDestroyed
from ess_contracts.sealing import (
    UNSEALED,
    CannotOpen,
    Sealed,
    context_of,
    generate_private_key,
    new_data_key,
    new_key_id,
    open_box,
    open_data_key,
    private_key,
    public_key_text,
    read_unsealed,
    seal,
    seal_data_key,
)
from ess_contracts.signing import TrustFile
from ess_core.messaging.db import make_engine
from ess_core.messaging.schema import data_key
from ess_core.privacy.data_keys import Sealer
from ess_core.privacy.keyring import ERASED, Keyring
from tests.support.events import event, submitted
from tests.support.pilots import Pilots

TEXT = "Épicerie de Jeanne Dupont, jeanne.dupont@example.org, 06 12 34 56 78"


def test_a_box_opens_with_its_key_for_its_project_and_field_only() -> None:
    key_id, secret = new_key_id("region"), new_data_key()
    box = seal(key_id, secret, TEXT, context_of("region-p1", TITLE_FIELD))
    assert TEXT.encode() not in box.box.encode() and "Dupont" not in box.model_dump_json()
    assert open_box(box, secret, context_of("region-p1", TITLE_FIELD)) == TEXT
    assert box.owner == "region"
    for secret_, context in (
        (new_data_key(), context_of("region-p1", TITLE_FIELD)),  # another key
        (secret, context_of("region-p2", TITLE_FIELD)),  # moved to another project
        (secret, context_of("region-p1", "remark")),  # moved to another field
    ):
        with pytest.raises(CannotOpen):
            open_box(box, secret_, context)
    tampered = box.model_copy(
        update={"box": box.box[:-2] + ("A" if box.box[-2] != "A" else "B") + box.box[-1]}
    )
    with pytest.raises(CannotOpen):
        open_box(tampered, secret, context_of("region-p1", TITLE_FIELD))


def test_a_data_key_copy_opens_with_its_recipients_private_key_only() -> None:
    state, bdt = private_key(generate_private_key()), private_key(generate_private_key())
    secret = new_data_key()
    copy = seal_data_key(secret, public_key_text(state))
    assert open_data_key(copy, state) == secret
    with pytest.raises(CannotOpen):
        open_data_key(copy, bdt)


def test_nothing_current_travels_unsealed() -> None:
    with pytest.raises(ValidationError, match="free text travels sealed"):
        Sealed(key=UNSEALED, box="")
    with pytest.raises(ValidationError):
        Sealed.model_validate({"key": "someone-else", "box": "AAAA"})


def test_a_title_sent_in_clear_before_v4_is_upcast_as_unsealed() -> None:
    """A version 1 project_submitted carried its title in clear: it still decodes, its title marked
    `unsealed` (shown as sent, never erasable), and a version 2 event may not claim the same."""
    pilots = Pilots.generate()
    current = event(submitted(), "region", "intake", "region-p1", 1)
    raw = current.model_dump(mode="json")
    raw["version"] = 1
    raw["payload"]["project"]["title"] = TEXT
    data = canonical_bytes(raw)
    signer = pilots.signers["region"]
    headers = {MSG_ID: raw["id"], KEY: signer.public_key, SIGNATURE: signer.sign(data), VERSION: "1"}
    message = WireMessage(current.subject, data, headers)
    decoded = decode(message.subject, message.data, message.headers, pilots.trust)
    assert isinstance(decoded.payload, ProjectSubmitted)
    title = decoded.payload.project.title
    assert title.key == UNSEALED and not title.erasable and read_unsealed(title) == TEXT


def test_encryption_keys_leave_the_trust_digest_alone() -> None:
    trust = TrustFile(pilots={})
    public = public_key_text(private_key(generate_private_key()))
    with_key = trust.add_encryption_key("state", public, date(2026, 12, 3))
    assert with_key.digest() == trust.digest()
    assert with_key.encryption_key("state") == public and with_key.encryption_key("bdt") is None
    rotated = with_key.add_encryption_key(
        "state", public_key_text(private_key(generate_private_key())), date.today()
    )
    assert rotated.encryption_key("state") != public
    assert [k.retired is not None for k in rotated.encryption["state"]] == [True, False]


def test_only_a_keys_author_destroys_it() -> None:
    """A pilot announcing the destruction of another pilot's key is refused by every fold."""
    region_key = new_key_id("region")
    destroyed = DataKeyDestroyed(
        key=region_key, field=TITLE_FIELD, destroyed_on=date(2026, 12, 3), reason="retention"
    )
    assert refusal(event(destroyed, "region", "intake", "region-p1", 3)) is None
    forged = refusal(event(destroyed, "state", "funding", "region-p1", 1))
    assert forged is not None and forged.startswith(f"not the owner of data key {region_key}")


async def test_a_keyring_never_opens_a_destroyed_key_again(tmp_path: Path) -> None:
    """Once the view says a key was destroyed, the copy a process still holds in memory opens nothing."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(data_key.metadata.create_all, tables=[data_key])
        box = await Sealer("region").seal(conn, "region-p1", TITLE_FIELD, TEXT)
    keyring = Keyring("region", engine, None, None)
    assert await keyring.open(box, "region-p1", TITLE_FIELD) == TEXT  # and now held in memory
    keyring.learn_erased(frozenset({box.key}))
    assert await keyring.open(box, "region-p1", TITLE_FIELD) is None
    assert await keyring.text(box, "region-p1", TITLE_FIELD) == ERASED
    await engine.dispose()
