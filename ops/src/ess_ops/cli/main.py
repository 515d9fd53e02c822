"""The `ess` command (Typer + Rich). Every failure ends with one red line and a non-zero exit.

Each command imports what it needs when it runs, so `ess status` (polled by scripts) starts fast.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from ess_ops.cli import runfile
from ess_ops.cli.console import fail, note, warn
from ess_ops.cli.key_end import revoke_command, rotate_command
from ess_ops.cli.status import command as status_command
from ess_ops.cli.tail import command as tail_command
from ess_ops.cli.targets import STALL_AFTER_S, StallOpt, StateDirOpt, TokenOpt, UrlOpt, targets

app = typer.Typer(
    name="ess",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Run and look at the ESS services: intake, funding and evaluation, one process per pilot.",
)
keys_app = typer.Typer(no_args_is_help=True, help="A pilot's signing keys and the partners' trust file.")
trust_app = typer.Typer(no_args_is_help=True, help="The trust file of every pilot's public keys.")
keys_app.add_typer(trust_app, name="trust")
nats_keys_app = typer.Typer(no_args_is_help=True, help="nats-users.json: every identity's NATS user key.")
keys_app.add_typer(nats_keys_app, name="nats")
app.add_typer(keys_app, name="keys")
keys_app.command("rotate")(rotate_command)
keys_app.command("revoke")(revoke_command)
view_app = typer.Typer(no_args_is_help=True, help="Compare every pilot's views; checkpoints; rebuild.")
app.add_typer(view_app, name="view")
project_app = typer.Typer(no_args_is_help=True, help="One project as the stream tells it.")
app.add_typer(project_app, name="project")
app.command("tail")(tail_command)
app.command("status")(status_command)

StreamFileOpt = Annotated[
    Path | None, typer.Option("--file", help="Stream config (default: deploy/stream.json).")
]
PilotOpt = Annotated[str, typer.Option("--pilot", help="region, state or bdt.")]
ServerOpt = Annotated[str | None, typer.Option(envvar="ESS_NATS_URL", help="(default: ess up's broker)")]
TrustOpt = Annotated[Path | None, typer.Option(envvar="ESS_TRUST_FILE", help="(default: ess up's)")]


def _stream_file(given: Path | None) -> Path:
    from ess_ops.nats.provision import ProvisionError, default_stream_config_path

    try:
        return given if given is not None else default_stream_config_path()
    except ProvisionError as exc:
        fail(str(exc))


@app.command("up")
def up_command(
    state_dir: StateDirOpt = Path(".ess"),
    nats_port: Annotated[int, typer.Option(min=0, max=65535, help="0: any free port.")] = 0,
    stream_file: StreamFileOpt = None,
    ready_timeout: Annotated[float, typer.Option(help="Seconds for every service to answer.")] = 60.0,
    demo: Annotated[
        bool, typer.Option("--demo", help="Then load the demo: projects, funding, reviews (idempotent).")
    ] = False,
) -> None:
    """Start nats-server, provision the stream, make keys and tokens, run the seven services; Ctrl-C stops."""
    from ess_ops.cli import up

    raise typer.Exit(up.run(state_dir, nats_port, _stream_file(stream_file), ready_timeout, demo))


@app.command("provision")
def provision_command(
    stream_file: StreamFileOpt = None,
    server: Annotated[
        str | None, typer.Option(envvar="ESS_NATS_URL", help="(default: the broker of the running ess up)")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Report drift, change nothing; exit 1 on drift.")
    ] = False,
    state_dir: StateDirOpt = Path(".ess"),
    seed: Annotated[
        Path | None,
        typer.Option(envvar="ESS_NATS_SEED_FILE", help="Operator NATS seed (default: ess up's, if any)."),
    ] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(envvar="ESS_NATS_CA_FILE", help="The federation CA bundle (tls:// nodes)."),
    ] = None,
    replicas: Annotated[
        int | None, typer.Option(min=1, max=5, help="num_replicas for a cluster (default: the file's).")
    ] = None,
    max_bytes: Annotated[
        str | None, typer.Option(help="The stream's byte limit, e.g. 200GiB (default: the file's).")
    ] = None,
) -> None:
    """Apply the stream config (create or repair) as the operator identity and print the drift report."""
    from nats.errors import Error as NatsError

    from ess_ops.nats.connect import provision_as_operator
    from ess_ops.nats.provision import ProvisionError, parse_size

    if server is None:
        try:
            server = runfile.load(state_dir / "run.json").nats.url
        except runfile.RunFileError as exc:
            fail(f"no server given (--server or ESS_NATS_URL) and {exc}")
    config = _stream_file(stream_file)
    try:
        limit = parse_size(max_bytes) if max_bytes is not None else None
    except ValueError as exc:
        fail(f"--max-bytes: {exc}", 2)
    try:
        local = state_dir / "keys" / "operator.nats.seed"
        seed = seed or (local if local.exists() else None)
        applying = provision_as_operator(
            server, config, seed, apply=not check, ca_file=ca_file, replicas=replicas, max_bytes=limit
        )
        report = asyncio.run(applying)
    except ProvisionError as exc:
        fail(str(exc), 2)
    except (NatsError, OSError, TimeoutError) as exc:
        fail(f"cannot reach {server}: {str(exc) or type(exc).__name__}", 2)
    note(str(report))
    raise typer.Exit(1 if check and report.outcome in ("drift", "missing") else 0)


@keys_app.command("generate")
def keys_generate(
    pilot: PilotOpt,
    out: Annotated[Path, typer.Option("--out", help="Directory for the seeds (owner-only).")],
) -> None:
    """Generate this pilot's seeds locally: <pilot>.seed (signs events) and <pilot>.nats.seed (logs in to
    the broker); prints only the public keys, to share with partners. `--pilot operator` or
    `--pilot observer`: the NATS one only."""
    from ess_ops import keys

    try:
        identity = keys.check_identity(pilot)
        signing = None if identity in ("operator", "observer") else keys.new_seed(out / f"{identity}.seed")
        nats_key = keys.new_nats_seed(out / f"{identity}.nats.seed")
    except (keys.KeysError, OSError) as exc:
        fail(str(exc))
    if signing is not None:
        print(f"signing key (trust file):       {signing.public_key}")
    print(f"NATS user key (nats-users.json): {nats_key}")


@nats_keys_app.command("add")
def nats_keys_add(
    identity: Annotated[str, typer.Option("--pilot", help="region, state, bdt or operator.")],
    key: Annotated[str, typer.Option("--key", help="The public NATS user key (U…).")],
    file: Annotated[Path, typer.Option("--file", help="nats-users.json, created if missing.")],
) -> None:
    """Make KEY the identity's current NATS key; the previous one is kept in the history, retired."""
    from ess_core.security.identities import NatsUsers
    from ess_ops import keys

    try:
        keys.nats_users_with(NatsUsers.load_or_empty(file), identity, key.strip()).save(file)
    except (keys.KeysError, ValueError, OSError) as exc:
        fail(str(exc))
    note(f"{identity}: {key[:12]}… is the current NATS key in {file}")


