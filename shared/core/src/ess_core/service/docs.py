"""The contracts of every service for people and programs: an AsyncAPI document of what it publishes and
consumes on the stream, and the OpenAPI document of its HTTP API. Generated, never written by hand:

- **published**: the payload types the service's spec declares (`ServiceSpec.published_types()`: by
  default every catalogue type of its service, and the checkpoint it reports with). The outbox refuses
  any other type, so the document and the code cannot disagree.
- **consumed**: every catalogue type one of the service's views applies (`View.handles`).
- each message's schema is the envelope (`Event`) with that type's payload, from the shared catalogue's
  pydantic models; FastStream's AsyncAPI generator writes the document from a `NatsBroker` that declares
  a publisher per published type and a subscriber per consumed one. That broker is built for the
  document only and never started: a subscriber declared on the running broker would subscribe for real.
  FastStream 0.7.8 writes neither channel parameters nor message headers: both are added afterwards,
  from the subject grammar and the codec's header names.
- the OpenAPI document comes from the service's FastAPI app (`build_app`) with a runtime that is never
  started, on throwaway keys and settings in a temporary folder.

    python -m ess_core.service.docs OUT_DIR SPEC...   # `make docs`: docs/asyncapi, docs/openapi

SPEC names a service's spec, as `ess_intake.bootstrap:service`.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import create_model

from ess_contracts.authority import who_may_emit
from ess_contracts.base import Payload
from ess_contracts.catalogue import CATALOGUE_VERSION, PAYLOAD_TYPES
from ess_contracts.codec import KEY, MSG_ID, SIGNATURE, VERSION
from ess_contracts.event import Event
from ess_contracts.subjects import ROOT, STREAM
from ess_contracts.types import PILOTS
from ess_core.service.privacy_docs import privacy_register
from ess_core.service.spec import ServiceSpec, load_spec

DEFAULT_OUT_DIR = Path("docs")
DOCUMENT_SERVER = "nats://localhost:4222"  # each pilot's broker; the document names none of them
PARAMETERS = {
    "pilot": {
        "enum": list(PILOTS),
        "description": "The issuing pilot; the broker lets a pilot publish only "
        "under its own name, and the envelope and signature must name the same pilot.",
    },
    "id": {
        "description": "The aggregate's id (a subject token: letters, digits, '_' and '-'); a project's "
        "names its owner, `<pilot>-<uuid7>` (ess_contracts.authority)."
    },
}
HEADERS = {
    "type": "object",
    "required": [MSG_ID, KEY, SIGNATURE, VERSION],
    "properties": {
        MSG_ID: {
            "type": "string",
            "description": "The event id: the broker drops a repeat inside its duplicate window.",
        },
        KEY: {
            "type": "string",
            "description": "The issuing pilot's public signing key (ed25519 nkey, in the trust file).",
        },
        SIGNATURE: {
            "type": "string",
            "description": "URL-safe base64 ed25519 signature over the exact "
            "message bytes (the envelope in RFC 8785 canonical JSON).",
        },
        VERSION: {"type": "string", "pattern": "^[0-9]+$", "description": "The payload's schema version."},
    },
}


def load_specs(references: list[str]) -> dict[str, ServiceSpec]:
    """The services named by their specs' references (`load_spec`), by name."""
    specs = [load_spec(reference) for reference in references]
    return {spec.name: spec for spec in sorted(specs, key=lambda s: s.name)}


def consumed_types(spec: ServiceSpec) -> list[type[Payload]]:
    views = spec.all_views()
    return [cls for name, cls in sorted(PAYLOAD_TYPES.items()) if any(v.handles(name) for v in views)]


def _envelope(cls: type[Payload]) -> type[Event]:
    """The envelope as it travels with this payload type: a schema, never used to decode."""
    return create_model(
        f"{cls.__name__}Event",
        __base__=Event,
        __doc__=f"A signed `{cls.model_fields['type'].default}` event (schema version {cls.VERSION}).",
        payload=(cls, ...),
    )


def _type(cls: type[Payload]) -> str:
    return str(cls.model_fields["type"].default)


def _address(cls: type[Payload], service: str) -> str:
    """`ess.{pilot}.<service>.<aggregate>.{id}.<type>`; a checkpoint's id is its reporting service."""
    aggregate_id = service if cls.AGGREGATE == "checkpoint" else "{id}"
    return f"{ROOT}.{{pilot}}.{service}.{cls.AGGREGATE}.{aggregate_id}.{_type(cls)}"


def _summary(cls: type[Payload]) -> str:
    """The payload's first paragraph, and who may emit it (ess_contracts.authority)."""
    doc = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
    return f"{doc} Who may emit it: {who_may_emit(_type(cls))}."


