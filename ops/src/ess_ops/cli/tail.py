"""`ess tail`: the events on the stream as they arrive, one line each, or one JSON object per line.

Every message is verified like a service would (signature against the trust file, type, version,
subject against envelope) before it is shown as an event; one that does not verify is still shown,
marked, with the reason: an operator must see it, never miss it.

Filters: the narrowest subject the options allow goes to the server (`ess.<pilot>.<service>.<aggregate>.
<id>.<type>`, a token given once is written out, else `*`); what one subject cannot say (two pilots, two
types) is filtered here. The reader asks the stream for the next message on that subject by direct get
(no consumer: a pilot may create none but its services' own); it remembers the stream sequence of the
last message it received and asks from just after it, also after the broker restarts. A sequence at or
below it is never shown again: across a restart no line is lost and none repeats.

Module-level imports stay light: `ess` imports this module to register the command.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import BaseModel

if TYPE_CHECKING:
    from nats.js import JetStreamContext

    from ess_contracts.event import Event
    from ess_contracts.signing import TrustStore
    from ess_core.messaging.reader import StoredMessage

SUMMARY_WIDTH = 72


@dataclass(frozen=True)
class TailFilter:
    """What the operator asked to see. Empty means any."""

    pilots: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    projects: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        pilots: Iterable[str] = (),
        services: Iterable[str] = (),
        projects: Iterable[str] = (),
        types: Iterable[str] = (),
    ) -> TailFilter:
        return cls(frozenset(pilots), frozenset(services), frozenset(projects), frozenset(types))

    def check(self) -> list[str]:
        """What in the filter can never match, said plainly (unknown type, type not about a project)."""
        from ess_contracts.catalogue import PAYLOAD_TYPES

        problems = []
        unknown = sorted(self.types - PAYLOAD_TYPES.keys())
        if unknown:
            problems.append(
                f"unknown event type {', '.join(unknown)}; known: {', '.join(sorted(PAYLOAD_TYPES))}"
            )
        if self.projects and self.types:
            aggregates = {PAYLOAD_TYPES[t].AGGREGATE for t in self.types if t in PAYLOAD_TYPES}
            if aggregates and "project" not in aggregates:
                problems.append(f"--project with --type {', '.join(sorted(self.types))}: not about a project")
        return problems

    def subject(self) -> str:
        """The narrowest single subject filter: each token given exactly once is written out."""
        from ess_contracts.catalogue import PAYLOAD_TYPES
        from ess_contracts.subjects import ROOT

        def one(values: frozenset[str]) -> str:
            return next(iter(values)) if len(values) == 1 else "*"

        aggregate = "project" if self.projects else "*"
        service = one(self.services)
        classes = [PAYLOAD_TYPES[t] for t in self.types if t in PAYLOAD_TYPES]
        if classes and aggregate == "*" and len({c.AGGREGATE for c in classes}) == 1:
            aggregate = classes[0].AGGREGATE
        if (
            classes
            and service == "*"
            and len({c.SERVICE for c in classes}) == 1
            and classes[0].SERVICE != "ops"
        ):
            service = classes[0].SERVICE  # ops types travel under their reporting service's name
        tokens = [ROOT, one(self.pilots), service, aggregate, one(self.projects), one(self.types)]
        if tokens[1:] == ["*"] * 5:
            return f"{ROOT}.>"
        return ".".join(tokens)

    def matches(self, subject: str) -> bool:
        from ess_contracts.subjects import BadSubject, parse_subject

        try:
            parts = parse_subject(subject)
        except BadSubject:
            return not (self.pilots or self.services or self.projects or self.types)
        return (
            (not self.pilots or parts.pilot in self.pilots)
            and (not self.services or parts.service in self.services)
            and (not self.projects or (parts.aggregate == "project" and parts.aggregate_id in self.projects))
            and (not self.types or parts.event_type in self.types)
        )


@dataclass(frozen=True)
class StartAt:
    """Where to begin: a stream sequence, a time, or (neither) just after the last message now."""

    seq: int | None = None
    time: datetime | None = None


def parse_from(text: str | None) -> StartAt:
    """`123` is a stream sequence; `2026-04-15`, `2026-04-15T10:00`, `…Z` or `…+02:00` a time (UTC unless
    a zone is given)."""
    if text is None:
        return StartAt()
    text = text.strip()
    if text.isdigit():
        return StartAt(seq=max(1, int(text)))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            raise ValueError(
                f"--from {text!r}: give a stream sequence (123) or a time (2026-04-15T10:00Z)"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return StartAt(time=moment.astimezone(UTC))


@dataclass(frozen=True)
class Line:
    """One message as `ess tail` shows it: the verified event, or why it could not be verified."""

    seq: int
    time: datetime
    subject: str
    event: Event | None
    problem: str | None = None
    signed: dict[str, str | None] = field(default_factory=dict)  # the key and signature as received

    def as_json(self) -> dict[str, Any]:
        if self.event is not None:
            return {"seq": self.seq, "verified": True, **self.signed, **self.event.wire_dict()}
        return {
            "seq": self.seq,
            "verified": False,
            **self.signed,
            "subject": self.subject,
            "stream_time": self.time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "reason": self.problem,
        }

    def as_text(self) -> str:
        from ess_contracts.subjects import BadSubject, parse_subject

        when = self.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        if self.event is not None:
            e = self.event
            where = f"{e.pilot:<6} {e.service:<10} {e.aggregate}/{e.aggregate_id}"
            return f"{when}  #{self.seq:<7} {where}  {e.type}  {summarize(e.payload)}"
        try:
            p = parse_subject(self.subject)
            where = f"{p.pilot:<6} {p.service:<10} {p.aggregate}/{p.aggregate_id}  {p.event_type}"
        except BadSubject:
            where = self.subject
        return f"{when}  #{self.seq:<7} {where}  UNVERIFIED: {self.problem}"


def _short(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool | int):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        text = value if len(value) <= 24 else value[:23] + "…"
        return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text
    if isinstance(value, tuple | list | frozenset | set):
        return f"[{len(value)}]"
    if isinstance(value, BaseModel):
        return "{…}"
    return None


def summarize(payload: BaseModel, width: int = SUMMARY_WIDTH) -> str:
    """The payload's first plain fields as `name=value`, cut to `width` characters. Payloads carry no
    personal data (see `Payload`); long text is cut anyway, so a line stays a line."""
    parts = []
    for name, value in payload:
        if name == "type":
            continue
        text = _short(value)
        if text is not None:
            parts.append(f"{name}={text}")
    summary = " ".join(parts)
    return summary if len(summary) <= width else summary[: width - 1] + "…"


def to_line(message: StoredMessage, trust: TrustStore) -> Line:
    from ess_contracts.codec import KEY, SIGNATURE, Rejected, decode

    seq, when, headers = message.stream_seq, message.time, message.headers or {}
    signed = {"key": headers.get(KEY), "signature": headers.get(SIGNATURE)}
    try:
        event = decode(message.subject, message.data, message.headers, trust)
    except Rejected as rejected:
        return Line(seq, when, message.subject, None, rejected.reason, signed)
    return Line(seq, when, message.subject, event, signed=signed)


async def _quiet(_: Exception) -> None:
    """nats-py logs every connection error; a tail shows events, and waits through a broker restart."""


@dataclass
class Tail:
    """Reads the stream from `start` by direct get, one message after another (no consumer), and keeps
    looking for the next one; through a broker restart it asks again from just after the last sequence
    received, so no line is shown twice or lost."""

    js: JetStreamContext
    trust: TrustStore
    filter: TailFilter
    start: StartAt
    emit: Callable[[Line], None]
    last_seq: int = 0
    printed: int = 0

    async def _first_seq(self) -> int:
        from ess_contracts.subjects import STREAM
        from ess_core.messaging.reader import first_seq_at

        if self.start.seq is not None:
            return self.start.seq
        if self.start.time is not None:
            return await first_seq_at(self.js, self.start.time)
        return (await self.js.stream_info(STREAM)).state.last_seq + 1  # live: after what is there now

    async def run(self, limit: int | None = None, until_idle: float | None = None) -> int:
        """Show lines until `limit` were shown or nothing new was shown for `until_idle` seconds (else
        until cancelled). Returns how many were shown."""
        from nats.errors import Error as NatsError

        from ess_core.messaging.reader import next_message

        loop = asyncio.get_running_loop()
        idle_since = loop.time()
        seq: int | None = None
        while limit is None or self.printed < limit:
            idle = until_idle is not None and loop.time() > idle_since + until_idle
            try:
                seq = seq or await self._first_seq()
                message = await next_message(self.js, self.filter.subject(), seq)
            except (NatsError, TimeoutError, OSError):
                if idle:
                    raise  # the broker stayed away for the whole idle time
                message = None
            if message is None:
                if idle:
                    break
                await asyncio.sleep(0.25)
                continue
            seq = message.stream_seq + 1
            self.last_seq = message.stream_seq
            if self.filter.matches(message.subject):
                self.emit(to_line(message, self.trust))
                self.printed += 1
                idle_since = loop.time()
        return self.printed


async def tail(
    url: str,
    trust_file: Path,
    flt: TailFilter,
    start: StartAt,
    emit: Callable[[Line], None],
    *,
    limit: int | None = None,
    until_idle: float | None = None,
    login: dict[str, Any] | None = None,
) -> int:
    import nats

    from ess_contracts.signing import TrustFile, TrustStore
    from ess_core.messaging.key_history import read_key_history

    trust = TrustStore(TrustFile.load(trust_file))
    nc = await nats.connect(
        url,
        name="ess-tail",
        connect_timeout=2,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.25,
        error_cb=_quiet,
        **(login or {}),
    )
    try:
        await read_key_history(nc.jetstream(), trust)
        return await Tail(nc.jetstream(), trust, flt, start, emit).run(limit, until_idle)
    finally:
        with contextlib.suppress(Exception):
            await nc.close()


def printer(as_json: bool) -> Callable[[Line], None]:
    if as_json:

        def emit_json(line: Line) -> None:
            sys.stdout.write(json.dumps(line.as_json(), ensure_ascii=False) + "\n")
            sys.stdout.flush()

        return emit_json
    from rich.markup import escape

    from ess_ops.cli.console import out

    def emit_text(line: Line) -> None:
        text = escape(line.as_text())
        out.print(text if line.event else f"[red]{text}[/red]", soft_wrap=True, highlight=False)

    return emit_text


def _values(given: Sequence[str] | None) -> list[str]:
    """`--pilot region --pilot state` or `--pilot region,state`."""
    return [v.strip() for item in given or () for v in item.split(",") if v.strip()]


def command(
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="A stream sequence (123) or a time (2026-04-15, 2026-04-15T10:00Z; UTC unless a zone is "
            "given). Default: only events that arrive from now on.",
        ),
    ] = None,
    pilot: Annotated[
        list[str] | None, typer.Option("--pilot", help="region, state, bdt (repeatable).")
    ] = None,
    service: Annotated[
        list[str] | None, typer.Option("--service", help="intake, funding, evaluation, ops (repeatable).")
    ] = None,
    project: Annotated[list[str] | None, typer.Option("--project", help="A project id (repeatable).")] = None,
    event_type: Annotated[
        list[str] | None, typer.Option("--type", help="An event type, e.g. project_submitted (repeatable).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line: the envelope plus seq.")
    ] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Stop after N lines.")] = None,
    until_idle: Annotated[
        float | None, typer.Option("--until-idle", min=0.1, help="Stop after SECONDS without a new line.")
    ] = None,
    state_dir: Annotated[Path, typer.Option("--state-dir", help="`ess up`'s state.")] = Path(".ess"),
    server: Annotated[
        str | None, typer.Option(envvar="ESS_NATS_URL", help="(default: ess up's broker)")
    ] = None,
    trust_file: Annotated[
        Path | None, typer.Option(envvar="ESS_TRUST_FILE", help="(default: ess up's)")
    ] = None,
    seed: Annotated[
        Path | None, typer.Option(envvar="ESS_NATS_SEED_FILE", help="A pilot's NATS user seed (deployments).")
    ] = None,
    identity: Annotated[
        str | None, typer.Option("--as", envvar="ESS_PILOT", help="The pilot whose seed that is.")
    ] = None,
) -> None:
    """Live events, one line each (time, stream sequence, pilot, service, aggregate, type, a short summary),
    signatures verified; survives a broker restart without losing or repeating a line. Ctrl-C stops."""
    from ess_ops.cli import runfile
    from ess_ops.cli.console import fail

    flt = TailFilter.of(_values(pilot), _values(service), _values(project), _values(event_type))
    for problem in flt.check():
        fail(problem)
    try:
        begin = parse_from(start)
    except ValueError as exc:
        fail(str(exc))
    if server is None or trust_file is None:
        try:
            info = runfile.load(state_dir / "run.json")
        except runfile.RunFileError as exc:
            fail(f"give --server and --trust-file (or ESS_NATS_URL, ESS_TRUST_FILE), or run `ess up`: {exc}")
        server, trust_file = server or info.nats.url, trust_file or Path(info.trust_file)
    if seed is not None and identity is None:
        fail("--as PILOT (or ESS_PILOT) is needed with a NATS seed: it names the inbox prefix")
    from ess_ops.cli.broker import reader_login

    given = {"ESS_NATS_SEED_FILE": str(seed), "ESS_PILOT": str(identity)} if seed is not None else {}
    login = reader_login(state_dir, {**os.environ, **given})
    try:
        asyncio.run(
            tail(
                server,
                trust_file,
                flt,
                begin,
                printer(as_json),
                limit=limit,
                until_idle=until_idle,
                login=login,
            )
        )
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except (OSError, TimeoutError) as exc:
        fail(f"cannot read the stream at {server}: {str(exc) or type(exc).__name__}")
    except Exception as exc:  # nats errors: one line, not a traceback
        fail(f"cannot read the stream at {server}: {str(exc) or type(exc).__name__}")