@nats_keys_app.command("config")
def nats_keys_config(
    file: Annotated[Path, typer.Option("--file", help="nats-users.json")],
) -> None:
    """Print the nats-server `authorization` block (nkey users and their permissions) for FILE."""
    from ess_core.security.identities import NatsUsers
    from ess_core.security.permissions import authorization_block

    try:
        print(authorization_block(NatsUsers.load(file)), end="")
    except (ValueError, OSError) as exc:
        fail(str(exc))


@trust_app.command("add")
def trust_add(
    file: Annotated[Path, typer.Option("--file", help="The trust file, created if missing.")],
    pilot: Annotated[str | None, typer.Option("--pilot", help="region, state or bdt.")] = None,
    key: Annotated[str | None, typer.Option("--key", help="The pilot's public signing key (A…).")] = None,
    statement: Annotated[
        Path | None, typer.Option("--statement", help="A partner's key end (ess keys rotate | revoke).")
    ] = None,
) -> None:
    """Make KEY the pilot's current key, or record a partner's STATEMENT ending its key (its successor
    becomes current; the old key keeps verifying exactly what the statement names)."""
    from ess_contracts.signing import TrustFile
    from ess_ops import key_end, keys

    if statement is not None:
        try:
            ended = key_end.load_statement(statement)
            updated = key_end.record_end(file, ended)
        except (keys.KeysError, OSError) as exc:
            fail(str(exc))
        old, new = ended.key[:12], ended.successor[:12]
        note(f"{ended.pilot}: key {old}… {ended.reason} on {ended.on}; {new}… is the current key")
        note(f"{file} updated (digest {updated.digest()[:16]}…); restart the services that read it")
        return
    if pilot is None or key is None:
        fail("give --pilot and --key, or --statement")
    try:
        trust = TrustFile.load(file) if file.exists() else TrustFile(pilots={})
        updated = keys.trust_with(trust, keys.check_pilot(pilot), key.strip())
    except (keys.KeysError, ValueError, OSError) as exc:
        fail(str(exc))
    if updated == trust and file.exists():
        note(f"{pilot}: {key[:12]}… is already the current key in {file}")
        return
    if trust.pilots.get(pilot):  # type: ignore[call-overload]
        warn(
            f"{pilot}'s previous key is retired without a statement: it still verifies whatever it signs; "
            "record its end with the statement from `ess keys rotate` (ess keys trust add --statement)"
        )
    updated.save(file)
    note(f"{pilot}: {key[:12]}… added to {file} (digest {updated.digest()[:16]}…)")