def asyncapi_document(spec: ServiceSpec) -> dict[str, Any]:
    from faststream.nats import JStream, NatsBroker, PullSub
    from faststream.specification import AsyncAPI

    broker = NatsBroker(DOCUMENT_SERVER, logger=None)  # for the document only: never started
    stream = JStream(STREAM, declare=False)
    for cls in spec.published_types():
        name = _type(cls)
        broker.publisher(
            _address(cls, spec.name),
            stream=stream,
            title=f"publish.{name}",
            description=f"{_summary(cls)} Published by {spec.name} through its outbox, signed.".strip(),
            schema=_envelope(cls),
        )
    for cls in consumed_types(spec):
        name = _type(cls)
        issuer = spec.name if cls.SERVICE == "ops" and cls.AGGREGATE == "checkpoint" else cls.SERVICE
        model = _envelope(cls)

        async def handler(event: Any) -> None:  # pragma: no cover - documents the payload, never runs
            del event

        handler.__annotations__ = {"event": model, "return": None}
        handler.__name__ = f"apply_{name}"
        broker.subscriber(
            _address(cls, issuer),
            stream=stream,
            pull_sub=PullSub(batch_size=500),
            durable=f"{{pilot}}-{spec.name}",
            title=f"consume.{name}",
            description=f"{_summary(cls)} Every pilot's copy, folded by the {spec.name} service's views "
            "(one durable consumer on ess.>, signature verified before anything else).".strip(),
        )(handler)
    application = AsyncAPI(
        broker,
        title=f"ESS {spec.name} service: events",
        version=CATALOGUE_VERSION,
        description=(
            f"What the {spec.name} service publishes to and consumes from the `{STREAM}` JetStream stream "
            f"(subjects `{ROOT}.<pilot>.<service>.<aggregate>.<id>.<event_type>`). Generated from the shared "
            "event catalogue and the service's spec; do not edit."
        ),
        schema_version="3.0.0",
    )
    document: dict[str, Any] = json.loads(application.to_specification().to_json())
    for channel in document.get("channels", {}).values():
        names = [p for p in PARAMETERS if "{" + p + "}" in channel["address"]]
        if names:
            channel["parameters"] = {p: PARAMETERS[p] for p in names}
    for message in document.get("components", {}).get("messages", {}).values():
        message["headers"] = HEADERS
        message["correlationId"] = {  # FastStream's default names a header; ours is in the envelope
            "location": "$message.payload#/correlation_id",
            "description": "The id of the first event of the act that caused this one.",
        }
    return document


@contextmanager
def _throwaway_settings(service: str) -> Iterator[Any]:
    """Settings and keys for a runtime that is never started (its database is never opened)."""
    from ess_contracts.signing import Signer, TrustFile, generate_seed
    from ess_core.service.settings import ServiceSettings

    with tempfile.TemporaryDirectory(prefix="ess-docs-") as scratch:
        root = Path(scratch)
        seed = generate_seed()
        (root / "region.seed").write_text(seed)
        trust = TrustFile(pilots={}).add_key("region", Signer(seed).public_key, date(2026, 1, 1))
        trust.save(root / "trust.json")
        yield ServiceSettings(
            pilot="region",
            service=service,
            database_url=f"sqlite+aiosqlite:///{root / 'never-opened.db'}",
            nats_url=DOCUMENT_SERVER,
            signing_seed_file=root / "region.seed",
            trust_file=root / "trust.json",
        )


def openapi_document(spec: ServiceSpec) -> dict[str, Any]:
    from ess_core.auth import LocalIssuer, LocalVerifier
    from ess_core.service.http import build_app

    verifier = LocalVerifier(LocalIssuer.generate().public_key_pem)  # any: no request is ever made
    with _throwaway_settings(spec.name) as settings:
        runtime = spec.runtime(settings)
        app = build_app(spec, runtime, verifier)
        app.title = f"ESS {spec.name} service"  # not one pilot's: every pilot runs the same API
        document = app.openapi()
    return document


def _text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def authority_table() -> str:
    """Who may emit each event type, as every fold enforces it (ess_contracts.authority)."""
    lines = [
        "# Who may emit each event",
        "",
        "Generated by `make docs` from `ess_contracts.authority`. Every service checks this when it decodes",
        'an event; an event that breaks it is dead-lettered with the reason "not the owner of <kind> <id>".',
        "A project's id names its owner: `<pilot>-<uuid7>`, the intake service of that pilot.",
        "",
        "| event type | issued by | about | who may emit it |",
        "|---|---|---|---|",
    ]
    for name, cls in sorted(PAYLOAD_TYPES.items()):
        lines.append(f"| `{name}` | {cls.SERVICE} | {cls.AGGREGATE} | {who_may_emit(name)} |")
    return "\n".join(lines) + "\n"


def documents(specs: dict[str, ServiceSpec]) -> dict[Path, str]:
    """Every document of these services, by path relative to the docs folder."""
    found: dict[Path, str] = {
        Path("contracts") / "authority.md": authority_table(),
        Path("privacy") / "register.md": privacy_register(),
    }
    for name, spec in specs.items():
        found[Path("asyncapi") / f"{name}.json"] = _text(asyncapi_document(spec))
        found[Path("openapi") / f"{name}.json"] = _text(openapi_document(spec))
    return found


def write_docs(specs: dict[str, ServiceSpec], out_dir: Path = DEFAULT_OUT_DIR) -> list[Path]:
    written = []
    for relative, text in documents(specs).items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        raise SystemExit(__doc__)
    for path in write_docs(load_specs(args[1:]), Path(args[0])):
        print(path)


if __name__ == "__main__":
    main()
