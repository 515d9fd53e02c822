"""The nats-server `authorization { users = [...] }` block, written from the shared settings of public
NATS user keys (`nats-users.json`). Every subject below was checked against nats-server 2.15.1
(tests/security/test_permissions.py); what they allow:

- a **pilot** publishes events only under `ess.<pilot>.>`; it may create, inspect, pull from, ack and
  delete (for `ess view rebuild`) only its own durable consumers on `ESS`, named `<pilot>-<service>`,
  through the consumer API subjects that name the consumer; it reads stream info and messages by get and
  direct get (`ess view digest`, `ess project show`, `ess tail`: `ess_core/messaging/reader.py`); its
  replies come to `_INBOX_<pilot>.>` and nobody else may subscribe there. In the key store bucket
  (`ess_core.privacy.key_store`) it writes and purges only the copies of its own data keys
  (`$KV.ESS_KEYS.<pilot>.>`) and reads by direct get only the copies sealed to it. No pilot (nor the
  observer) uses `$JS.API.CONSUMER.CREATE.ESS`, the subject that takes the consumer's name in the
  request body: whoever may send it can create or rewrite any consumer of the stream, another pilot's
  included;
- the **operator** alone may create, update or delete streams (every `$JS.API` subject), and publishes
  no event;
- the **observer** logs in with its own generated seed (`ess up` writes it beside the pilots'; a
  federation may give one to a monitoring host), reads like a pilot through direct get, replies to its
  own `_INBOX_observer.>`, and may neither publish an event nor create or touch any consumer: its
  readers need none. Nobody logs in without a key (no `no_auth_user`).

NATS wildcards match whole tokens: `$JS.API.CONSUMER.INFO.ESS.region-*` does *not* match
`region-intake` (the test proves it), so each pilot's consumers are listed by name, one per service.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from ess_contracts.subjects import STREAM, pilot_prefix
from ess_contracts.types import PILOTS, SERVICES
from ess_core.privacy.key_store import PREFIX
from ess_core.privacy.key_store import STREAM as KEY_STREAM
from ess_core.security.identities import OBSERVER, OPERATOR, NatsUsers, inbox_prefix

RUNNING_SERVICES = tuple(s for s in SERVICES if s != "ops")  # ops events are issued by tools, not consumers

Permissions = dict[str, dict[str, list[str]]]


def reads(stream: str = STREAM) -> list[str]:
    """What anybody allowed to read the stream publishes to: API requests that change nothing durable."""
    return [
        "$JS.API.INFO",
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.STREAM.MSG.GET.{stream}",
        f"$JS.API.DIRECT.GET.{stream}",
        f"$JS.API.DIRECT.GET.{stream}.>",
    ]


def consumer_name(pilot: str, service: str) -> str:
    return f"{pilot}-{service}"


def webhook_consumer_name(pilot: str, service: str) -> str:
    """The service's second consumer, which reads the events its webhooks chose (ess_core.webhooks)."""
    return f"{pilot}-{service}-webhooks"


def own_consumer(consumer: str, stream: str = STREAM) -> list[str]:
    api = "$JS.API.CONSUMER"
    return [
        f"{api}.INFO.{stream}.{consumer}",
        f"{api}.CREATE.{stream}.{consumer}",
        f"{api}.CREATE.{stream}.{consumer}.>",  # nats-py appends the filter subject
        f"{api}.DURABLE.CREATE.{stream}.{consumer}",
        f"{api}.MSG.NEXT.{stream}.{consumer}",
        f"{api}.DELETE.{stream}.{consumer}",
        f"$JS.ACK.{stream}.{consumer}.>",
    ]


def key_store(pilot: str) -> list[str]:
    """Write its own data keys' copies (and purge them), read only the copies sealed to it."""
    return [f"{PREFIX}.{pilot}.>", f"$JS.API.DIRECT.GET.{KEY_STREAM}.{PREFIX}.*.*.{pilot}"]


def pilot_permissions(pilot: str, services: Iterable[str] = RUNNING_SERVICES) -> Permissions:
    names = [name(pilot, s) for s in services for name in (consumer_name, webhook_consumer_name)]
    consumers = [subject for consumer in names for subject in own_consumer(consumer)]
    return {
        "publish": {"allow": [pilot_prefix(pilot), *reads(), *consumers, *key_store(pilot)]},
        "subscribe": {"allow": [f"{inbox_prefix(pilot)}.>"]},
    }


def operator_permissions() -> Permissions:
    return {
        "publish": {"allow": ["$JS.API.>"]},
        "subscribe": {"allow": [f"{inbox_prefix(OPERATOR)}.>"]},
    }


def observer_permissions() -> Permissions:
    return {"publish": {"allow": reads()}, "subscribe": {"allow": [f"{inbox_prefix(OBSERVER)}.>"]}}


def users(settings: NatsUsers, *, on: date | None = None) -> list[dict[str, Any]]:
    """One entry per key that may log in today: the operator's, the observer's and each pilot's."""
    entries: list[dict[str, Any]] = [
        {"nkey": key, "permissions": operator_permissions()} for key in settings.active(OPERATOR, on)
    ]
    entries += [{"nkey": key, "permissions": observer_permissions()} for key in settings.active(OBSERVER, on)]
    for pilot in PILOTS:
        permissions = pilot_permissions(pilot)
        entries += [{"nkey": key, "permissions": permissions} for key in settings.active(pilot, on)]
    return entries


def authorization_block(settings: NatsUsers, *, on: date | None = None) -> str:
    """The server config text: every key that may log in on `on`, each with its identity's permissions."""
    entries = users(settings, on=on)
    if not entries:
        raise ValueError("no NATS user key in the settings: generate them with `ess keys generate`")
    lines = ["authorization {", "  users = ["]
    lines += [f"    {json.dumps(entry, sort_keys=True)}," for entry in entries]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def summary(settings: NatsUsers, *, on: date | None = None) -> Sequence[str]:
    """One line per identity that may log in, for people reading `ess up`'s output."""
    names = [OPERATOR, OBSERVER, *PILOTS]
    return [f"{name}: {', '.join(k[:8] + '…' for k in settings.active(name, on))}" for name in names]