def _run_info(state_dir: Path) -> runfile.RunInfo:
    try:
        return runfile.load(state_dir / "run.json")
    except runfile.RunFileError as exc:
        fail(str(exc))


@view_app.command("digest")
def view_digest(
    state_dir: StateDirOpt = Path(".ess"),
    server: Annotated[
        str | None, typer.Option(envvar="ESS_NATS_URL", help="(default: ess up's broker)")
    ] = None,
    trust_file: Annotated[
        Path | None, typer.Option(envvar="ESS_TRUST_FILE", help="(default: ess up's)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every service's latest checkpoint, side by side; exit 1 when services that applied the same events
    disagree (each disagreeing service is named) or a checkpoint does not verify."""
    from ess_ops.cli import view
    from ess_ops.cli.broker import reader_login

    server, trust_file = _broker_and_trust(state_dir, server, trust_file)
    comparison = asyncio.run(view.digest_report(server, trust_file, reader_login(state_dir)))
    view.show(comparison, as_json)
    raise typer.Exit(0 if comparison.agree else 1)


@view_app.command("checkpoint")
def view_checkpoint(
    services: Annotated[list[str] | None, typer.Argument(help="e.g. state-funding (default: all)")] = None,
    state_dir: StateDirOpt = Path(".ess"),
) -> None:
    """Ask services of this `ess up` to publish a checkpoint now."""
    from ess_ops.cli import view

    view.request_checkpoints(_run_info(state_dir), services or [])


@view_app.command("rebuild")
def view_rebuild(
    service: Annotated[str, typer.Argument(help="e.g. bdt-funding")],
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token: TokenOpt = None,
    stall_after: StallOpt = STALL_AFTER_S,
) -> None:
    """Drop a service's views and replay them from the stream, showing progress; says whether the digest
    came back the same. It waits as long as the replay moves, and fails after --stall-after seconds still."""
    import httpx

    from ess_ops.cli import view
    from ess_ops.cli.progress import Stalled

    [(name, base, key)] = targets(state_dir, service, url, token, "admin")
    try:
        view.rebuild(name, base, key, stall_after)
    except (Stalled, httpx.HTTPError) as exc:
        fail(str(exc))


@view_app.command("bootstrap")
def view_bootstrap(
    service: Annotated[str, typer.Argument(help="e.g. region-funding")],
    source: Annotated[str, typer.Option("--from", help="the pilot whose snapshot to start from, e.g. state")],
    state_dir: StateDirOpt = Path(".ess"),
) -> None:
    """Drop a service's views and load another pilot's snapshot instead of replaying the stream: kept
    only when services of two other pilots signed its digests at its position, then the tail is
    replayed. A refused snapshot is named with the reason, and the views replay from the first event."""
    from ess_ops.cli import view

    view.bootstrap(_run_info(state_dir), service, source)


def _broker_and_trust(state_dir: Path, server: str | None, trust_file: Path | None) -> tuple[str, Path]:
    if server is None or trust_file is None:
        info = _run_info(state_dir)
        return server or info.nats.url, trust_file or Path(info.trust_file)
    return server, trust_file


@project_app.command("show")
def project_show(
    project_id: Annotated[str, typer.Argument(help="The project's id.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="A stream sequence (123) or a business date (2026-04-15).")
    ] = None,
    state_dir: StateDirOpt = Path(".ess"),
    server: ServerOpt = None,
    trust_file: TrustOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A project folded from its signed events on the stream, now or as it stood at a point in time."""
    from ess_ops.cli import project, project_display
    from ess_ops.cli.broker import reader_login

    if as_of is not None and not as_of.isdigit():
        try:
            date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of {as_of!r}: give a stream sequence (digits) or a date YYYY-MM-DD")
    server, trust_file = _broker_and_trust(state_dir, server, trust_file)
    found = project.run(server, trust_file, project_id, as_of, reader_login(state_dir))
    project_display.show(found, as_of, as_json)


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="The file to write (JSON lines).")],
    project_id: Annotated[str | None, typer.Option("--project", help="Only this project's events.")] = None,
    state_dir: StateDirOpt = Path(".ess"),
    server: ServerOpt = None,
) -> None:
    """Write the stream (or one project's part of it) to a file, each message's headers and bytes exactly as
    stored, for `ess verify` on any machine, offline."""
    from ess_ops.cli import export
    from ess_ops.cli.broker import connect, reader_login

    server = server or _run_info(state_dir).nats.url

    async def write() -> int:
        async with connect(server, reader_login(state_dir)) as nc:
            with out.open("w", encoding="utf-8") as file:
                return await export.export(nc.jetstream(), file, project_id)

    note(f"{asyncio.run(write())} messages written to {out}")


@app.command("verify")
def verify_command(
    file: Annotated[Path, typer.Argument(help="A file written by `ess export`.")],
    trust_file: Annotated[Path, typer.Option("--trust", help="The trust file to judge signatures with.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check an export offline: every signature against the key history, every event's authority, the
    shared views' digest folded again; names each message that fails and why, and each service checkpoint
    whose digest the file does not reproduce. Exit 1 when anything fails."""
    from ess_contracts.signing import TrustFile, TrustStore
    from ess_ops.cli import export, export_display

    try:
        verdict = asyncio.run(export.verify(file, TrustStore(TrustFile.load(trust_file))))
    except (OSError, export.ExportError) as exc:
        fail(str(exc), 2)
    export_display.show(verdict, as_json)
    raise typer.Exit(0 if verdict.ok else 1)


def _register_recovery_commands() -> None:
    from ess_ops.cli import dlq, republish, webhooks

    app.add_typer(dlq.app, name="dlq")
    app.add_typer(webhooks.app, name="webhooks")
    app.command("republish")(republish.republish_command)


_register_recovery_commands()


def _register_deploy_commands() -> None:
    from ess_ops.cli import deploy

    app.add_typer(deploy.app, name="deploy")


_register_deploy_commands()


def _register_service_commands() -> None:
    """Each service's commands: they reach the service over HTTP, or run its module as a process."""
    from ess_ops.cli import evaluation, funding, intake, opendata

    for commands in (intake, funding, evaluation, opendata):
        commands.register(app)


_register_service_commands()

if __name__ == "__main__":
    app()
